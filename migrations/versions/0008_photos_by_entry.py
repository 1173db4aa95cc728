"""entries by author photo: a photo is served only for an approved entry, and deleted
once no entry holds it; the photos that no entry holds now are deleted here

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_author_photo", "entries", ["author_photo"])
    photos = sa.table("photos", sa.column("key", sa.String))
    entries = sa.table("entries", sa.column("author_photo", sa.String))
    op.execute(photos.delete().where(~sa.exists().where(entries.c.author_photo == photos.c.key)))


def downgrade() -> None:
    op.drop_index("ix_entries_author_photo", table_name="entries")
