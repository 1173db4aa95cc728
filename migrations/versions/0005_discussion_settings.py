"""discussion settings, and the rule that chose each entry's status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discussion_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_all", sa.Boolean(), nullable=False),
        sa.Column("trust_known_authors", sa.Boolean(), nullable=False),
        sa.Column("max_links", sa.Integer(), nullable=False),
        sa.Column("moderation_words", sa.Text(), nullable=False),
        sa.Column("disallowed_words", sa.Text(), nullable=False),
        sa.Column("close_after_days", sa.Integer(), nullable=False),
        sa.Column("thread_depth", sa.Integer(), nullable=False),
        sa.Column("comments_per_page", sa.Integer(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rule", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.create_index("ix_entries_ip_created", ["ip_address", "created"])
        batch_op.create_index("ix_entries_email_created", ["email", "created"])


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_email_created")
        batch_op.drop_index("ix_entries_ip_created")
        batch_op.drop_column("rule")
    op.drop_table("discussion_settings")
