"""0009 (sites) adds posts.site_id: on SQLite by copying `posts`, which must cascade to
no entry (migrations/env.py turns foreign keys off while migrating)."""

from sqlalchemy import text

from moderation.infra import db
from moderation.infra.models import utcnow
from tests.migrations.rows import add_post


def test_posts_keep_their_entries_through_the_sites_migration(empty_database_url):
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0008")
        with engine.begin() as connection:
            add_post(connection, "https://blog.example/a-post/")
            connection.execute(
                text(
                    "INSERT INTO entries (post_id, type, status, reason, rule, author, email,"
                    " website, body, body_html, ip_address, user_agent, created, updated)"
                    " VALUES (1, 'comment', 'approved', '', '', 'Ada', '', '', 'Kept.',"
                    " 'Kept.', '', '', :now, :now)"
                ),
                {"now": utcnow()},
            )
        db.upgrade(engine)
        with engine.connect() as connection:
            posts = connection.execute(text("SELECT slug, url, site_id FROM posts")).all()
            kept = connection.execute(text("SELECT post_id, body FROM entries")).all()
            if engine.dialect.name == "sqlite":  # on again once the migrations are done
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert posts == [("a-post", "https://blog.example/a-post/", None)]
        assert kept == [(1, "Kept.")]
    finally:
        engine.dispose()
