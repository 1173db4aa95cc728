"""Reading a webmention source's h-entry: what it is, who wrote it, when, and its text."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from moderation.rules import microformats
from moderation.rules.limits import COMMENT_MAX_BYTES
from moderation.rules.statuses import MentionKind

PAGE = "https://blog.example/2026/11/reply.html"
TARGET = "https://news.example/posts/a-post/"
OTHER = "https://elsewhere.example/posts/b/"


def is_target(url: str) -> bool:
    return url.rstrip("/") == TARGET.rstrip("/")


def read(html: str) -> microformats.HEntry | None:
    return microformats.read_h_entry(html, PAGE, is_target)


def test_a_reply_gives_its_kind_author_photo_url_date_and_content():
    html = f"""
    <article class="h-entry">
      <a class="u-in-reply-to" href="{TARGET}">In reply to</a>
      <div class="p-author h-card">
        <img class="u-photo" src="https://blog.example/me.jpg" alt="">
        <a class="p-name u-url" href="https://blog.example/">Alice  Example</a>
      </div>
      <div class="e-content"><p>Great <b>post</b>!</p><p>Thanks.</p></div>
      <a class="u-url" href="https://blog.example/2026/11/reply.html">
        <time class="dt-published" datetime="2026-11-02T10:30:00+01:00">2 Nov</time></a>
    </article>"""
    assert read(html) == microformats.HEntry(
        kind=MentionKind.REPLY,
        author_name="Alice Example",
        author_url="https://blog.example/",
        author_photo="https://blog.example/me.jpg",
        url="https://blog.example/2026/11/reply.html",
        published=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        content="Great post!\n\nThanks.",
    )


@pytest.mark.parametrize(
    ("markup", "kind"),
    [
        (f'<a class="u-in-reply-to" href="{TARGET}">re</a>', MentionKind.REPLY),
        (f'<a class="u-like-of" href="{TARGET}">liked</a>', MentionKind.LIKE),
        (f'<a class="u-repost-of" href="{TARGET}">reposted</a>', MentionKind.REPOST),
        (f'<a class="u-bookmark-of" href="{TARGET}">saved</a>', MentionKind.BOOKMARK),
        (f'<p class="e-content">I read <a href="{TARGET}">this</a>.</p>', MentionKind.MENTION),
        (f'<a class="u-like-of u-in-reply-to" href="{TARGET}">both</a>', MentionKind.REPLY),
    ],
)
def test_the_property_naming_the_target_gives_the_kind(markup, kind):
    assert read(f'<div class="h-entry">{markup}</div>').kind == kind


def test_in_reply_to_may_be_an_h_cite_with_a_url():
    html = f"""<div class="h-entry">
      <div class="u-in-reply-to h-cite"><a class="p-name u-url" href="{TARGET}">A post</a></div>
      <p class="e-content">Agreed.</p></div>"""
    entry = read(html)
    assert (entry.kind, entry.content) == (MentionKind.REPLY, "Agreed.")


def test_the_entry_that_replies_to_the_target_is_chosen_over_the_first():
    html = f"""
    <div class="h-entry"><p class="e-content">Another note, about other things.</p></div>
    <div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
      <p class="e-content">The reply.</p></div>"""
    entry = read(html)
    assert (entry.kind, entry.content) == (MentionKind.REPLY, "The reply.")


def test_without_a_link_to_the_target_the_first_entry_is_read():
    html = """<div class="h-entry"><p class="e-content">First.</p></div>
    <div class="h-entry"><p class="e-content">Second.</p></div>"""
    entry = read(html)
    assert (entry.kind, entry.content) == (MentionKind.MENTION, "First.")


def test_entries_of_an_h_feed_are_read_and_take_the_feeds_author():
    html = f"""<div class="h-feed">
      <a class="p-author h-card" href="https://blog.example/">Feed Owner</a>
      <div class="h-entry"><p class="e-content">Old news.</p></div>
      <div class="h-entry"><a class="u-like-of" href="{TARGET}">liked</a></div>
    </div>"""
    entry = read(html)
    assert (entry.kind, entry.author_name, entry.author_url, entry.content) == (
        MentionKind.LIKE,
        "Feed Owner",
        "https://blog.example/",
        "",
    )


def test_a_reply_to_another_post_that_links_to_the_target_is_a_mention():
    html = f"""<div class="h-entry"><a class="u-in-reply-to" href="{OTHER}">re</a>
      <p class="e-content">As <a href="{TARGET}">this post</a> says, no.</p></div>"""
    entry = read(html)
    assert (entry.kind, entry.content) == (MentionKind.MENTION, "As this post says, no.")


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ('<span class="p-author">Bob  Writer</span>', ("Bob Writer", "", "")),
        (
            '<span class="p-author">https://bob.example/</span>',
            ("", "https://bob.example/", ""),
        ),
        (
            '<a class="p-author h-card" href="https://bob.example/">Bob</a>',
            ("Bob", "https://bob.example/", ""),
        ),
        (
            '<div class="p-author h-card"><img class="u-photo" src="https://bob.example/b.png"'
            ' alt="Bob smiling"><span class="p-name">Bob</span></div>',
            ("Bob", "", "https://bob.example/b.png"),
        ),
        (
            '<span class="p-author h-card"><span class="p-name">Bob</span>'
            '<a class="u-url" href="mailto:bob@bob.example">mail</a></span>',
            ("Bob", "", ""),
        ),
    ],
)
def test_the_author_is_an_h_card_or_a_plain_name_or_url(author, expected):
    entry = read(f'<div class="h-entry">{author}<p class="e-content">Hi</p></div>')
    assert (entry.author_name, entry.author_url, entry.author_photo) == expected


def test_an_author_url_names_the_h_card_on_the_page_with_that_url():
    html = """<div class="h-card"><a class="u-url p-name" href="https://bob.example/">Bob</a>
      <img class="u-photo" src="https://bob.example/b.png" alt=""></div>
    <div class="h-entry"><a class="u-author" href="https://bob.example/"></a>
      <p class="e-content">Hi</p></div>"""
    entry = read(html)
    assert (entry.author_name, entry.author_url, entry.author_photo) == (
        "Bob",
        "https://bob.example/",
        "https://bob.example/b.png",
    )


@pytest.mark.parametrize(
    ("card_url", "expected"),
    [
        ("https://blog.example/", ("Site Owner", "https://blog.example/")),
        ("/about", ("Site Owner", "https://blog.example/about")),
        ("https://someone-else.example/", ("", "")),
    ],
)
def test_without_an_author_the_pages_own_h_card_is_the_author(card_url, expected):
    html = f"""<header class="h-card"><a class="u-url p-name" href="{card_url}">Site Owner</a>
      </header><div class="h-entry"><p class="e-content">Hi</p></div>"""
    entry = read(html)
    assert (entry.author_name, entry.author_url) == expected


def test_relative_urls_are_resolved_against_the_page():
    html = f"""<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
      <a class="u-url" href="reply.html#c1">link</a>
      <div class="p-author h-card"><a class="p-name u-url" href="/">Alice</a>
        <img class="u-photo" src="../me.png"></div></div>"""
    entry = read(html)
    assert (entry.url, entry.author_url, entry.author_photo) == (
        "https://blog.example/2026/11/reply.html#c1",
        "https://blog.example/",
        "https://blog.example/2026/me.png",
    )


def test_the_entrys_base_href_is_honoured():
    html = """<head><base href="https://cdn.example/blog/"></head>
      <div class="h-entry"><a class="u-url" href="entry-1">link</a></div>"""
    assert read(html).url == "https://cdn.example/blog/entry-1"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://blog.example/me.png",
        "http://blog.example:99999/",
        "http:///no-host",
    ],
)
def test_urls_other_than_http_and_https_are_dropped(url):
    html = f"""<div class="h-entry"><a class="u-url" href="{url}">link</a>
      <div class="p-author h-card"><a class="p-name u-url" href="{url}">Eve</a>
        <img class="u-photo" src="{url}"></div></div>"""
    entry = read(html)
    assert (entry.author_name, entry.url, entry.author_url, entry.author_photo) == (
        "Eve",
        "",
        "",
        "",
    )


def test_the_target_test_is_asked_only_about_web_urls():
    asked = []

    def strict_is_target(url: str) -> bool:
        asked.append(url)
        return url == TARGET

    html = f"""<div class="h-entry">
      <a class="u-in-reply-to" href="javascript:x()">a</a>
      <a class="u-in-reply-to" href="http://news.example:99999/">b</a>
      <a class="u-in-reply-to" href="{TARGET}">c</a></div>"""
    entry = microformats.read_h_entry(html, PAGE, strict_is_target)
    assert entry.kind == MentionKind.REPLY
    assert set(asked) == {TARGET}


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2026-11-02T10:30:00+01:00", datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),
        ("2026-11-02T10:30:00-0800", datetime(2026, 11, 2, 18, 30, tzinfo=UTC)),
        ("2026-11-02 10:30+02", datetime(2026, 11, 2, 8, 30, tzinfo=UTC)),
        ("2026-11-02T10:30:00Z", datetime(2026, 11, 2, 10, 30, tzinfo=UTC)),
        ("2026-11-02T10:30:00.250z", datetime(2026, 11, 2, 10, 30, 0, 250000, tzinfo=UTC)),
        ("2026-11-02T10:30:00", datetime(2026, 11, 2, 10, 30, tzinfo=UTC)),
        ("2026-11-02", datetime(2026, 11, 2, tzinfo=UTC)),
        ("yesterday", None),
        ("2026-02-30T10:30:00Z", None),
        ("2026-11-02T10:30:00+24:00", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("", None),
    ],
)
def test_published_is_read_as_utc(published, expected):
    html = f'<div class="h-entry"><time class="dt-published" datetime="{published}">x</time></div>'
    assert read(html).published == expected


def test_published_keeps_the_instant_the_source_gave():
    html = '<div class="h-entry"><data class="dt-published" value="2026-11-02T10:30+05:30"></div>'
    zone = timezone(timedelta(hours=5, minutes=30))
    assert read(html).published == datetime(2026, 11, 2, 10, 30, tzinfo=zone)


@pytest.mark.parametrize(
    ("markup", "content"),
    [
        ('<p class="p-name">Title</p><div class="e-content">Body</div>', "Body"),
        ('<p class="p-summary">Summary</p><div class="e-content"> </div>', "Summary"),
        ('<p class="p-name">Title</p><p class="p-summary">Summary</p>', "Summary"),
        ('<p class="p-name">Title</p><a class="p-author h-card" href="/">A</a>', "Title"),
        ("<p>Only some text, so mf2py implies the name from it.</p>", ""),
        ('<span class="p-content">Plain content</span>', "Plain content"),
    ],
)
def test_content_is_the_content_else_the_summary_else_a_name_that_was_given(markup, content):
    assert read(f'<div class="h-entry">{markup}</div>').content == content


@pytest.mark.parametrize("prop", ["u-like-of", "u-repost-of"])
def test_likes_and_reposts_without_content_have_no_text(prop):
    html = f"""<div class="h-entry"><a class="{prop}" href="{TARGET}">Liked this</a>
      <a class="p-author h-card" href="https://blog.example/">Alice</a></div>"""
    assert read(html).content == ""


def test_a_like_with_content_keeps_it():
    html = f"""<div class="h-entry"><a class="u-like-of" href="{TARGET}">Liked</a>
      <p class="e-content">So true.</p></div>"""
    assert read(html).content == "So true."


def test_content_keeps_its_paragraphs_but_not_controls_or_bidi_overrides():
    html = '<div class="h-entry"><div class="e-content"><p>One\u202e\x07</p><p>Two</p></div></div>'
    assert read(html).content == "One\n\nTwo"


def test_content_over_the_byte_limit_is_cut_between_characters():
    text = "é" * COMMENT_MAX_BYTES  # two bytes each
    content = read(f'<div class="h-entry"><p class="e-content">{text}</p></div>').content
    assert content == "é" * (COMMENT_MAX_BYTES // 2)
    assert len(content.encode()) <= COMMENT_MAX_BYTES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  Alice\n\t Example ", "Alice Example"),
        ("Al\u202eice\u2066\x00", "Al ice"),
        ("x" * 300, "x" * 245),
        ("é" * 200, "é" * 122),  # 245 bytes at most, cut between characters
    ],
)
def test_author_names_are_one_line_without_controls_and_cut_to_245(name, expected):
    html = f'<div class="h-entry"><span class="p-author h-card">{name}</span></div>'
    assert read(html).author_name == expected


def test_classic_hentry_markup_is_read():
    html = f"""<div class="hentry"><h1 class="entry-title">Title</h1>
      <div class="entry-content">About <a href="{TARGET}">that post</a>.</div>
      <span class="author vcard"><span class="fn">Bob</span></span></div>"""
    entry = read(html)
    assert (entry.kind, entry.author_name, entry.content) == (
        MentionKind.MENTION,
        "Bob",
        "About that post.",
    )


@pytest.mark.parametrize(
    "html",
    [
        "",
        "just text, https://example.com/file.html",
        f'<p>I read <a href="{TARGET}">this</a>.</p>',
        '<div class="h-card"><span class="p-name">Only a card</span></div>',
        '<?xml version="1.0"?><feed><entry>not html</entry></feed>',
        "<div>" * 1000 + '<div class="h-entry">too deep</div>',
    ],
)
def test_a_page_without_a_readable_h_entry_gives_none(html):
    assert read(html) is None
