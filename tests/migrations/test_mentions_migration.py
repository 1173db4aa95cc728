"""0010 lets a mention wait with no post (a webmention to a page of a registered site
that has no thread yet): on SQLite by copying `mentions`, which must keep its rows; the
downgrade drops the mentions that have no post, which the old schema cannot hold."""

from alembic import command
from sqlalchemy import text

from moderation.infra import db
from moderation.infra.models import utcnow
from tests.migrations.rows import add_post

MENTION = text(
    "INSERT INTO mentions (token, type, state, reason, source, target, post_id, title,"
    " excerpt, blog_name, ip_address, user_agent, created, updated) VALUES (:token,"
    " 'webmention', 'queued', '', 'https://a.example/s', :target, :post_id, '', '', '', '',"
    " '', :now, :now)"
)


def test_mentions_keep_their_post_through_0010_and_may_then_have_none(empty_database_url):
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0009")
        with engine.begin() as connection:
            add_post(connection)
            connection.execute(
                MENTION,
                {"token": "kept", "target": "https://x/a-post/", "post_id": 1, "now": utcnow()},
            )
        db.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                MENTION,
                {
                    "token": "waits",
                    "target": "https://blog.example/p",
                    "post_id": None,
                    "now": utcnow(),
                },
            )
            rows = connection.execute(text("SELECT token, post_id FROM mentions ORDER BY id"))
            assert rows.all() == [("kept", 1), ("waits", None)]
        command.downgrade(db.alembic_config(engine), "0009")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT token, post_id FROM mentions")).all()
            if engine.dialect.name == "sqlite":  # on again once the migrations are done
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert rows == [("kept", 1)]
    finally:
        engine.dispose()
