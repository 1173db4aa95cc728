"""Alembic environment: the app's engine when run through the app, else the configured one."""

from alembic import context

from moderation.infra.models import Base, declared

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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one; with foreign keys on
            # (db.make_engine), that DROP would cascade to the rows referencing it (every
            # entry of every post, for `posts`). The pragma is ignored inside a
            # transaction, so it is set before one begins, and restored after.
            _foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_name=declared,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                _foreign_keys(connection, on=True)


def _foreign_keys(connection, on: bool) -> None:
    if connection.in_transaction():
        connection.commit()
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


run_migrations_online()
