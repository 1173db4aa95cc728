"""The cache of rendered threads: versioned per post, bounded in bytes."""

import sys

from markupsafe import Markup

from moderation.infra.fragments import FragmentCache, RenderedThread

EMPTY = sys.getsizeof(Markup(""))  # what a page's string takes before its first character


def _thread(size: int, character: str = "x") -> RenderedThread:
    """A thread whose HTML takes `size` bytes of memory (ASCII: one byte a character)."""
    html = Markup(character * (size - EMPTY))
    return RenderedThread(html=html, approved_count=1, reply_authors={})


def test_a_thread_is_served_only_for_the_version_it_was_rendered_at():
    cache = FragmentCache(max_bytes=100 + 2 * EMPTY)
    rendered = _thread(EMPTY + 10)
    cache.put(1, (3, "t1"), rendered)
    assert cache.get(1, (3, "t1")) is rendered
    assert cache.get(1, (4, "t2")) is None
    assert cache.get(2, (3, "t1")) is None


def test_a_new_version_replaces_the_old_one():
    cache = FragmentCache(max_bytes=100 + 2 * EMPTY)
    cache.put(1, ("old",), _thread(EMPTY + 60))
    newer = _thread(EMPTY + 60)
    cache.put(1, ("new",), newer)
    assert cache.get(1, ("new",)) is newer
    assert cache.get(1, ("old",)) is None


def test_the_least_recently_read_thread_is_evicted_past_the_byte_budget():
    cache = FragmentCache(max_bytes=100 + 2 * EMPTY)
    first, second = _thread(EMPTY + 40), _thread(EMPTY + 40)
    cache.put(1, ("v",), first)
    cache.put(2, ("v",), second)
    cache.get(1, ("v",))  # post 1 read more recently than post 2
    cache.put(3, ("v",), _thread(EMPTY + 40))
    assert cache.get(1, ("v",)) is first
    assert cache.get(2, ("v",)) is None


def test_a_thread_larger_than_the_budget_is_not_kept():
    cache = FragmentCache(max_bytes=100 + 2 * EMPTY)
    cache.put(1, ("v",), _thread(3 * EMPTY + 101))
    assert cache.get(1, ("v",)) is None


def test_a_page_is_counted_by_the_memory_it_takes_not_by_its_characters():
    cache = FragmentCache(max_bytes=10_000)
    with_emoji = RenderedThread(
        html=Markup("x" * 3_000 + "\N{THUMBS UP SIGN}"), approved_count=1, reply_authors={}
    )
    cache.put(1, ("v",), with_emoji)  # 3,001 characters, 4 bytes each
    assert cache.get(1, ("v",)) is None
    cache.put(2, ("v",), _thread(9_000))
    assert cache.get(2, ("v",)) is not None
