"""Rendered comment lists kept in memory, one per page of a post, until its approved
entries (or the settings that shape them) change.

A post page with thousands of comments costs far more to render than to send. The
list of approved entries is the same for every reader, so each process keeps the
rendered pages of recently read posts, tagged with the version the database reports
(threads.post_with_version) and the settings they were drawn with. A stale copy is
never served: the version is read on every request, so a change made by any process
or host shows at once.
"""

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class RenderedThread:
    html: Markup
    approved_count: int
    reply_authors: dict[int, str]  # the entries a reader may answer, by id
    pages: int = 1  # pages of comments the post has


class FragmentCache:
    """A thread-safe LRU of rendered threads, bounded by the bytes of their HTML.

    A key names what was rendered (a post's page); the version says from what. Anything
    else drawn once for many readers may be kept too (the JSON API's pages of entries),
    with its size in bytes given to `put`.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[tuple, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: tuple) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, version: tuple, rendered: Any, size: int | None = None) -> None:
        """Keep `rendered` (its size: the memory its HTML takes, unless given)."""
        # Not len(): a page holding one emoji takes 4 bytes a character.
        size = sys.getsizeof(rendered.html) if size is None else size
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._items[key] = (version, rendered, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted


EXTENSION = "moderation.fragments"


def init_app(app: Flask) -> None:
    """Give the app its cache of rendered threads, shared by the post page, the embed
    frame and the JSON API."""
    app.extensions[EXTENSION] = FragmentCache()


def cache() -> FragmentCache:
    """This app's cache of rendered threads."""
    return current_app.extensions[EXTENSION]
