"""The schema comes from Alembic alone, and the models match it."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import sessionmaker

from moderation.infra import db
from moderation.infra.models import Base, declared, utcnow
from moderation.rules import errors, policy
from moderation.services import comments
from tests.migrations.rows import add_post


def _differences(engine) -> list:
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": declared}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, Base.metadata)


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_database_url):
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine)
        assert {"posts", "entries", "alembic_version"} <= set(inspect(engine).get_table_names())
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(empty_database_url):
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine)
        command.downgrade(db.alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.upgrade(engine)
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_comments_stored_before_fingerprints_are_still_found_as_duplicates(empty_database_url):
    """0006 fingerprints the comments there are (a repeat among them keeps none, as the
    index is unique), the same way submissions do from then on."""
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine, "0005")
        with engine.begin() as connection:
            add_post(connection)
            for body in ("Said twice.", "Said twice.", "Déjà dit, une fois."):
                connection.execute(
                    text(
                        "INSERT INTO entries (post_id, type, status, reason, rule, author,"
                        " email, website, body, body_html, ip_address, user_agent, created,"
                        " updated) VALUES (1, 'comment', 'approved', '', '', 'Ada',"
                        " 'ada@example.net', '', :body, :body, '', '', :now, :now)"
                    ),
                    {"body": body, "now": utcnow()},
                )
        db.upgrade(engine)
        with engine.connect() as connection:
            prints = connection.execute(text("SELECT fingerprint FROM entries ORDER BY id")).all()
        assert prints[0][0] is not None and prints[1][0] is None and prints[2][0] is not None
        make_session = sessionmaker(engine)
        for said in ("Said twice.", "Déjà dit, une fois."):
            facts = policy.Facts(said, "Ada", "ada@example.net", "", "", "")
            submission = comments.Submission(facts)
            with make_session() as session, pytest.raises(errors.Duplicate):
                comments.submit_comment(session, "a-post", submission)
    finally:
        engine.dispose()
