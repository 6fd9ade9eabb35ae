"""boards in their own buckets: the change log's module and task-card rows move to ``module:<id>``

A module lead's desk reads only the boards it leads (#14), so a board's rows leave the township
bucket for one bucket per module (``commandroom.sync.buckets``). The changes already logged move with
them; a desk sees new buckets in its next pull and downloads them from the start.

Revision ID: 0010_board_buckets
Revises: 0009_case_attachments
Create Date: 2026-12-06 16:50:00
"""

from alembic import op

revision = "0010_board_buckets"
down_revision = "0009_case_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE srv_change_log SET bucket = 'module:' || entity_id "
               "WHERE entity_type = 'module' AND bucket LIKE 'township:%'")
    op.execute("UPDATE srv_change_log SET bucket = 'module:' || (SELECT c.module_id FROM task_card c "
               "WHERE c.id = srv_change_log.entity_id) "
               "WHERE entity_type = 'task_card' AND bucket LIKE 'township:%' "
               "AND EXISTS (SELECT 1 FROM task_card c WHERE c.id = srv_change_log.entity_id)")


def downgrade() -> None:
    op.execute("UPDATE srv_change_log SET bucket = 'township:' || (SELECT m.township_code FROM module m "
               "WHERE m.id = substr(srv_change_log.bucket, 8)) "
               "WHERE bucket LIKE 'module:%' AND EXISTS (SELECT 1 FROM module m "
               "WHERE m.id = substr(srv_change_log.bucket, 8))")
