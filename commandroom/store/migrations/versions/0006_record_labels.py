"""record labels: what a conflict or a queued act was about, by name

A conflict record and an outbox entry keep the record's number and title as they were when they were
written, so the 冲突与退回 page names the record even after the desk stopped holding it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("conflict_record", "local_outbox"):
        op.add_column(table, sa.Column("record_label", sa.String(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    for table in ("local_outbox", "conflict_record"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("record_label")
