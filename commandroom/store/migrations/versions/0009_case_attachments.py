"""one-thing case attachments: ``one_thing_case.attachments`` (documents and images named by content hash), and a
``photo.mime`` wide enough for Office document types

Revision ID: 0009_case_attachments
Revises: 0008_list_amendments
Create Date: 2026-12-06 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_case_attachments"
down_revision = "0008_list_amendments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("one_thing_case", sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.alter_column("mime", existing_type=sa.String(length=32), type_=sa.String(length=100),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.alter_column("mime", existing_type=sa.String(length=100), type_=sa.String(length=32),
                              existing_nullable=False)
    op.drop_column("one_thing_case", "attachments")
