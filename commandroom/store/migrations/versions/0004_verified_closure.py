"""verified closure: what closing needs per category / matter, and who verified an incident

* ``event_category.closure`` and ``matter.closure`` — the rule (before/after photos, who verifies);
* ``incident.verifications`` — who verified this round; ``incident.closure_override`` — the room's reason
  when it closed without what the rule asks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_category") as batch:
        batch.add_column(sa.Column("closure", sa.JSON(), nullable=True))
    with op.batch_alter_table("matter") as batch:
        batch.add_column(sa.Column("closure", sa.JSON(), nullable=True))
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("verifications", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("closure_override", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("closure_override")
        batch.drop_column("verifications")
    with op.batch_alter_table("matter") as batch:
        batch.drop_column("closure")
    with op.batch_alter_table("event_category") as batch:
        batch.drop_column("closure")
