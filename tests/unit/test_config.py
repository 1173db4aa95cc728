"""Configuration (SPEC §2 (Configuration): environment variable = config key, all
optional; create_app(test_config) takes the same keys): typed environment parsing,
layering, the instance secret."""

import contextlib
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from moderation.infra import config
from moderation.infra.config import ConfigError, from_environment, instance_secret, resolve

SPEC_KEYS = [
    "DATABASE_URL",
    "SECRET_KEY",
    "SITE_URL",
    "TRUSTED_HOSTS",
    "LINKBACK_ALLOW_PRIVATE_HOSTS",
    "LINKBACK_FETCH_TIMEOUT",
    "LINKBACK_MAX_BYTES",
    "LINKBACK_MAX_REDIRECTS",
    "REDIS_URL",
    "TRUSTED_PROXIES",
    "RATELIMIT_ENABLED",
    "COMMENT_FLOOD_SECONDS",
    "LOGIN_RATE_LIMIT",
    "MAIL_URL",
    "MAIL_FROM",
    "MAIL_ACTION_MAX_AGE",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Keep the developer's or CI's own settings out of resolve()."""
    for key in SPEC_KEYS:
        monkeypatch.delenv(key, raising=False)


# from_environment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "true", True),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "false", False),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "1", True),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "0", False),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "yes", True),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "no", False),
        ("RATELIMIT_ENABLED", "TRUE", True),
        ("RATELIMIT_ENABLED", " No ", False),
        ("RATELIMIT_ENABLED", "false", False),
        ("LINKBACK_FETCH_TIMEOUT", "2.5", 2.5),
        ("LINKBACK_FETCH_TIMEOUT", "10", 10.0),
        ("LINKBACK_MAX_BYTES", "2048", 2048),
        ("LINKBACK_MAX_REDIRECTS", "3", 3),
        ("LINKBACK_MAX_REDIRECTS", "0", 0),
        ("TRUSTED_PROXIES", "2", 2),
        ("COMMENT_FLOOD_SECONDS", "30", 30),
        ("DATABASE_URL", "postgresql+psycopg://mod@db/mod", "postgresql+psycopg://mod@db/mod"),
        ("SECRET_KEY", "a secret", "a secret"),
        ("SITE_URL", "https://blog.example.com", "https://blog.example.com"),
        ("REDIS_URL", "redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("LOGIN_RATE_LIMIT", "5 per minute", "5 per minute"),
        ("MAIL_URL", "smtp://user:p%40ss@mail.example:587", "smtp://user:p%40ss@mail.example:587"),
        ("MAIL_URL", "smtps://mail.example", "smtps://mail.example"),
        ("MAIL_URL", " ", None),
        ("MAIL_FROM", "Blog <comments@blog.example>", "Blog <comments@blog.example>"),
        ("MAIL_ACTION_MAX_AGE", "86400", 86400),
        ("MAIL_DAILY_CAP", "0", 0),
        ("MAIL_DIGEST_HOUR", "23", 23),
        ("REVALIDATE_SECONDS", "0", 0),
        ("REVALIDATE_SECONDS", "3600", 3600),
        ("WEBHOOK_ALLOW_PRIVATE_HOSTS", "true", True),
    ],
)
def test_environment_value_is_parsed_with_its_type(key, raw, value):
    parsed = from_environment({key: raw})
    assert parsed == {key: value}
    assert type(parsed[key]) is type(value)


def test_site_url_loses_its_trailing_slash():
    assert from_environment({"SITE_URL": "https://blog.example.com/"}) == {
        "SITE_URL": "https://blog.example.com"
    }


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("blog.example.com", ["blog.example.com"]),
        ("127.0.0.1, localhost", ["127.0.0.1", "localhost"]),
        ("Blog.Example.com,,.example.org,", ["blog.example.com", ".example.org"]),
        (" , ", None),
    ],
)
def test_trusted_hosts_is_a_comma_separated_list_of_host_names(raw, names):
    assert from_environment({"TRUSTED_HOSTS": raw}) == {"TRUSTED_HOSTS": names}


@pytest.mark.parametrize("raw", ["https://blog.example.com", "blog.example.com/comments", "a b"])
def test_trusted_hosts_refuses_what_is_not_a_host_name(raw):
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        from_environment({"TRUSTED_HOSTS": raw})


@pytest.mark.parametrize("key", ["DATABASE_URL", "SECRET_KEY", "SITE_URL", "REDIS_URL"])
def test_empty_text_value_counts_as_unset(key):
    assert from_environment({key: "  "}) == {key: None}


def test_every_spec_key_is_read_from_the_environment():
    environ = {
        "DATABASE_URL": "sqlite:///x.db",
        "SECRET_KEY": "s",
        "SITE_URL": "https://blog.example.com",
        "TRUSTED_HOSTS": "blog.example.com",
        "LINKBACK_ALLOW_PRIVATE_HOSTS": "yes",
        "LINKBACK_FETCH_TIMEOUT": "1.5",
        "LINKBACK_MAX_BYTES": "100",
        "LINKBACK_MAX_REDIRECTS": "1",
        "REDIS_URL": "redis://r",
        "TRUSTED_PROXIES": "1",
        "RATELIMIT_ENABLED": "no",
        "COMMENT_FLOOD_SECONDS": "5",
        "LOGIN_RATE_LIMIT": "3 per hour",
        "MAIL_URL": "smtp://mail.example",
        "MAIL_FROM": "comments@blog.example",
        "MAIL_ACTION_MAX_AGE": "3600",
    }
    assert sorted(from_environment(environ)) == sorted(SPEC_KEYS)


def test_unknown_keys_are_ignored():
    environ = {
        "PATH": "/usr/bin",
        "FLASK_DEBUG": "1",
        "TESTING": "true",
        "SECRET_KEY_FILE": "/run/secret",
        "linkback_max_bytes": "5",
        "MAX_CONTENT_LENGTH": "1",
    }
    assert from_environment(environ) == {}


def test_absent_keys_are_left_out():
    assert from_environment({"TRUSTED_PROXIES": "1"}) == {"TRUSTED_PROXIES": 1}


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "maybe"),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", "2"),
        ("RATELIMIT_ENABLED", "enabled"),
        ("LINKBACK_FETCH_TIMEOUT", "ten"),
        ("LINKBACK_FETCH_TIMEOUT", "10s"),
        ("LINKBACK_MAX_BYTES", "1.5"),
        ("LINKBACK_MAX_BYTES", "1MB"),
        ("LINKBACK_MAX_REDIRECTS", ""),
        ("TRUSTED_PROXIES", "one"),
        ("COMMENT_FLOOD_SECONDS", "15 seconds"),
        ("TRUSTED_PROXIES", "-3"),
        ("LOGIN_RATE_LIMIT", "ten a minute"),
        ("LOGIN_RATE_LIMIT", ""),
        ("COMMENT_FLOOD_SECONDS", "-1"),
        ("LINKBACK_FETCH_TIMEOUT", "0"),
        ("LINKBACK_FETCH_TIMEOUT", "nan"),
        ("LINKBACK_FETCH_TIMEOUT", "inf"),
        ("MAIL_URL", "mail.example:587"),
        ("MAIL_URL", "https://mail.example"),
        ("MAIL_URL", "smtp://mail.example:port"),
        ("MAIL_URL", "smtp:///no-host"),
        ("MAIL_FROM", "comments"),
        ("MAIL_ACTION_MAX_AGE", "0"),
        ("MAIL_DAILY_CAP", "-1"),
        ("MAIL_DIGEST_HOUR", "24"),
        ("REVALIDATE_SECONDS", "-1"),
        ("REVALIDATE_SECONDS", "3601"),
        ("REVALIDATE_SECONDS", "9" * 4000),  # once past the clock's float: a 500 per 304
    ],
)
def test_bad_value_raises_config_error_naming_the_key(key, raw):
    with pytest.raises(ConfigError, match=key):
        from_environment({key: raw})


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        from_environment({"TRUSTED_PROXIES": "x"})


# resolve ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "default"),
    [
        ("SITE_URL", None),
        ("TRUSTED_HOSTS", None),
        ("LINKBACK_ALLOW_PRIVATE_HOSTS", False),
        ("LINKBACK_FETCH_TIMEOUT", 10),
        ("LINKBACK_MAX_BYTES", 1_048_576),
        ("LINKBACK_MAX_REDIRECTS", 5),
        ("REDIS_URL", None),
        ("TRUSTED_PROXIES", 0),
        ("RATELIMIT_ENABLED", True),
        ("COMMENT_FLOOD_SECONDS", 15),
        ("LOGIN_RATE_LIMIT", "10 per minute"),
        ("MAIL_URL", None),
        ("MAIL_ACTION_MAX_AGE", 7 * 24 * 3600),
    ],
)
def test_spec_default_applies_when_nothing_is_set(tmp_path, key, default):
    assert resolve(str(tmp_path), None)[key] == default


def test_environment_overrides_default(tmp_path, monkeypatch):
    monkeypatch.setenv("LINKBACK_MAX_REDIRECTS", "2")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    resolved = resolve(str(tmp_path), None)
    assert (resolved["LINKBACK_MAX_REDIRECTS"], resolved["RATELIMIT_ENABLED"]) == (2, False)


def test_test_config_overrides_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LINKBACK_MAX_REDIRECTS", "2")
    resolved = resolve(str(tmp_path), {"LINKBACK_MAX_REDIRECTS": 7})
    assert resolved["LINKBACK_MAX_REDIRECTS"] == 7


def test_test_config_may_add_flask_keys(tmp_path):
    resolved = resolve(str(tmp_path), {"TESTING": True, "WTF_CSRF_ENABLED": False})
    assert (resolved["TESTING"], resolved["WTF_CSRF_ENABLED"]) == (True, False)


def test_bad_environment_value_stops_resolve(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMENT_FLOOD_SECONDS", "soon")
    with pytest.raises(ConfigError, match="COMMENT_FLOOD_SECONDS"):
        resolve(str(tmp_path), None)


def test_resolve_does_not_change_the_defaults(tmp_path):
    before = dict(config.DEFAULTS)
    resolve(str(tmp_path), {"LINKBACK_MAX_REDIRECTS": 7, "TESTING": True})
    assert before == config.DEFAULTS


def test_database_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    url = resolve(str(tmp_path), None)["DATABASE_URL"]
    assert url.startswith("sqlite:///")
    assert Path(url.removeprefix("sqlite:///")).parent == tmp_path


def test_database_url_from_the_environment_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://mod@db/moderation")
    url = resolve(str(tmp_path), None)["DATABASE_URL"]
    assert url == "postgresql+psycopg://mod@db/moderation"


def test_database_url_from_test_config_is_kept(tmp_path):
    url = resolve(str(tmp_path), {"DATABASE_URL": "sqlite:///elsewhere.db"})["DATABASE_URL"]
    assert url == "sqlite:///elsewhere.db"


def test_secret_key_is_generated_into_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"  # not there yet: resolve creates it
    secret = resolve(str(instance), None)["SECRET_KEY"]
    assert len(secret) >= 32
    assert (instance / "secret_key").read_text().strip() == secret


def test_secret_key_file_is_private(tmp_path):
    resolve(str(tmp_path), None)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_secret_key_is_the_same_on_a_second_call(tmp_path):
    first = resolve(str(tmp_path), None)["SECRET_KEY"]
    assert resolve(str(tmp_path), None)["SECRET_KEY"] == first


def test_each_instance_gets_its_own_secret(tmp_path):
    assert instance_secret(tmp_path / "one") != instance_secret(tmp_path / "two")


def test_secret_generation_leaves_no_draft_behind(tmp_path):
    instance_secret(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key"]


def test_secret_key_from_the_environment_is_used_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from outside")
    assert resolve(str(tmp_path), None)["SECRET_KEY"] == "from outside"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_from_test_config_is_used_and_nothing_is_written(tmp_path):
    assert resolve(str(tmp_path), {"SECRET_KEY": "test"})["SECRET_KEY"] == "test"
    assert not (tmp_path / "secret_key").exists()


THREADS = 8


def test_instance_secret_is_safe_from_several_threads(tmp_path, monkeypatch):
    # Hold every thread at the moment it publishes its secret until all have arrived,
    # so that the threads really do overlap; give up waiting after two seconds, so
    # an implementation that serialises them (a lock) is not held up.
    arrived = threading.Barrier(THREADS, timeout=2)
    publish = os.link

    def link_when_all_arrived(source, destination, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            arrived.wait()
        return publish(source, destination, *args, **kwargs)

    monkeypatch.setattr(config.os, "link", link_when_all_arrived)
    instance = tmp_path / "instance"
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(instance_secret, instance) for _ in range(THREADS)]
    secrets = [future.result() for future in futures]
    assert len(set(secrets)) == 1
    assert secrets[0] == (instance / "secret_key").read_text().strip()
