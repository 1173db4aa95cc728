"""0014 indexes the entries already there for the queue's search, keeps the index from
then on (SQLite: by triggers), and its downgrade gives 0013's index back."""

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from moderation.infra import db
from moderation.infra.models import utcnow
from moderation.services import queue, queue_search
from tests.migrations.rows import add_post

INSERT_ENTRY = text(
    "INSERT INTO entries (post_id, type, status, reason, rule, author, email, website, body,"
    " body_html, ip_address, user_agent, created, updated) VALUES (1, 'comment', 'pending',"
    " '', '', :author, '', '', :body, '', '', '', :now, :now)"
)


def _found(engine, term: str) -> list[int]:
    """The ids the queue's search finds, as the dashboard searches (every status)."""
    with Session(engine) as session:
        wanted = queue.QueueFilter(tab=queue.ANY, search=term)
        return sorted(row.id for row in queue.queue_rows(session, wanted))


def _indexed(engine, term: str) -> list[int]:
    """SQLite: the ids the FTS5 table holds the term's trigrams for (stale ones included,
    which the search's LIKE would hide)."""
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT rowid FROM entries_search WHERE entries_search MATCH :match"),
            {"match": queue_search.trigrams_match(term)},
        )
        return sorted(found.scalars())


def _add(engine, author: str, body: str) -> None:
    with engine.begin() as connection:
        connection.execute(INSERT_ENTRY, {"author": author, "body": body, "now": utcnow()})


def _search_objects(engine) -> set[str]:
    """The search's index, and on SQLite its table and triggers, by name."""
    inspector = inspect(engine)
    names = {index["name"] for index in inspector.get_indexes("entries")}
    names |= set(inspector.get_table_names())
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            triggers = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            )
            names |= set(triggers.scalars())
    return {name for name in names if "entries_search" in name}


def test_the_search_index_holds_the_entries_before_it_and_follows_every_change(
    empty_database_url,
):
    engine = db.make_engine(empty_database_url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        db.upgrade(engine, "0013")
        with engine.begin() as connection:
            add_post(connection)
        _add(engine, "Grace Hopper", "A compiler bug")  # 1
        _add(engine, "Ada Lovelace", "Notes on a compiler")  # 2
        db.upgrade(engine)
        assert _found(engine, "compiler") == [1, 2]
        assert _found(engine, "LOVELACE") == [2]

        _add(engine, "Alan Turing", "Yet another compiler")  # 3
        with engine.begin() as connection:
            connection.execute(text("UPDATE entries SET body = 'A linker bug' WHERE id = 1"))
            connection.execute(text("UPDATE entries SET status = 'spam' WHERE id = 3"))
            connection.execute(text("DELETE FROM entries WHERE id = 2"))
        assert _found(engine, "compiler") == [3]
        assert _found(engine, "linker") == [1]
        assert _found(engine, "Lovelace") == []
        if sqlite:  # the triggers forgot the old text and the deleted entry
            assert _indexed(engine, "compiler") == [3]
            assert _indexed(engine, "Lovelace") == []

        command.downgrade(db.alembic_config(engine), "0013")
        assert _search_objects(engine) == {"ix_entries_search"}  # 0013's, on either database
        db.upgrade(engine)
        expected = {"entries_search", "entries_search_insert", "entries_search_delete"}
        expected |= {"entries_search_update", "entries_search_config", "entries_search_data"}
        expected |= {"entries_search_idx"}
        assert _search_objects(engine) == (expected if sqlite else {"ix_entries_search"})
        assert _found(engine, "linker") == [1]
        assert _found(engine, "compiler") == [3]
    finally:
        engine.dispose()
