"""0013 counts the entries already there, and its triggers keep the counts from then on."""

from sqlalchemy import text

from moderation.infra import db
from moderation.infra.models import utcnow
from tests.migrations.rows import add_post

INSERT_ENTRY = text(
    "INSERT INTO entries (post_id, type, status, reason, rule, author, email, website, body,"
    " body_html, ip_address, user_agent, created, updated) VALUES (1, 'comment', :status, '',"
    " '', 'Ada', '', '', 'Kept.', 'Kept.', '', '', :now, :now)"
)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT status, entries FROM entry_counts")).all())


def test_the_counts_start_from_the_entries_there_and_follow_every_change(empty_database_url):
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0012")
        with engine.begin() as connection:
            add_post(connection)
            for status in ("pending", "pending", "spam"):
                connection.execute(INSERT_ENTRY, {"status": status, "now": utcnow()})
        db.upgrade(engine)
        assert _counts(engine) == {"pending": 2, "spam": 1}
        with engine.begin() as connection:
            connection.execute(INSERT_ENTRY, {"status": "approved", "now": utcnow()})
            connection.execute(text("UPDATE entries SET status = 'trash' WHERE status = 'spam'"))
            connection.execute(text("DELETE FROM entries WHERE id = 1"))
        assert _counts(engine) == {"pending": 1, "approved": 1, "spam": 0, "trash": 1}
    finally:
        engine.dispose()
