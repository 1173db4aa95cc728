"""mentions.post_id nullable: a webmention to a page of a registered site that has no
thread yet waits for verification with no post; the thread is made once the source links
to the page

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite changes a column's nullability only by copying the table: batch mode does
    # that (env.py turns foreign keys off meanwhile; no table references `mentions`).
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # A mention still waiting for its page's thread has no post to keep it under: the
    # sender's status URL goes with it, as with a deleted post's mentions.
    mentions = sa.table("mentions", sa.column("post_id", sa.Integer))
    op.execute(mentions.delete().where(mentions.c.post_id.is_(None)))
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
