"""Rate limits through `limits` (the counting library Flask-Limiter is built on): in
memory, or in Redis when REDIS_URL is set, so that several processes and hosts share the
counts. Only the views that take something count (`admit`, `hit`), so nothing runs on
the other requests: Flask-Limiter's hooks cost every request 0.1-0.2 ms for no limit.

While Redis cannot be reached, each process counts on its own (a warning is logged)
and tries Redis again every FALLBACK_SECONDS: a limit never turns a request into a 500.
"""

import logging
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 30
SHARED_STORAGE_TIMEOUT = 2  # seconds to connect to Redis or hear from it
KEY_PREFIX = "moderation"


@dataclass
class _Limiter:
    shared: FixedWindowRateLimiter  # in Redis with REDIS_URL, else in this process
    fallback: FixedWindowRateLimiter  # this process's own counts, while Redis is out of reach
    until: float = 0.0  # time.monotonic() before which Redis is not tried


def init_app(app: Flask) -> None:
    """Give the app counts of its own (several apps may live in one process); none when
    RATELIMIT_ENABLED is off."""
    limiter = None
    if app.config["RATELIMIT_ENABLED"]:
        redis_url = app.config["REDIS_URL"]
        options = {
            "key_prefix": KEY_PREFIX,
            "wrap_exceptions": True,
            "socket_connect_timeout": SHARED_STORAGE_TIMEOUT,
            "socket_timeout": SHARED_STORAGE_TIMEOUT,
        }
        storage = storage_from_string(redis_url, **options) if redis_url else MemoryStorage()
        limiter = _Limiter(FixedWindowRateLimiter(storage), FixedWindowRateLimiter(MemoryStorage()))
    app.extensions["moderation.limiter"] = limiter


def _limiter() -> _Limiter | None:
    return current_app.extensions["moderation.limiter"]


def _counted(limiter: _Limiter, method: str, item: RateLimitItem, scope: str, key: str) -> bool:
    """test or hit, on the shared counts or, while they are out of reach, on this
    process's own."""
    if time.monotonic() >= limiter.until:
        try:
            return getattr(limiter.shared, method)(item, scope, key)
        except StorageError as error:
            logger.warning(
                "Rate limit storage unreachable (%s); counting in this process for %d s",
                error.storage_error,
                FALLBACK_SECONDS,
            )
            limiter.until = time.monotonic() + FALLBACK_SECONDS
    return getattr(limiter.fallback, method)(item, scope, key)


def over_limit(limit: str, scope: str, *keys: str) -> bool:
    """True when every hit allowed by `limit` for any of the keys is used up."""
    limiter = _limiter()
    if limiter is None:
        return False
    item = parse(limit)
    return any(not _counted(limiter, "test", item, scope, key) for key in keys)


def admit(limit: str, *counters: tuple[str, str]) -> bool:
    """Count one request against each (scope, key) counter of `limit`; False, and nothing
    counted, when any of them is already used up."""
    if any(over_limit(limit, scope, key) for scope, key in counters):
        return False
    for scope, key in counters:
        hit(limit, scope, key)
    return True


def hit(limit: str, scope: str, *keys: str) -> bool:
    """Count one hit for each key; True when this hit used up the limit of any of them."""
    limiter = _limiter()
    if limiter is None:
        return False
    item = parse(limit)
    exhausted = False
    for key in keys:
        _counted(limiter, "hit", item, scope, key)
        exhausted |= not _counted(limiter, "test", item, scope, key)
    return exhausted
