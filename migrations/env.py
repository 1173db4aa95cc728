"""Alembic environment: the app's engine when run through the app, else the configured one."""

from alembic import context

from moderation.infra.models import Base

target_metadata = Base.metadata


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    # Run as plain `alembic ...` from the repo root: use the app's configured database.
    from moderation import create_app
    from moderation.infra.db import make_engine

    return make_engine(create_app().config["DATABASE_URL"])


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
