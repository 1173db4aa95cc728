"""one row per login, so that a logout ends that session: replaces session_generation

Everyone is logged out once by this revision (the cookie's session id changes form).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["moderator_id"], ["moderators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_digest"),
    )
    op.create_index("ix_logins_moderator_id", "logins", ["moderator_id"])
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("session_generation")


def downgrade() -> None:
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="1", nullable=False)
        )
    op.drop_index("ix_logins_moderator_id", table_name="logins")
    op.drop_table("logins")
