"""imports and personal data (issue 15): each imported entry's origin, the import runs
that resume where they stopped, readers' data requests, and the mail that confirms them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MAIL_KINDS = ("test", "notice", "digest", "confirm", "published", "reply")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _mail_kinds(*kinds: str) -> None:
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.drop_constraint("mail_kind", type_="check")
    with op.batch_alter_table("mails", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "mail_kind", "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
        )


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("origin_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("origin_parent_id", sa.String(length=255), nullable=True))
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "import_system", "origin IN ('wordpress', 'disqus', 'isso')"
        )
        batch_op.create_index("uq_entries_origin", ["origin", "origin_id"], unique=True)
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "system", _enum("import_run_system", "wordpress", "disqus", "isso"), nullable=False
        ),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_import_runs_system_digest", "import_runs", ["system", "digest"], unique=True
    )
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_digest"),
    )
    op.create_index("ix_data_requests_email", "data_requests", ["email"])
    _mail_kinds(*MAIL_KINDS, "data")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM mails WHERE kind = 'data'"))
    _mail_kinds(*MAIL_KINDS)
    op.drop_index("ix_data_requests_email", table_name="data_requests")
    op.drop_table("data_requests")
    op.drop_index("uq_import_runs_system_digest", table_name="import_runs")
    op.drop_table("import_runs")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("uq_entries_origin")
        batch_op.drop_constraint("import_system", type_="check")
        batch_op.drop_column("origin_parent_id")
        batch_op.drop_column("origin_id")
        batch_op.drop_column("origin")
