"""sites: the origins whose pages we hold comments for, and the site of each post

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=2000), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("keep_query", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin"),
    )
    # SQLite adds a foreign key only by copying the table: batch mode does that (env.py
    # turns foreign keys off meanwhile, so dropping the old `posts` cascades nowhere).
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_posts_site_id", ["site_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_posts_site_id_sites", "sites", ["site_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_posts_site_id_sites", type_="foreignkey")
        batch_op.drop_index("ix_posts_site_id")
        batch_op.drop_column("site_id")
    op.drop_table("sites")
