"""The schema comes from Alembic alone, and the models match it."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from moderation import db
from moderation.models import Base


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
