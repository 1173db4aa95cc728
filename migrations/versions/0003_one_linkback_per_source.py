"""one linkback per source, type and post

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_entries_post_type_source",
        "entries",
        ["post_id", "type", "source_url"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_entries_post_type_source", table_name="entries")
