"""mail and webhooks (issue 14): the mails sent, moderators' addresses and notice
preference, readers' subscriptions, used mail action links, digests, and webhooks with
their deliveries

Administrators get a notice for every entry by default, as they would on a new install.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("mail_notices", sa.String(length=16), server_default="none", nullable=False)
        )
        batch_op.add_column(
            sa.Column("credentials_version", sa.Integer(), server_default="0", nullable=False)
        )
    # Its CHECK once the column is there: batch mode would check it while copying the table.
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "mail_notices", "mail_notices IN ('every', 'digest', 'none')"
        )
    moderators = sa.table(
        "moderators", sa.column("is_admin", sa.Boolean), sa.column("mail_notices", sa.String)
    )
    op.execute(moderators.update().where(moderators.c.is_admin).values(mail_notices="every"))
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            _enum("mail_kind", "test", "notice", "digest", "confirm", "published", "reply"),
            nullable=False,
        ),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("state", _enum("mail_state", "queued", "sent", "failed"), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mails_entry_id", "mails", ["entry_id"])
    op.create_index("ix_mails_recipient_created", "mails", ["recipient", "created"])
    op.create_table(
        "used_mail_actions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_used_mail_actions_created", "used_mail_actions", ["created"])
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("confirmed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "digests",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "state", _enum("delivery_state", "queued", "delivered", "failed"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_webhook_created", "webhook_deliveries", ["webhook_id", "created"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_webhook_created", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("digests")
    op.drop_table("subscribers")
    op.drop_index("ix_used_mail_actions_created", table_name="used_mail_actions")
    op.drop_table("used_mail_actions")
    op.drop_index("ix_mails_recipient_created", table_name="mails")
    op.drop_index("ix_mails_entry_id", table_name="mails")
    op.drop_table("mails")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("notify")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("credentials_version")
        batch_op.drop_constraint("mail_notices", type_="check")
        batch_op.drop_column("mail_notices")
        batch_op.drop_column("email")
