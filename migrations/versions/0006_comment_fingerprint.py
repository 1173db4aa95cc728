"""a fingerprint per reader's comment, unique: a duplicate is found by one index lookup

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1_000  # comments read and updated at a time


def _fingerprint(post_id, parent_id, author, email, body) -> str:
    """The digest services.comment_fingerprint made when this revision was written."""
    text = json.dumps([post_id, parent_id, author, email, body])
    return hashlib.sha256(text.encode()).hexdigest()


def _backfill() -> None:
    """Fingerprint the comments there are; of comments said twice, only the first."""
    connection = op.get_bind()
    entries = sa.table(
        "entries",
        sa.column("id", sa.Integer),
        sa.column("post_id", sa.Integer),
        sa.column("parent_id", sa.Integer),
        sa.column("type", sa.String),
        sa.column("author", sa.String),
        sa.column("email", sa.String),
        sa.column("body", sa.Text),
        sa.column("fingerprint", sa.String),
    )
    columns = (
        entries.c.id,
        entries.c.post_id,
        entries.c.parent_id,
        entries.c.author,
        entries.c.email,
        entries.c.body,
    )
    update = (
        sa.update(entries)
        .where(entries.c.id == sa.bindparam("entry_id"))
        .values(fingerprint=sa.bindparam("value"))
    )
    seen: set[str] = set()
    last_id = 0
    while True:  # a batch at a time, by id: the texts of a large table never all in memory
        rows = connection.execute(
            sa.select(*columns)
            .where(entries.c.type == "comment", entries.c.id > last_id)
            .order_by(entries.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        batch = []
        for row in rows:
            value = _fingerprint(row.post_id, row.parent_id, row.author, row.email, row.body)
            if value not in seen:
                seen.add(value)
                batch.append({"entry_id": row.id, "value": value})
        if batch:
            connection.execute(update, batch)


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
    _backfill()
    op.create_index("uq_entries_fingerprint", "entries", ["fingerprint"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_entries_fingerprint", table_name="entries")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
