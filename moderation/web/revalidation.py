"""What the app has just read or confirmed is taken as current for a moment.

Readers' browsers, CDNs and reverse proxies revalidate the public reads (caching.py) by
their ETag. When the app has answered such a GET with 304, the same request (its
address, the headers the answer varies on, and a tag it holds) is answered 304 again
for up to REVALIDATE_SECONDS by this middleware alone: no query, no hook, no view. Any
commit on the app's database from this process forgets every such answer at once, so
a change made here shows on the next request; one made by another process shows after
at most REVALIDATE_SECONDS more than PAGE_MAX_AGE. A request with a cookie, or without
If-None-Match, always goes to the app: only it knows what a reader's own page holds.

The public reads' views keep what decides their answer the same way (`recent`: a
thread's post and version, the settings, the registered sites), so that a kept answer
is given without a query either.
"""

import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from flask import current_app
from sqlalchemy import Engine, event
from werkzeug.http import parse_etags, parse_set_header

# What names the resource asked for (the host too: with TRUSTED_HOSTS it is in our links).
_ADDRESS = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
)
# Arbitrary query strings could otherwise fill the memory: past this many, start afresh.
MAX_ANSWERS = 1_000

StartResponse = Callable[..., object]
T = TypeVar("T")
EXTENSION = "moderation.revalidation"
_MISSING = object()


class _Kept:
    """Values taken as current for `seconds`; at most MAX_ANSWERS, then afresh."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.values: dict[Hashable, tuple[object, float]] = {}

    def get(self, key: Hashable) -> object:
        """The value kept for `key`, or _MISSING when there is none or it is too old."""
        kept = self.values.get(key)
        return kept[0] if kept is not None and time.time() < kept[1] else _MISSING

    def put(self, key: Hashable, value: object) -> None:
        if len(self.values) >= MAX_ANSWERS:
            self.values = {}
        self.values[key] = (value, time.time() + self.seconds)

    def clear(self) -> None:
        self.values = {}


class Revalidation:
    """WSGI middleware around the app: see the module's docstring."""

    def __init__(self, app: Callable, engine: Engine, seconds: float) -> None:
        self.app = app
        # the request's address -> (tag, the 304's headers, what it varies on, the
        # request's values of those headers)
        self.answers = _Kept(seconds)
        self.readings = _Kept(seconds)  # what the views read (`recent`)
        self.generation = 0  # one more at each commit: an answer older than it is stale
        event.listen(engine, "commit", self.forget)

    def forget(self, _connection=None) -> None:
        self.generation += 1
        self.answers.clear()
        self.readings.clear()

    def recent(self, key: Hashable, read: Callable[[], T]) -> T:
        kept = self.readings.get(key)
        if kept is not _MISSING:
            return kept  # type: ignore[return-value]
        generation = self.generation
        value = read()
        if generation == self.generation:
            self.readings.put(key, value)
        return value

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "GET" or "HTTP_COOKIE" in environ:
            return self.app(environ, start_response)
        sent_tags = environ.get("HTTP_IF_NONE_MATCH")
        if not sent_tags:
            return self.app(environ, start_response)
        key = tuple(environ.get(name) for name in _ADDRESS)
        answer = self.answers.get(key)
        if answer is not _MISSING:
            tag, headers, vary, values = answer  # type: ignore[misc]
            if _values(environ, vary) == values and parse_etags(sent_tags).contains_weak(tag):
                start_response("304 NOT MODIFIED", list(headers))
                return []
        return self.app(environ, self._keeping(key, environ, start_response))

    def _keeping(self, key, environ: dict, start_response: StartResponse) -> StartResponse:
        """start_response, keeping the app's answer when it is a public 304."""
        generation = self.generation

        def keep(status: str, headers: list, *rest):
            if status.startswith("304") and generation == self.generation:
                named = {name.lower(): value for name, value in headers}
                tag = named.get("etag", "")
                public = named.get("cache-control", "").startswith("public")
                if tag and public and "set-cookie" not in named:
                    bare = tag.removeprefix("W/").strip('"')
                    vary = _vary(headers)
                    self.answers.put(key, (bare, headers, vary, _values(environ, vary)))
            return start_response(status, headers, *rest)

        return keep


def _vary(headers: list) -> tuple[str, ...]:
    """The request headers an answer varies on, as WSGI names them."""
    lists = [value for name, value in headers if name.lower() == "vary"]
    names = {name for value in lists for name in parse_set_header(value)}
    return tuple(sorted("HTTP_" + name.upper().replace("-", "_") for name in names))


def _values(environ: dict, vary: tuple[str, ...]) -> tuple:
    return tuple(environ.get(name) for name in vary)


def recent(key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` gave for `key` less than REVALIDATE_SECONDS ago in this process, with
    nothing committed here since; else what it gives now. Errors are never kept. What it
    gives is shared by requests: plain values, or rows no one changes."""
    keeper = current_app.extensions.get(EXTENSION)
    return read() if keeper is None else keeper.recent(key, read)


def init_app(app) -> None:
    """Put the middleware around the app, unless REVALIDATE_SECONDS is 0."""
    seconds = app.config["REVALIDATE_SECONDS"]
    if seconds > 0:
        engine = app.extensions["moderation.engine"]
        keeper = Revalidation(app.wsgi_app, engine, seconds)
        app.extensions[EXTENSION] = app.wsgi_app = keeper
