"""the queue's search at scale (issue 16): one trigram index that narrows every search,
on PostgreSQL and on SQLite

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

PostgreSQL: 0013's GIN index held six columns, so a search was six index scans OR-ed
together, which the planner often priced above reading the whole table, and read it
(ILIKE on every row, 0.2 to 0.4 s at 100,000 entries). It becomes one GIN index on the
searched columns joined by a separator (chr(31), which the search removes from what it
looks for, so no match spans two columns): one index scan, and half the size (15 MB
against 27 at 100,000 entries). Its pending list is kept small (256 kB): bulk inserts
stay batched, and a search reads at most 32 pending pages.

SQLite: a contentless FTS5 table of the same columns with the trigram tokenizer
(SQLite 3.34 or later), detail=none: it stores which entries hold each sequence of three
characters, nothing more (9 MB at 100,000 entries, against 29 for the table). It
narrows a search to the entries holding the term's trigrams; the term's LIKE then
decides, as before. Triggers keep it in the transaction of every INSERT, DELETE and
UPDATE of a searched column (a contentless table forgets a row only when given its
indexed values: the triggers give OLD's). Like 0013's, a later migration that rebuilds
entries in batch mode must create them again (_SQLITE_TRIGGERS).

Neither is in the models (they differ per database): tests/migrations leave them out of
the comparison of the models with the schema.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SEARCHED = ("author", "email", "website", "ip_address", "source_url", "body")  # as 0013

# As services/queue_search.py writes it: the planner matches the index with the search.
_POSTGRESQL_SEARCHED_TEXT = " || chr(31) || ".join(
    "coalesce(source_url, '')" if column == "source_url" else column for column in SEARCHED
)

_COLUMNS = ", ".join(SEARCHED)
_NEW = ", ".join(f"NEW.{column}" for column in SEARCHED)
_OLD = ", ".join(f"OLD.{column}" for column in SEARCHED)
_FORGET_OLD = (
    f"INSERT INTO entries_search (entries_search, rowid, {_COLUMNS})"
    f" VALUES ('delete', OLD.id, {_OLD});"
)
_ADD_NEW = f"INSERT INTO entries_search (rowid, {_COLUMNS}) VALUES (NEW.id, {_NEW});"
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER entries_search_insert AFTER INSERT ON entries BEGIN {_ADD_NEW} END",
    f"CREATE TRIGGER entries_search_delete AFTER DELETE ON entries BEGIN {_FORGET_OLD} END",
    f"CREATE TRIGGER entries_search_update AFTER UPDATE OF {_COLUMNS} ON entries"
    f" BEGIN {_FORGET_OLD} {_ADD_NEW} END",
)


def _columns_index() -> None:
    """0013's index: six columns on PostgreSQL, an empty partial index on SQLite."""
    op.create_index(
        "ix_entries_search",
        "entries",
        list(SEARCHED),
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops" for column in SEARCHED},
        sqlite_where=sa.false(),
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_entries_search", table_name="entries")
    if dialect == "postgresql":
        op.execute(
            f"CREATE INDEX ix_entries_search ON entries USING gin"
            f" (({_POSTGRESQL_SEARCHED_TEXT}) gin_trgm_ops) WITH (gin_pending_list_limit = 256)"
        )
        return
    op.execute(
        f"CREATE VIRTUAL TABLE entries_search USING fts5({_COLUMNS}, content='',"
        " columnsize=0, detail='none', tokenize='trigram')"
    )
    op.execute(f"INSERT INTO entries_search (rowid, {_COLUMNS}) SELECT id, {_COLUMNS} FROM entries")
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_entries_search", table_name="entries")
    else:
        for name in ("entries_search_insert", "entries_search_delete", "entries_search_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE entries_search")
    _columns_index()
