"""disputes (推诿) for county arbitration, and proxy entries (代录) on dispatches and check-ins

* ``dispute`` — a contested return between a township and a department, with its working-time limit
  and the county coordinator's decision (issue 15);
* ``dispatch.proxy_by/proxy_reason`` and ``case_checkin.proxy_by/proxy_reason`` — a department's 签收 or
  报到 the township room typed in on its behalf, so the assessment counts it apart.

Revision ID: 0004_disputes
Revises: 0003
Create Date: 2026-12-06 12:56:02
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_disputes'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispute',
    sa.Column('incident_id', sa.String(length=36), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('matter_code', sa.String(length=32), nullable=True),
    sa.Column('opened_by_side', sa.String(length=16), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('return_side', sa.String(length=16), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('proposed_matter_code', sa.String(length=32), nullable=True),
    sa.Column('proposed_department_code', sa.String(length=32), nullable=True),
    sa.Column('counter_proposal', sa.Text(), nullable=False),
    sa.Column('contest_reason', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('handler_kind', sa.String(length=16), nullable=True),
    sa.Column('handler_department_code', sa.String(length=32), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township_code', sa.String(length=32), nullable=False),
    sa.Column('row_version', sa.BigInteger(), nullable=False),
    sa.Column('field_versions', sa.JSON(), nullable=False),
    sa.Column('field_writers', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_township_code'), ['township_code'], unique=False)

    with op.batch_alter_table('case_checkin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_by', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('proxy_reason', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_by', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('proxy_reason', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.drop_column('proxy_reason')
        batch_op.drop_column('proxy_by')

    with op.batch_alter_table('case_checkin', schema=None) as batch_op:
        batch_op.drop_column('proxy_reason')
        batch_op.drop_column('proxy_by')

    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_township_code'))
        batch_op.drop_index(batch_op.f('ix_dispute_state'))
        batch_op.drop_index(batch_op.f('ix_dispute_incident_id'))
        batch_op.drop_index(batch_op.f('ix_dispute_due_at'))
        batch_op.drop_index(batch_op.f('ix_dispute_department_code'))

    op.drop_table('dispute')
