"""The cache of rendered threads: versioned per post, bounded in bytes."""

from markupsafe import Markup

from moderation.infra.fragments import FragmentCache, RenderedThread


def _thread(size: int) -> RenderedThread:
    return RenderedThread(html=Markup("x" * size), approved_count=1, reply_authors={})


def test_a_thread_is_served_only_for_the_version_it_was_rendered_at():
    cache = FragmentCache(max_bytes=100)
    rendered = _thread(10)
    cache.put(1, (3, "t1"), rendered)
    assert cache.get(1, (3, "t1")) is rendered
    assert cache.get(1, (4, "t2")) is None
    assert cache.get(2, (3, "t1")) is None


def test_a_new_version_replaces_the_old_one():
    cache = FragmentCache(max_bytes=100)
    cache.put(1, ("old",), _thread(60))
    newer = _thread(60)
    cache.put(1, ("new",), newer)
    assert cache.get(1, ("new",)) is newer
    assert cache.get(1, ("old",)) is None


def test_the_least_recently_read_thread_is_evicted_past_the_byte_budget():
    cache = FragmentCache(max_bytes=100)
    first, second = _thread(40), _thread(40)
    cache.put(1, ("v",), first)
    cache.put(2, ("v",), second)
    cache.get(1, ("v",))  # post 1 read more recently than post 2
    cache.put(3, ("v",), _thread(40))
    assert cache.get(1, ("v",)) is first
    assert cache.get(2, ("v",)) is None


def test_a_thread_larger_than_the_budget_is_not_kept():
    cache = FragmentCache(max_bytes=100)
    cache.put(1, ("v",), _thread(101))
    assert cache.get(1, ("v",)) is None
