"""the dashboard at scale (issue 16): entries per status kept by the database itself, the
queue's orders and filters indexed, and a trigram search on PostgreSQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

entry_counts holds one row per status, kept by triggers in the transaction of every
INSERT, UPDATE and DELETE of entries (a submit, a linkback, an import, a moderator's
action, a purge, a post's cascade), so the queue's tabs read four rows instead of
counting the table. On SQLite, Alembic's batch mode rebuilds a table without its
triggers: a later migration that rebuilds entries must create them again (_TRIGGERS).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SEARCHED = ("author", "email", "website", "ip_address", "source_url", "body")  # as the models

# SQLite: row by row (its writers take turns: no two transactions lock rows at once). A
# decrement never inserts: a missing row is 0 and stays so until an entry arrives.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER entry_counts_insert AFTER INSERT ON entries BEGIN
        INSERT INTO entry_counts (status, entries) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET entries = entries + 1;
    END""",
    """CREATE TRIGGER entry_counts_delete AFTER DELETE ON entries BEGIN
        UPDATE entry_counts SET entries = entries - 1 WHERE status = OLD.status;
    END""",
    """CREATE TRIGGER entry_counts_update AFTER UPDATE OF status ON entries
    WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE entry_counts SET entries = entries - 1 WHERE status = OLD.status;
        INSERT INTO entry_counts (status, entries) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET entries = entries + 1;
    END""",
)

# PostgreSQL: once per statement (a bulk action on 500 entries changes at most four rows),
# in the order of the statuses, so that two transactions lock the rows in one order.
_POSTGRESQL_FUNCTION = """
CREATE FUNCTION entry_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO entry_counts (status, entries)
        SELECT status, count(*) FROM new_entries GROUP BY status ORDER BY status
        ON CONFLICT (status) DO UPDATE SET entries = entry_counts.entries + excluded.entries;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO entry_counts (status, entries)
        SELECT status, -count(*) FROM old_entries
        WHERE status IN (SELECT status FROM entry_counts) GROUP BY status ORDER BY status
        ON CONFLICT (status) DO UPDATE SET entries = entry_counts.entries + excluded.entries;
    ELSE
        INSERT INTO entry_counts (status, entries)
        SELECT status, sum(change) FROM (
            SELECT status, 1 AS change FROM new_entries
            UNION ALL SELECT status, -1 FROM old_entries
        ) AS changes GROUP BY status HAVING sum(change) <> 0 ORDER BY status
        ON CONFLICT (status) DO UPDATE SET entries = entry_counts.entries + excluded.entries;
    END IF;
    RETURN NULL;
END
$$"""
_POSTGRESQL_TRIGGERS = (
    """CREATE TRIGGER entry_counts_insert AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION entry_counts_change()""",
    """CREATE TRIGGER entry_counts_delete AFTER DELETE ON entries
    REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION entry_counts_change()""",
    """CREATE TRIGGER entry_counts_update AFTER UPDATE ON entries
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION entry_counts_change()""",
)
_TRIGGERS = {
    "sqlite": _SQLITE_TRIGGERS,
    "postgresql": (_POSTGRESQL_FUNCTION,) + _POSTGRESQL_TRIGGERS,
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "entry_counts",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status"),
    )
    op.execute(
        "INSERT INTO entry_counts (status, entries)"
        " SELECT status, count(*) FROM entries GROUP BY status"
    )
    for statement in _TRIGGERS[dialect]:
        op.execute(statement)
    # "All" (pending and approved) newest first, and the rule filter with its count.
    op.create_index("ix_entries_created_id", "entries", ["created", "id"])
    op.create_index("ix_entries_rule_status_created", "entries", ["rule", "status", "created"])
    if dialect == "postgresql":
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Substrings of any searched column, through ILIKE; SQLite has no such index and
    # searches with LIKE, so there it is an empty partial index, as the models say.
    op.create_index(
        "ix_entries_search",
        "entries",
        list(SEARCHED),
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops" for column in SEARCHED},
        sqlite_where=sa.false(),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_entries_search", table_name="entries")
    op.drop_index("ix_entries_rule_status_created", table_name="entries")
    op.drop_index("ix_entries_created_id", table_name="entries")
    for name in ("entry_counts_insert", "entry_counts_delete", "entry_counts_update"):
        op.execute(f"DROP TRIGGER {name}" + (" ON entries" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        # pg_trgm stays: the database's other schemas may use it.
        op.execute("DROP FUNCTION entry_counts_change()")
    op.drop_table("entry_counts")
