"""Rate limits through Flask-Limiter: in memory, or in Redis when REDIS_URL is set,
so that several processes and hosts share the counts.

While Redis cannot be reached, each process counts on its own (a warning is logged)
and tries Redis again every FALLBACK_SECONDS: a limit never turns a request into a 500.
"""

import logging
import time
from dataclasses import dataclass

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 30
SHARED_STORAGE_TIMEOUT = 2  # seconds to connect to Redis or hear from it


@dataclass
class _Fallback:
    """This process's own counts, kept while the shared storage is unreachable."""

    limiter: RateLimiter
    until: float = 0.0  # time.monotonic() before which Redis is not tried


def init_app(app: Flask) -> None:
    """Give the app a limiter of its own (several apps may live in one process)."""
    redis_url = app.config["REDIS_URL"]
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=redis_url or "memory://",
        storage_options={
            "wrap_exceptions": True,
            "socket_connect_timeout": SHARED_STORAGE_TIMEOUT,
            "socket_timeout": SHARED_STORAGE_TIMEOUT,
        }
        if redis_url
        else {},
        enabled=app.config["RATELIMIT_ENABLED"],
        default_limits=[],
        headers_enabled=False,
        key_prefix="moderation",
    )
    app.extensions["moderation.limiter"] = limiter
    if limiter.enabled:  # its strategy exists only then
        app.extensions["moderation.limiter-fallback"] = _Fallback(
            type(limiter.limiter)(MemoryStorage())
        )


def _limiter() -> Limiter:
    return current_app.extensions["moderation.limiter"]


def _counted(method: str, item: RateLimitItem, scope: str, key: str) -> bool:
    """limiter.test or limiter.hit, on the shared counts or, while they are out of
    reach, on this process's own."""
    fallback: _Fallback = current_app.extensions["moderation.limiter-fallback"]
    if time.monotonic() >= fallback.until:
        try:
            return getattr(_limiter().limiter, method)(item, scope, key)
        except StorageError as error:
            logger.warning(
                "Rate limit storage unreachable (%s); counting in this process for %d s",
                error.storage_error,
                FALLBACK_SECONDS,
            )
            fallback.until = time.monotonic() + FALLBACK_SECONDS
    return getattr(fallback.limiter, method)(item, scope, key)


def over_limit(limit: str, scope: str, *keys: str) -> bool:
    """True when every hit allowed by `limit` for any of the keys is used up."""
    limiter = _limiter()
    if not limiter.enabled:
        return False
    item = parse(limit)
    return any(not _counted("test", item, scope, key) for key in keys)


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
    if not limiter.enabled:
        return False
    item = parse(limit)
    exhausted = False
    for key in keys:
        _counted("hit", item, scope, key)
        exhausted |= not _counted("test", item, scope, key)
    return exhausted
