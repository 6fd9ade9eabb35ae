"""proposed amendments of the responsibility list (清单调整建议), from repeated disputes on one matter

Revision ID: 0008_list_amendments
Revises: 0007
Create Date: 2026-12-06 14:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_list_amendments'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('matter_list_amendment',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('matter_code', sa.String(length=32), nullable=False),
    sa.Column('quarter', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('dispute_ids', sa.JSON(), nullable=False),
    sa.Column('matter', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matter_list_amendment'))
    )
    with op.batch_alter_table('matter_list_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matter_list_amendment_matter_code'), ['matter_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('matter_list_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matter_list_amendment_matter_code'))
    op.drop_table('matter_list_amendment')
