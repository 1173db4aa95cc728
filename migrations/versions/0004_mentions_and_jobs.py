"""webmention and trackback requests, author photos, and the job queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str, constraint: bool = True) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=constraint, length=16)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "state", _enum("job_state", "queued", "running", "done", "failed"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"], unique=False)
    op.create_table(
        "photos",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column(
            "type",
            _enum("mention_type", "comment", "pingback", "trackback", "webmention"),
            nullable=False,
        ),
        sa.Column(
            "state", _enum("mention_state", "queued", "verified", "rejected"), nullable=False
        ),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("blog_name", sa.String(length=255), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_mentions_entry_id", "mentions", ["entry_id"], unique=False)
    op.create_index("ix_mentions_post_id", "mentions", ["post_id"], unique=False)
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mention_kind",
                _enum(
                    "mention_kind",
                    *("reply", "like", "repost", "bookmark", "mention"),
                    constraint=False,  # a CHECK would stop SQLite's batch mode dropping it
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("author_photo", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("published", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("published")
        batch_op.drop_column("author_photo")
        batch_op.drop_column("mention_kind")
    op.drop_index("ix_mentions_post_id", table_name="mentions")
    op.drop_index("ix_mentions_entry_id", table_name="mentions")
    op.drop_table("mentions")
    op.drop_table("photos")
    op.drop_index("ix_jobs_state_run_after", table_name="jobs")
    op.drop_table("jobs")
