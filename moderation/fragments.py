"""Rendered comment lists kept in memory, one per post, until its approved entries change.

A post page with thousands of comments costs far more to render than to send. The
list of approved entries is the same for every reader, so each process keeps the
rendered list of recently read posts, tagged with the version the database reports
(services.thread_version). A stale copy is never served: the version is read on
every request, so a change made by any process or host shows at once.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

from markupsafe import Markup

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class RenderedThread:
    html: Markup
    approved_count: int
    reply_authors: dict[int, str]  # the entries a reader may answer, by id


class FragmentCache:
    """A thread-safe LRU of rendered threads, bounded by the bytes of their HTML."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[int, tuple[tuple, RenderedThread]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, post_id: int, version: tuple) -> RenderedThread | None:
        with self._lock:
            item = self._items.get(post_id)
            if item is None or item[0] != version:
                return None
            self._items.move_to_end(post_id)
            return item[1]

    def put(self, post_id: int, version: tuple, rendered: RenderedThread) -> None:
        size = len(rendered.html)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(post_id, None)
            if old is not None:
                self._bytes -= len(old[1].html)
            self._items[post_id] = (version, rendered)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= len(evicted.html)
