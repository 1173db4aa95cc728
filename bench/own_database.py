"""A PostgreSQL database of a benchmark's own, beside the one a URL names, dropped after."""

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, make_url, text


@contextlib.contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new database on the server of `server_url`; its URL, and it is dropped after."""
    base = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
