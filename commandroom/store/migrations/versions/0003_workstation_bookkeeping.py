"""workstation sync bookkeeping: local_shadow and local_touch

Hand-written: these two tables belong to the workstation's sync client
(:mod:`commandroom.store.local`), not to the shared model, so autogenerate does not see them. Until
this revision the store created them each time it opened. On the county server they stay empty.

* ``local_shadow`` — per row, the server's version before the first local edit (the rebase base);
* ``local_touch`` — which rows each pending mutation touched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 10:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "local_shadow" not in existing:  # stores opened before this revision made it themselves
        op.create_table(
            "local_shadow",
            sa.Column("entity_type", sa.String(length=32), primary_key=True),
            sa.Column("entity_id", sa.String(length=64), primary_key=True),
            sa.Column("base", sa.JSON(), nullable=True),
        )
    if "local_touch" not in existing:
        op.create_table(
            "local_touch",
            sa.Column("mutation_id", sa.String(length=36), primary_key=True),
            sa.Column("entity_type", sa.String(length=32), primary_key=True),
            sa.Column("entity_id", sa.String(length=64), primary_key=True),
        )


def downgrade() -> None:
    op.drop_table("local_touch")
    op.drop_table("local_shadow")
