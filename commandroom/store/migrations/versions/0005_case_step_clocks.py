"""one-thing case step clocks: case_step.limit_days, due_at, warned_at, escalation_level

Each step of a one-thing case has its own time limit from the catalogue (working days); its clock
starts when the step before it is done. Steps of cases opened before this revision have none.

Revision ID: 0005
Revises: 0004_disputes
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("limit_days", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("warned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalation_level", sa.String(length=24), nullable=False,
                                      server_default="none"))


def downgrade() -> None:
    with op.batch_alter_table("case_step", schema=None) as batch_op:
        batch_op.drop_column("escalation_level")
        batch_op.drop_column("warned_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("limit_days")
