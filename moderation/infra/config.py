"""Configuration: defaults, then the environment (SPEC §2 (Configuration): environment
variable = config key, all optional), then test overrides."""

import contextlib
import math
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import limits

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "SECRET_KEY": None,  # None: generated once into the instance folder
    "SITE_URL": None,  # None: the request's host, when TRUSTED_HOSTS vouches for it
    "TRUSTED_HOSTS": None,  # Flask's own: other Host headers get 400
    "LINKBACK_ALLOW_PRIVATE_HOSTS": False,
    "LINKBACK_FETCH_TIMEOUT": 10.0,
    "LINKBACK_MAX_BYTES": 1_048_576,
    "LINKBACK_MAX_REDIRECTS": 5,
    "LINKBACK_RATE_LIMIT": "20 per minute",  # per caller IP and per source host
    "REDIS_URL": None,
    "TRUSTED_PROXIES": 0,
    "RATELIMIT_ENABLED": True,
    "COMMENT_FLOOD_SECONDS": 15,  # 0: off
    "COMMENT_RATE_LIMIT": "10 per minute",  # comment form posts per IP
    "PREVIEW_RATE_LIMIT": "60 per minute",  # the JSON API's previews per IP (sanitising costs)
    "COMMENT_FORM_MIN_SECONDS": 3.0,  # sent sooner after the form was shown: spam
    "COMMENT_FORM_MAX_SECONDS": 7200.0,  # shown longer ago: refused, to be sent again
    "PAGE_MAX_AGE": 60,  # seconds a CDN may keep a public read (thread JSON, feeds, frame)
    "REVALIDATE_SECONDS": 1,  # a 304 answered again without a query for this long; 0: off
    "LOGIN_RATE_LIMIT": "10 per minute",
    # The job queue that verifies webmentions and trackbacks (SPEC §3 (Linkbacks)):
    # threads per serving process when there is no REDIS_URL.
    "JOB_WORKERS": 2,  # 0: no pool in the app; `flask worker` runs the jobs
    "JOB_MAX_ATTEMPTS": 5,
    "JOB_RETRY_SECONDS": 60.0,  # the first retry's delay, doubling each attempt
    "JOB_LEASE_SECONDS": 300.0,  # a job running longer is taken as abandoned by a dead process
    "JOB_POLL_SECONDS": 5.0,  # how often an idle worker looks for retries that came due
    "JOB_QUEUE_NAME": "moderation",  # the RQ queue, with REDIS_URL
    # Mail (issue 14). No MAIL_URL: each message is an .eml file in instance/outbox/.
    "MAIL_URL": None,  # smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465
    "MAIL_FROM": "moderation@localhost",
    "MAIL_TIMEOUT": 10.0,  # seconds for each conversation with the SMTP server
    "MAIL_ACTION_MAX_AGE": 604_800,  # seconds a mail's Approve/Spam/Trash link works: 7 days
    "MAIL_DAILY_CAP": 10,  # mails to one reader's address a day; 0: no cap
    "MAIL_DIGEST_HOUR": 8,  # the hour (UTC, 0-23) the moderators' daily digest goes out
    "WEBHOOK_ALLOW_PRIVATE_HOSTS": False,  # let webhooks POST to loopback/private addresses
    "WEBHOOK_TIMEOUT": 10.0,  # seconds for each webhook POST
    # Personal data (issue 15): what the daily maintenance keeps, and for how long.
    "IP_RETENTION_DAYS": 30,  # then IPs become their /24 or /48, user agents go; 0: keep
    "PURGE_AFTER_DAYS": 30,  # then spam and trash are deleted; 0: keep
    "MAINTENANCE_HOUR": 3,  # the hour (UTC, 0-23) the daily maintenance job runs
    "DATA_REQUEST_RATE_LIMIT": "5 per hour",  # "Your data" requests per IP and per address
    # Flask's own settings that the service fixes.
    "MAX_CONTENT_LENGTH": 1_048_576,  # a whole form post; a comment is at most 65,525 bytes
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
}


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected a whole number of 0 or more, got {value!r}")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return number


def _rate_limit(value: str) -> str:
    """A rate such as "10 per minute" (limits.parse), checked now rather than at first use."""
    limits.parse(value)  # raises ValueError
    return value.strip()


def _mail_url(value: str) -> str | None:
    """smtp:// or smtps:// with a host; the password stays in the URL (percent-encoded)."""
    url = _text(value)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("expected smtp://user:pass@host:587 or smtps://user:pass@host:465")
    parts.port  # noqa: B018 (raises ValueError on a port that is no number)
    return url


