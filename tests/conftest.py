"""Shared fixtures: an app on a real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), a client, a CLI runner, a post, a live server, logged-in
moderators, and Redis for the tests marked `redis`."""

import functools
import gc
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from moderation import create_app
from moderation.infra import db, jobs
from moderation.infra.models import Base
from moderation.services import accounts, posts
from moderation.web import intake, revalidation
from moderation.web.api import views as api
from tests.forms import submit_form
from tests.mailserver import mail_server  # noqa: F401 (a fixture: a real SMTP server)
from tests.sources import source_server  # noqa: F401 (a fixture: sources for linkback tests)

# Each test builds an app (URL map, templates, engine): with the default thresholds the
# collector's full passes over them took about a sixth of the suite's time.
gc.set_threshold(20_000, 50, 100)


class _CompiledTemplates(BytecodeCache):
    """The templates compiled once per test process, not once per app: each test builds
    an app, and compiling its templates afresh took about a quarter of an HTTP test's
    time. Jinja checks each template's source against what it compiled."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_sessionstart(session: pytest.Session) -> None:
    """With TEST_DATABASE_URL, see that the server answers before any test or worker
    starts: CI must fail, not skip, when PostgreSQL is unreachable."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or hasattr(session.config, "workerinput"):  # an xdist worker: checked
        return
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        pytest.exit(f"TEST_DATABASE_URL is set but unreachable: {error}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this run's own on the server of TEST_DATABASE_URL, dropped at the end."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"moderation_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    """A database migrated to head once per backend; each test empties it afterwards."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    return url


@contextmanager
def new_database(postgres_url: str | None, tmp_path, name: str) -> Iterator[str]:
    """A brand-new database with no tables: a SQLite file, or with `postgres_url` a
    PostgreSQL database beside that one, dropped afterwards."""
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    base = make_url(postgres_url)
    database = f"{base.database}_{name}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield base.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A brand-new database with no tables, per backend, dropped afterwards."""
    postgres = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    with new_database(postgres, tmp_path, "empty") as url:
        yield url


def _empty(app) -> None:
    with db_engine(app).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def db_engine(app):
    return app.extensions["moderation.engine"]


@pytest.fixture
def make_app(database_url, tmp_path) -> Iterator[Callable[..., object]]:
    """Build apps on the test database with config overrides; emptied and disposed after."""
    apps = []

    def build(**overrides):
        """The app as `make run` and production build it: CSRF, the form time trap, the
        flood rule and rate limits all on. A test that needs one off names it here."""
        config = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            # Deployed as `flask worker` beside the app: no job threads unless asked for.
            "JOB_WORKERS": 0,
            **overrides,
        }
        app = create_app(config)
        app.instance_path = str(tmp_path / "instance")
        app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
        apps.append(app)
        return app

    yield build
    for app in apps:
        jobs.stop(app)  # before the rows go: no thread works an emptied database
    if apps:
        _empty(apps[0])
    for app in apps:
        db_engine(app).dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def post(app):
    """An open post, created through the service."""
    with app.app_context():
        session = db.get_session()
        created = posts.create_post(session, "a-post", "A Post", "<p>The article.</p>")
        session.commit()
        return created


@pytest.fixture
def other_post(app):
    with app.app_context():
        session = db.get_session()
        created = posts.create_post(session, "another-post", "Another Post")
        session.commit()
        return created


@pytest.fixture
def count_queries(app) -> Callable:
    """Count the SQL statements run inside a `with count_queries() as counted:` block."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db_engine(app)
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 by a threaded server; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


MODERATOR_PASSWORD = "correct horse battery staple"


class ReaderClock:
    """The clock the comment form's time trap reads: a test moves it forward as a
    reader who spends that long on the form, instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> ReaderClock:
    """The form's `shown` stamp and its check both read this clock (intake.time.time),
    and so do the JSON API's stamp, its check and the reader's token (api.time.time)."""
    reader_clock = ReaderClock()
    monkeypatch.setattr(intake, "time", reader_clock)
    monkeypatch.setattr(api, "time", reader_clock)
    monkeypatch.setattr(revalidation, "time", reader_clock)  # how long a 304 is kept
    return reader_clock


@pytest.fixture(autouse=True)
def cheaper_password_hashing(monkeypatch):
    """Still scrypt, with a smaller work factor: hundreds of tests log in."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")


def create_moderator(app, username: str = "mod", admin: bool = False):
    with app.app_context():
        session = db.get_session()
        moderator = accounts.create_moderator(session, username, MODERATOR_PASSWORD, admin)
        session.commit()
        return moderator


def send_login(
    client, username: str = "mod", password: str = MODERATOR_PASSWORD, request=None, **fields
):
    """Send the login form the page rendered, token included, and return the answer;
    `request` holds the test client's options (environ_base, base_url, headers…)."""
    return submit_form(
        client,
        "/moderation/login",
        "form.login",
        request=request,
        username=username,
        password=password,
        **fields,
    )


def log_in(app, username: str = "mod", password: str = MODERATOR_PASSWORD, client=None):
    """A client (a new one by default) logged in through the login form the page rendered,
    token included."""
    client = client or app.test_client()
    response = send_login(client, username, password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def logged_in(app) -> Callable[..., FlaskClient]:
    """Create a moderator and return a new client logged in as them:
    `boss = logged_in("boss", admin=True)`."""

    def log_in_as(username: str = "mod", admin: bool = False) -> FlaskClient:
        create_moderator(app, username, admin)
        return log_in(app, username)

    return log_in_as


@pytest.fixture
def moderator(logged_in) -> FlaskClient:
    """A test client logged in as the moderator "mod"."""
    return logged_in()


REDIS_URL = "redis://127.0.0.1:6379/0"


@functools.cache
def _redis_unreachable() -> str | None:
    """Why the Redis server at REDIS_URL cannot be reached; None when it answers."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"Redis at {REDIS_URL} is unreachable: {error}"
    finally:
        client.close()
    return None


def require_redis() -> None:
    """Skip the test when Redis cannot be reached, unless REQUIRE_REDIS is set (CI), where
    that is a failure."""
    reason = _redis_unreachable()
    if reason is None:
        return
    if os.environ.get("REQUIRE_REDIS"):
        pytest.fail(f"REQUIRE_REDIS is set but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `redis` needs the server at REDIS_URL (see require_redis)."""
    if item.get_closest_marker("redis") is not None:
        require_redis()


@pytest.fixture
def rq_queue() -> Iterator[str]:
    """A queue name of this test's own, on the Redis at REDIS_URL (require_redis). After
    the test, every Redis key named after it is removed, and the signal handlers the RQ
    worker installed are put back."""
    require_redis()
    name = f"moderation-test-{uuid.uuid4().hex[:12]}"
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield name
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.srem("rq:queues", f"rq:queue:{name}")
    client.close()
