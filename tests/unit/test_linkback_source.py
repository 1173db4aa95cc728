"""Reading a linkback's source page: title, links and the excerpt around a link."""

import pytest

from moderation.rules import source_page as source

PAGE = "http://blog.example/2026/11/entry.html"
TARGET = "http://news.example/posts/a-post/"


def test_title_is_the_page_title_with_whitespace_collapsed():
    html = "<title>\n  My   Blog &amp;\tFriends </title><svg><title>icon</title></svg>"
    assert source.parse(html, PAGE).title == "My Blog & Friends"


def test_a_long_title_is_cut_to_245_characters():
    assert source.parse(f"<title>{'x' * 400}</title>", PAGE).title == "x" * 245


def test_a_long_title_is_cut_to_an_author_names_245_bytes_between_characters():
    assert source.parse(f"<title>{'é' * 200}</title>", PAGE).title == "é" * 122


def test_controls_and_bidi_overrides_leave_the_title():
    assert source.parse("<title>a\x00b\u202ec</title>", PAGE).title == "a b c"


@pytest.mark.parametrize(
    ("href", "resolved"),
    [
        ("http://news.example/posts/a-post/", "http://news.example/posts/a-post/"),
        ("//news.example/posts/a-post/", "http://news.example/posts/a-post/"),
        ("/posts/a-post/", "http://blog.example/posts/a-post/"),
        ("../other.html", "http://blog.example/2026/other.html"),
        ("  other.html  ", "http://blog.example/2026/11/other.html"),
    ],
)
def test_links_are_resolved_against_the_page(href, resolved):
    document = source.parse(f'<p><a href="{href}">x</a></p>', PAGE)
    assert [link.url for link in document.links] == [resolved]


def test_base_href_changes_how_links_resolve():
    html = '<head><base href="http://other.example/dir/"></head><a href="page">x</a>'
    assert source.parse(html, PAGE).links[0].url == "http://other.example/dir/page"


@pytest.mark.parametrize(
    "html",
    [
        f"<p>I read {TARGET} today.</p>",
        f'<!-- <a href="{TARGET}">hidden</a> -->',
        f"<script>document.write('<a href=\"{TARGET}\">x</a>')</script>",
        f'<a name="{TARGET}">an anchor, not a link</a>',
    ],
)
def test_the_target_as_text_in_a_comment_or_in_script_is_no_link(html):
    document = source.parse(html, PAGE)
    assert document.find_link(lambda url: url == TARGET) is None


def test_media_links_are_found_only_when_asked_for():
    document = source.parse(f'<img src="{TARGET}"><video src="{TARGET}"></video>', PAGE)
    assert document.find_link(lambda url: url == TARGET) is None
    assert document.find_link(lambda url: url == TARGET, ("img",)).tag == "img"


def test_the_excerpt_takes_100_characters_either_side_of_the_link_text():
    before = "b" * 150
    after = "a" * 150
    html = f'<p>{before} <a href="{TARGET}">the <em>link</em> text</a> {after}</p>'
    document = source.parse(html, PAGE)
    excerpt = document.excerpt(document.find_link(lambda url: url == TARGET))
    assert excerpt == f"[…] {'b' * 99} the link text {'a' * 99} […]"


def test_the_excerpt_is_plain_text_from_across_inline_tags_with_whitespace_collapsed():
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        f'<p>See\n\n  <em>this</em><br>and <a href="{TARGET}">this &amp; <b>that</b></a>'
        "<script>x()</script>, <span>then</span>   more.</p></body></html>"
    )
    document = source.parse(html, PAGE)
    link = document.find_link(lambda url: url == TARGET)
    assert document.excerpt(link) == "[…] See this and this & that, then more. […]"


@pytest.mark.parametrize(
    "html",
    [
        "<h1>Heading</h1><p>First paragraph.</p><p>{link}</p><p>Next paragraph.</p>",
        "<ul><li>First item</li><li>{link}</li><li>Next item</li></ul>",
        "<p>First paragraph.<p>{link}<p>Next paragraph.",  # paragraphs left unclosed
        "<table><tr><td>Left cell</td><td>{link}</td><td>Right cell</td></tr></table>",
        "<blockquote>Quoted words</blockquote>{link}<h2>Next heading</h2>",
        "<div>Before<div>{link}</div>After</div>",
        "<dl><dt>Term</dt><dd>{link}</dd></dl><pre>code</pre>",
        "<p>First paragraph.</p><hr>{link}<hr><p>Next paragraph.</p>",
    ],
)
def test_the_excerpt_never_takes_text_from_the_blocks_around_the_link(html):
    link = f'Start of it, <a href="{TARGET}">the link</a>, end of it.'
    document = source.parse(html.format(link=link), PAGE)
    excerpt = document.excerpt(document.find_link(lambda url: url == TARGET))
    assert excerpt == "[…] Start of it, the link, end of it. […]"


def test_the_excerpt_takes_100_characters_either_side_within_a_long_paragraph():
    before, after = "b" * 300, "a" * 300
    html = (
        f"<p>Not this.</p><p>{before} <a href='{TARGET}'>the link</a> {after}</p><p>Nor this.</p>"
    )
    document = source.parse(html, PAGE)
    excerpt = document.excerpt(document.find_link(lambda url: url == TARGET))
    assert excerpt == f"[…] {'b' * 99} the link {'a' * 99} […]"


def test_a_link_that_wraps_a_block_keeps_the_words_around_it():
    html = f'<p>Intro.</p><div>Look: <a href="{TARGET}"><p>a card</p></a> below.</div><p>Out.</p>'
    document = source.parse(html, PAGE)
    excerpt = document.excerpt(document.find_link(lambda url: url == TARGET))
    assert excerpt == "[…] Look: a card below. […]"


def test_a_very_long_link_text_is_shortened():
    document = source.parse(f'<a href="{TARGET}">{"word " * 100}</a>', PAGE)
    excerpt = document.excerpt(document.links[0])
    assert len(excerpt) < 120
    assert excerpt.endswith("… […]")


@pytest.mark.parametrize(
    "html",
    ["<![if !supportLists]>x", "<!DOCTYPE", "<a href='", "</", "<![CDATA[", "<svg><title>"],
)
def test_malformed_html_is_read_without_error(html):
    document = source.parse(html, PAGE)
    assert document.title == ""


def test_controls_and_bidi_overrides_leave_the_text_and_the_excerpt():
    html = f'<p>a\x00b <a href="{TARGET}">li\x01nk</a> c\u202ed</p>'
    document = source.parse(html, PAGE)
    assert document.text.strip() == "a b li nk c d"
    assert document.excerpt(document.links[0]) == "[…] a b li nk c d […]"
