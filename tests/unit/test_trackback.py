"""TrackBack 1.2 pings in (form-encoded, in the sender's charset) and answers out."""

from urllib.parse import urlencode
from xml.etree.ElementTree import fromstring

import pytest

from moderation.rules import trackback

FORM = "application/x-www-form-urlencoded"
SOURCE = "https://blog.example/2026/11/entry.html"


def form(fields: dict[str, str], encoding: str = "utf-8") -> bytes:
    return urlencode(fields, encoding=encoding).encode("ascii")


def test_a_full_ping_is_read():
    body = form(
        {"url": SOURCE, "title": "My Entry", "excerpt": "I wrote about it.", "blog_name": "My Blog"}
    )
    assert trackback.parse_ping(body, FORM) == trackback.Ping(
        url=SOURCE, title="My Entry", excerpt="I wrote about it.", blog_name="My Blog"
    )


def test_a_ping_with_only_a_url_has_empty_text_fields():
    ping = trackback.parse_ping(form({"url": f"  {SOURCE}\n"}), FORM)
    assert ping == trackback.Ping(url=SOURCE, title="", excerpt="", blog_name="")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        form({"title": "No url"}),
        form({"url": "", "title": "Empty url"}),
        form({"url": " \t\n"}),
        b"url",
    ],
)
def test_a_ping_without_a_url_is_refused(body):
    with pytest.raises(trackback.TrackbackError, match=r"^The url parameter is required\.$"):
        trackback.parse_ping(body, FORM)


def test_the_title_and_blog_name_are_cut_to_250_characters():
    body = form({"url": SOURCE, "title": "t" * 400, "blog_name": "b" * 400})
    ping = trackback.parse_ping(body, FORM)
    assert (ping.title, ping.blog_name) == ("t" * 250, "b" * 250)


@pytest.mark.parametrize(
    ("excerpt", "expected"),
    [
        ("e" * 252, "e" * 252),
        ("e" * 253, "e" * 252 + "…"),
        ("word " * 100, "word " * 50 + "wo…"),
    ],
)
def test_a_long_excerpt_is_cut_to_252_characters_and_marked_as_cut(excerpt, expected):
    ping = trackback.parse_ping(form({"url": SOURCE, "excerpt": excerpt}), FORM)
    assert ping.excerpt == expected


@pytest.mark.parametrize("field", ["title", "excerpt", "blog_name"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<b>Bold</b> &amp; <i>brave</i>", "Bold & brave"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ('Hi<script>alert("x")</script><style>p{}</style>!', "Hi!"),
        ("<!-- hidden -->shown", "shown"),
        ("a\x00b\u202ec\u2066d", "a b c d"),
        ("  lots \n\n of \t space  ", "lots of space"),
    ],
)
def test_text_fields_are_plain_text_on_one_line(field, value, expected):
    ping = trackback.parse_ping(form({"url": SOURCE, field: value}), FORM)
    assert getattr(ping, field) == expected


@pytest.mark.parametrize(
    ("encoding", "content_type", "text"),
    [
        ("iso-8859-1", f"{FORM}; charset=iso-8859-1", "Café crème"),
        ("iso-8859-1", f"{FORM}; charset=ISO-8859-1", "Café crème"),
        ("shift_jis", f"{FORM}; charset=Shift_JIS", "日本語のブログ"),
        ("shift_jis", f'{FORM}; charset="Shift_JIS"', "日本語のブログ"),
        ("euc-jp", f"{FORM};charset=EUC-JP", "日本語のブログ"),
        ("utf-8", f"{FORM}; charset=utf-8", "Café 日本語 😀"),
    ],
)
def test_the_charset_of_the_content_type_is_honoured(encoding, content_type, text):
    body = form({"url": SOURCE, "title": text, "excerpt": text, "blog_name": text}, encoding)
    ping = trackback.parse_ping(body, content_type)
    assert (ping.title, ping.excerpt, ping.blog_name) == (text, text, text)


def test_a_charset_field_is_honoured_when_the_content_type_names_none():
    body = form({"url": SOURCE, "title": "日本語", "charset": "Shift_JIS"}, "shift_jis")
    assert trackback.parse_ping(body, FORM).title == "日本語"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", "Café – “quoted”"),
        ("windows-1252", "Café – “quoted”"),
        ("iso-8859-1", "Café crème"),
    ],
)
def test_without_a_charset_utf_8_is_tried_then_windows_1252(encoding, text):
    body = form({"url": SOURCE, "title": text}, encoding)
    assert trackback.parse_ping(body, FORM).title == text


@pytest.mark.parametrize(
    "charset",
    ["no-such-charset", "base64", "rot13", "idna", "utf-7", "UTF7"],
)
def test_an_unusable_charset_is_read_as_utf_8_with_replacements(charset):
    body = form({"url": SOURCE, "title": "Café"}, "utf-8") + b"&excerpt=caf%E9"
    ping = trackback.parse_ping(body, f"{FORM}; charset={charset}")
    assert (ping.title, ping.excerpt) == ("Café", "caf\ufffd")


def test_the_first_of_a_repeated_field_is_taken():
    body = b"url=https%3A%2F%2Fa.example%2F&url=https%3A%2F%2Fb.example%2F&title=one&title=two"
    ping = trackback.parse_ping(body, FORM)
    assert (ping.url, ping.title) == ("https://a.example/", "one")


def test_the_success_answer_is_error_0():
    answer = trackback.response()
    assert answer == (
        b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'
    )
    root = fromstring(answer)
    assert (root.tag, root.findtext("error"), root.find("message")) == ("response", "0", None)


@pytest.mark.parametrize(
    ("message", "read_back"),
    [
        ("The url parameter is required.", "The url parameter is required."),
        ("<script> & \"quotes\" 'too'", "<script> & \"quotes\" 'too'"),
        ("bad\x00\x08\ufffe\udc80 chars\tkept", "bad chars\tkept"),
        ("日本語 😀", "日本語 😀"),
    ],
)
def test_an_error_answer_is_error_1_with_the_escaped_message(message, read_back):
    answer = trackback.response(message)
    root = fromstring(answer)
    assert (root.findtext("error"), root.findtext("message")) == ("1", read_back)


def test_the_error_message_is_escaped_in_the_answer():
    answer = trackback.response("a <b> & \"c\" 'd'")
    assert b"<message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</message>" in answer
