"""Rate limits through Flask-Limiter: in memory, or in Redis when REDIS_URL is set,
so that several processes and hosts share the counts."""

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse


def init_app(app: Flask) -> None:
    """Give the app a limiter of its own (several apps may live in one process)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["REDIS_URL"] or "memory://",
        enabled=app.config["RATELIMIT_ENABLED"],
        default_limits=[],
        headers_enabled=False,
        key_prefix="moderation",
    )
    app.extensions["moderation.limiter"] = limiter


def _limiter() -> Limiter:
    return current_app.extensions["moderation.limiter"]


def over_limit(limit: str, scope: str, *keys: str) -> bool:
    """True when every hit allowed by `limit` for any of the keys is used up."""
    limiter = _limiter()
    if not limiter.enabled:
        return False
    item = parse(limit)
    return any(not limiter.limiter.test(item, scope, key) for key in keys)


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
        limiter.limiter.hit(item, scope, key)
        exhausted |= not limiter.limiter.test(item, scope, key)
    return exhausted
