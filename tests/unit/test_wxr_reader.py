"""The WordPress export reader (issue 15): WXR 1.0–1.2 as WordPress's exporter writes it,
read as threads then their entries; a file that is not one is refused with its line."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.rules import wxr_reader
from moderation.rules.imports import ImportedEntry, ImportedThread, MalformedFile, RefusedItem
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.rules.xml_stream import TRUNCATED

EXPORT = Path(__file__).resolve().parents[1] / "data" / "imports" / "wordpress.xml"
BLOG = "https://blog.example"

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/{version}/">
<channel>
	<wp:wxr_version>{version}</wp:wxr_version>
	<wp:base_blog_url>https://blog.example</wp:base_blog_url>
"""
ITEM = """	<item>
		<title>A post</title>
		<link>https://blog.example/a/</link>
		<wp:post_id>7</wp:post_id>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:comment>
			<wp:comment_id>70</wp:comment_id>
			<wp:comment_author><![CDATA[Tom &amp; Jerry]]></wp:comment_author>
			<wp:comment_date_gmt><![CDATA[2020-01-02 03:04:05]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[Hi]]></wp:comment_content>
			<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
			<wp:comment_parent>0</wp:comment_parent>{meta}
		</wp:comment>
	</item>
"""
TAIL = "</channel>\n</rss>\n"


def wxr(version="1.2", approved="1", kind="comment", meta="", head=None, tail=TAIL) -> bytes:
    item = ITEM.format(approved=approved, kind=kind, meta=meta)
    return ((head or HEAD.format(version=version)) + item + tail).encode()


def sourced(comment_id: str) -> str:
    """A WordPress comment's origin id: its id at the blog's address."""
    return f"{BLOG}#{comment_id}"


def read(data: bytes) -> list:
    return list(wxr_reader.read(io.BytesIO(data)))


def read_export() -> list:
    with EXPORT.open("rb") as source:
        return list(wxr_reader.read(source))


def test_the_export_reads_as_each_thread_then_its_entries():
    kinds = [
        (type(item).__name__, getattr(item, "key", None) or item.origin_id)
        for item in read_export()
    ]
    assert kinds == [
        ("ImportedThread", "1"),  # the attachment before it has no comment: not a thread
        *[("ImportedEntry", sourced(n)) for n in range(11, 20)],
        ("RefusedItem", sourced(20)),
        ("ImportedThread", "2"),  # a published page without comments: for its closed status
    ]


def test_a_thread_has_its_address_title_date_open_statuses_slug_and_body():
    threads = [item for item in read_export() if isinstance(item, ImportedThread)]
    assert threads == [
        ImportedThread(
            "1",
            "https://blog.example/2023/05/hello-world/",
            "Hello world!",
            datetime(2023, 5, 1, 8, 30, tzinfo=UTC),
            comments_open=True,
            pings_open=True,
            slug="hello-world",
            body="<!-- wp:paragraph -->\n<p>Welcome to WordPress. This is your first post.</p>\n"
            "<!-- /wp:paragraph -->",
        ),
        ImportedThread(
            "2",
            "https://blog.example/about/",
            "About",
            datetime(2023, 5, 1, 8, 0, tzinfo=UTC),
            comments_open=False,
            pings_open=False,
            slug="about",
            body="<p>About this blog.</p>",
        ),
    ]


@pytest.mark.parametrize(
    ("comment_id", "field", "expected"),
    [
        ("11", "author", "Zoë Ångström"),
        ("11", "email", "zoe@reader.example"),
        ("11", "website", "https://zoe.example"),
        ("11", "ip_address", "203.0.113.7"),
        ("11", "created", datetime(2023, 5, 2, 9, 15, tzinfo=UTC)),  # GMT, not local
        (
            "11",
            "body",
            'Grüße aus Köln — <strong>a fine post</strong>!<script>alert("owned")</script>',
        ),
        ("12", "parent_id", sourced(11)),
        ("12", "body", "Thank you, Zoë.\n\nA second paragraph."),
        ("13", "type", EntryType.PINGBACK),
        ("13", "author", "Another Blog » A reply to Hello world"),  # unescaped
        ("13", "source_url", "https://another.example/2023/05/reply/"),
        ("13", "source_title", "Another Blog » A reply to Hello world"),
        ("13", "parent_id", sourced(11)),
        ("14", "type", EntryType.TRACKBACK),
        ("14", "parent_id", None),
        ("15", "status", Status.SPAM),
        ("16", "status", Status.TRASH),
        ("16", "ip_address", "2001:db8::1"),
        ("17", "status", Status.PENDING),
        ("17", "type", EntryType.COMMENT),  # an empty comment_type, as before WordPress 5.5
        ("17", "created", datetime(2023, 5, 7, 10, 0, tzinfo=UTC)),  # GMT zero: local as UTC
        ("18", "parent_id", sourced(19)),
        ("11", "source_url", None),
    ],
)
def test_an_entry_has_the_fields_of_its_comment(comment_id, field, expected):
    entries = {item.origin_id: item for item in read_export() if isinstance(item, ImportedEntry)}
    assert getattr(entries[sourced(comment_id)], field) == expected


def test_a_comment_of_another_type_is_refused_with_its_line():
    refused = [item for item in read_export() if isinstance(item, RefusedItem)]
    assert refused == [
        RefusedItem(sourced(20), "comment type 'review' is not a comment or linkback", 238)
    ]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_wxr_version_is_read(version):
    thread, entry = read(wxr(version=version))
    assert (thread.key, thread.url, entry.origin_id, entry.author) == (
        "7",
        "https://blog.example/a/",
        sourced(70),
        "Tom & Jerry",
    )