def _mail_from(value: str) -> str:
    """An address, with or without a name: "Blog comments <comments@example.com>"."""
    _, address = parseaddr(value)
    if "@" not in address:
        raise ValueError(f"expected an address such as comments@example.com, got {value!r}")
    return value.strip()


def _moment(value: str) -> int:
    """REVALIDATE_SECONDS: up to an hour; longer would outlast any sensible PAGE_MAX_AGE."""
    seconds = _count(value)
    if seconds > 3600:
        raise ValueError(f"expected a whole number of seconds from 0 to 3600, got {value!r}")
    return seconds


def _hour(value: str) -> int:
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"expected an hour from 0 to 23, got {value!r}")
    return hour


def _text(value: str) -> str | None:
    return value.strip() or None


def _host_names(value: str) -> list[str] | None:
    """Host names separated by commas, as Flask's TRUSTED_HOSTS takes them; none is unset."""
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    for name in names:
        if "/" in name or any(character.isspace() for character in name):
            raise ValueError(f"expected host names such as blog.example.com, got {name!r}")
    return names or None


PARSERS: dict[str, Callable[[str], Any]] = {
    "DATABASE_URL": _text,
    "SECRET_KEY": _text,
    "SITE_URL": lambda value: (_text(value) or "").rstrip("/") or None,
    "TRUSTED_HOSTS": _host_names,
    "LINKBACK_ALLOW_PRIVATE_HOSTS": _boolean,
    "LINKBACK_FETCH_TIMEOUT": _seconds,
    "LINKBACK_MAX_BYTES": _count,
    "LINKBACK_MAX_REDIRECTS": _count,
    "LINKBACK_RATE_LIMIT": _rate_limit,
    "REDIS_URL": _text,
    "TRUSTED_PROXIES": _count,
    "RATELIMIT_ENABLED": _boolean,
    "COMMENT_FLOOD_SECONDS": _count,
    "PAGE_MAX_AGE": _count,
    "REVALIDATE_SECONDS": _moment,
    "COMMENT_RATE_LIMIT": _rate_limit,
    "PREVIEW_RATE_LIMIT": _rate_limit,
    "COMMENT_FORM_MIN_SECONDS": lambda value: _seconds(value) if float(value) else 0.0,
    "COMMENT_FORM_MAX_SECONDS": _seconds,
    "LOGIN_RATE_LIMIT": _rate_limit,
    "JOB_WORKERS": _count,
    "JOB_MAX_ATTEMPTS": _count,
    "JOB_RETRY_SECONDS": _seconds,
    "JOB_LEASE_SECONDS": _seconds,
    "JOB_POLL_SECONDS": _seconds,
    "JOB_QUEUE_NAME": _text,
    "MAIL_URL": _mail_url,
    "MAIL_FROM": _mail_from,
    "MAIL_TIMEOUT": _seconds,
    "MAIL_ACTION_MAX_AGE": lambda value: int(_seconds(value)),
    "MAIL_DAILY_CAP": _count,
    "MAIL_DIGEST_HOUR": _hour,
    "WEBHOOK_ALLOW_PRIVATE_HOSTS": _boolean,
    "WEBHOOK_TIMEOUT": _seconds,
    "IP_RETENTION_DAYS": _count,
    "PURGE_AFTER_DAYS": _count,
    "MAINTENANCE_HOUR": _hour,
    "DATA_REQUEST_RATE_LIMIT": _rate_limit,
}


class ConfigError(ValueError):
    """An environment variable could not be parsed."""


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse the known keys present in the environment; unknown keys are ignored."""
    parsed: dict[str, Any] = {}
    for key, parse in PARSERS.items():
        if key in environ:
            try:
                parsed[key] = parse(environ[key])
            except ValueError as error:
                raise ConfigError(f"{key}: {error}") from error
    return parsed


def resolve(instance_path: str, test_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Layer defaults, environment and test_config; fill in the database URL and secret."""
    config = dict(DEFAULTS)
    config.update(from_environment(os.environ))
    config.update(test_config or {})
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'moderation.db'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = instance_secret(Path(instance_path))
    return config


def instance_secret(instance_path: Path) -> str:
    """Return the secret kept in the instance folder, creating it on first use."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, draft_name = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        draft = Path(draft_name)  # mkstemp: mode 0600 and a name of this thread's own
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        # A hard link is atomic and refuses to replace: when processes start at once,
        # the first complete file wins and every process reads that one.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()
