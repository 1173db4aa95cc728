"""a thread's version from an index alone (issue 16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Every read of a post's page or thread asks the count and the newest `updated` of its
approved entries (threads.thread_version), the 304 path included. With
(post_id, status, created) indexed, the newest `updated` read every approved row of the
thread: 2,000 row lookups for a 2,000-comment thread. The same index with `updated`
after `created` answers both from the index; a second index would cost every write,
a bulk action's included, one more page to change.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entries_post_status_created", table_name="entries")
    op.create_index(
        "ix_entries_post_status_created_updated",
        "entries",
        ["post_id", "status", "created", "updated"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_entries_post_status_created_updated", table_name="entries")
    op.create_index(
        "ix_entries_post_status_created", "entries", ["post_id", "status", "created"], unique=False
    )
