"""verified closure: what closing needs per category / matter, and who verified an incident

* ``event_category.closure`` and ``matter.closure`` — the rule (before/after photos, who verifies);
* ``incident.verifications`` — who verified this round; ``incident.closure_override`` — the room's reason
  when it closed without what the rule asks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE … ADD COLUMN (no table copy): the incident table keeps its search triggers (0002)
    op.add_column("event_category", sa.Column("closure", sa.JSON(), nullable=True))
    op.add_column("matter", sa.Column("closure", sa.JSON(), nullable=True))
    op.add_column("incident", sa.Column("verifications", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("incident", sa.Column("closure_override", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("incident", "closure_override")
    op.drop_column("incident", "verifications")
    op.drop_column("matter", "closure")
    op.drop_column("event_category", "closure")