@pytest.mark.parametrize(
    ("approved", "kind", "expected"),
    [
        ("1", "", (Status.APPROVED, EntryType.COMMENT)),
        ("0", "pingback", (Status.PENDING, EntryType.PINGBACK)),
        ("spam", "trackback", (Status.SPAM, EntryType.TRACKBACK)),
        ("trash", "webmention", (Status.TRASH, EntryType.WEBMENTION)),
        ("post-trashed", "comment", (Status.TRASH, EntryType.COMMENT)),
        ("2", "comment", "comment_approved '2' is not a status"),
        ("1", "note", "comment type 'note' is not a comment or linkback"),
    ],
)
def test_statuses_and_types_are_wordpress_words(approved, kind, expected):
    _, entry = read(wxr(approved=approved, kind=kind))
    if isinstance(entry, RefusedItem):
        assert (entry.reason, entry.line) == (expected, 12)
    else:
        assert (entry.status, entry.type) == expected


@pytest.mark.parametrize(
    ("channel", "blog"),
    [
        (
            "<link>https://blog.example/</link>\n<wp:base_blog_url>https://www.blog.example"
            "</wp:base_blog_url>",
            "https://www.blog.example",
        ),
        ("<link>https://blog.example/</link>", "https://blog.example"),  # WXR 1.0's
    ],
)
def test_ids_carry_the_blogs_address_so_two_blogs_do_not_meet(channel, blog):
    head = HEAD.format(version="1.2").replace(
        "\t<wp:base_blog_url>https://blog.example</wp:base_blog_url>\n", channel
    )
    reply = ITEM.format(approved="1", kind="", meta="").replace(
        "<wp:comment_parent>0<", "<wp:comment_parent>69<"
    )
    _, entry = read((head + reply + TAIL).encode())
    assert (entry.origin_id, entry.parent_id) == (f"{blog}#70", f"{blog}#69")


def commentmeta(*pairs: tuple[str, str]) -> str:
    return "".join(
        f"<wp:commentmeta><wp:meta_key>{key}</wp:meta_key>"
        f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:commentmeta>"
        for key, value in pairs
    )


def test_our_own_exports_comment_meta_is_read_back():
    meta = commentmeta(
        ("_moderation_reason", "approved: known author"),
        ("_moderation_mention_kind", "like"),
        ("_moderation_published", "2020-01-01T10:00:00+02:00"),
        ("_moderation_source_title", "The page"),
    )
    _, entry = read(wxr(kind="webmention", meta=meta))
    assert (entry.reason, entry.mention_kind, entry.published, entry.source_title) == (
        "approved: known author",
        MentionKind.LIKE,
        datetime(2020, 1, 1, 8, 0, tzinfo=UTC),
        "The page",
    )


SOURCE_URL = "https://source.example/post"
SOURCE = f"<wp:comment_author_url>{SOURCE_URL}</wp:comment_author_url>"
AGENT = "<wp:comment_agent>Agent/1</wp:comment_agent>"


@pytest.mark.parametrize(
    ("kind", "meta", "expected"),
    [
        ("webmention", SOURCE, (SOURCE_URL, "")),  # WordPress's own
        (
            "webmention",
            SOURCE + commentmeta(("_moderation_website", "https://author.example/")),
            ("https://author.example/", ""),  # the h-card's author, not the source
        ),
        ("pingback", SOURCE + commentmeta(("_moderation_website", "")), ("", "")),
        ("comment", SOURCE + commentmeta(("_moderation_website", "")), (SOURCE_URL, "")),
        ("comment", AGENT, ("", "Agent/1")),
        ("comment", AGENT + commentmeta(("_moderation_user_agent", "Agent/2")), ("", "Agent/2")),
    ],
)
def test_our_exports_website_and_user_agent_are_read_back(kind, meta, expected):
    _, entry = read(wxr(kind=kind, meta=meta))
    assert (entry.website, entry.user_agent) == expected


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss><channel><title>&lol3;</title></channel></rss>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss/>
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BOMB.encode(), "line 2: a DOCTYPE"),
        (EXTERNAL.encode(), "line 2: a DOCTYPE"),
        (wxr(tail=""), f"line 22: {TRUNCATED}"),
        (wxr()[:-200], f"line 17: {TRUNCATED}"),
        (wxr()[:-230] + "é".encode()[:1], f"line 16: {TRUNCATED}"),
        (
            wxr().replace(b"<title>A post</title>", b"<title>A & B</title>"),
            "line 7: not well-formed XML (not well-formed (invalid token))",
        ),
        (b'<?xml version="1.0"?>\n<feed><item/></feed>', "line 1: this is not a WordPress export"),
        (wxr(head="<rss><channel>\n"), "line 2: this is not a WordPress export (WXR)"),
        (wxr(version="2.0"), "line 4: WXR version '2.0' is not 1.0, 1.1 or 1.2"),
        (
            wxr().replace(b"\t<wp:base_blog_url>https://blog.example</wp:base_blog_url>\n", b""),
            "line 5: this is not a WordPress export (WXR): no <wp:base_blog_url> or <link>",
        ),
        (b"", f"line 1: {TRUNCATED}"),
    ],
)
def test_a_file_that_is_not_a_wordpress_export_is_refused_with_its_line(data, message):
    with pytest.raises(MalformedFile) as refused:
        read(data)
    assert str(refused.value).startswith(message)
