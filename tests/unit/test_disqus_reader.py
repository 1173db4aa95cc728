"""The Disqus export reader (issue 15): threads and posts as Disqus's export writes them,
each thread just before its first post; a file that is not one is refused with its line."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.rules import disqus_reader
from moderation.rules.imports import ImportedEntry, ImportedThread, MalformedFile, RefusedItem
from moderation.rules.statuses import EntryType, Status

EXPORT = Path(__file__).resolve().parents[1] / "data" / "imports" / "disqus.xml"

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="1">
    <link>https://blog.example/a/</link>
    <title>A</title>
    <createdAt>2020-01-01T00:00:00Z</createdAt>
    <isClosed>false</isClosed>
    <isDeleted>{thread_deleted}</isDeleted>
  </thread>
"""
POST = """  <post{attributes}>
    <message><![CDATA[<p>Hi</p>]]></message>
    <createdAt>{created}</createdAt>
    <isDeleted>{deleted}</isDeleted>
    <isSpam>{spam}</isSpam>{extra}
    <author><email>a@example.org</email><name>A</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>203.0.113.1</ipAddress>
    <thread dsq:id="1"/>
  </post>
"""
TAIL = "</disqus>\n"


def export(
    thread_deleted="false",
    attributes=' dsq:id="10"',
    created="2020-01-02T03:04:05Z",
    deleted="false",
    spam="false",
    extra="",
    tail=TAIL,
) -> bytes:
    post = POST.format(
        attributes=attributes, created=created, deleted=deleted, spam=spam, extra=extra
    )
    return (HEAD.format(thread_deleted=thread_deleted) + post + tail).encode()


def read(data: bytes) -> list:
    return list(disqus_reader.read(io.BytesIO(data)))


def read_export() -> list:
    with EXPORT.open("rb") as source:
        return list(disqus_reader.read(source))


def test_the_export_reads_as_each_thread_just_before_its_first_post():
    kinds = [
        (type(item).__name__, getattr(item, "key", None) or item.origin_id)
        for item in read_export()
    ]
    assert kinds == [
        ("ImportedThread", "7001"),
        *[("ImportedEntry", str(n)) for n in range(9001, 9005)],
        ("ImportedThread", "7002"),  # the thread 7003 between them has no post: not yielded
        ("ImportedEntry", "9005"),
        ("ImportedEntry", "9006"),
    ]


def test_a_thread_has_its_address_title_date_and_closed_status():
    threads = [item for item in read_export() if isinstance(item, ImportedThread)]
    assert threads == [
        ImportedThread(
            "7001",
            "https://blog.example/2019/05/hello-world/",
            "Hello, world",
            datetime(2019, 5, 1, 8, 0, tzinfo=UTC),
            comments_open=True,
        ),
        ImportedThread(
            "7002",
            "https://blog.example/2019/06/cafe/",
            "Café au lait — notes",
            datetime(2019, 6, 10, 12, 30, tzinfo=UTC),
            comments_open=False,
        ),
    ]


@pytest.mark.parametrize(
    ("origin_id", "field", "expected"),
    [
        ("9001", "thread_key", "7001"),
        ("9001", "type", EntryType.COMMENT),
        ("9001", "author", "Alice"),
        ("9001", "email", "alice@example.org"),
        ("9001", "ip_address", "203.0.113.7"),
        ("9001", "created", datetime(2019, 5, 2, 9, 15, tzinfo=UTC)),
        ("9001", "parent_id", None),
        (
            "9001",
            "body",
            '<p>First! This is <b>bold</b> and <a href="https://example.org/" '
            'rel="nofollow noopener" title="https://example.org/">a link</a>.</p>',
        ),
        ("9002", "parent_id", "9001"),
        ("9002", "author", "Jürgen Groß"),
        ("9002", "body", "<p>Grüße aus Köln — ça va? 日本語もOK</p>"),
        ("9002", "ip_address", "2001:db8::15"),
        ("9003", "parent_id", "9002"),  # a reply to a reply
        ("9004", "status", Status.TRASH),
        ("9005", "status", Status.SPAM),
        ("9006", "email", ""),
        ("9006", "body", "<p>Nice &amp; warm <script>alert(1)</script>☕</p>"),  # as written
        ("9006", "thread_key", "7002"),
    ],
)
def test_a_post_has_the_fields_disqus_kept(origin_id, field, expected):
    entries = {item.origin_id: item for item in read_export() if isinstance(item, ImportedEntry)}
    assert getattr(entries[origin_id], field) == expected


@pytest.mark.parametrize(
    ("deleted", "spam", "extra", "thread_deleted", "status"),
    [
        ("false", "false", "", "false", Status.APPROVED),
        ("true", "false", "", "false", Status.TRASH),
        ("false", "true", "", "false", Status.SPAM),
        ("true", "true", "", "false", Status.SPAM),
        ("false", "false", "\n    <isApproved>false</isApproved>", "false", Status.PENDING),
        ("false", "false", "\n    <isApproved>true</isApproved>", "false", Status.APPROVED),
        ("false", "false", "", "true", Status.TRASH),  # hidden with its deleted thread
        ("false", "true", "", "true", Status.SPAM),
    ],
)
def test_a_posts_status_follows_its_flags(deleted, spam, extra, thread_deleted, status):
    _, entry = read(export(deleted=deleted, spam=spam, extra=extra, thread_deleted=thread_deleted))
    assert entry.status == status


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2020-01-02T03:04:05Z", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04:05", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),  # Disqus's doc
        ("2020-01-02T05:04:05+02:00", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_dates_are_read_as_utc(created, expected):
    _, entry = read(export(created=created))
    assert entry.created == expected


@pytest.mark.parametrize(
    ("attributes", "created", "expected"),
    [
        ("", "2020-01-02T03:04:05Z", RefusedItem("", "a <post> without dsq:id", 10)),
        (
            ' dsq:id="10"',
            "yesterday",
            RefusedItem("10", "a post without a readable <createdAt>", 10),
        ),
    ],
)
def test_a_post_without_an_id_or_date_is_refused_with_its_line(attributes, created, expected):
    assert read(export(attributes=attributes, created=created)) == [expected]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<disqus xmlns="http://disqus.com"><category>&lol2;</category></disqus>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE disqus SYSTEM "file:///etc/passwd">
<disqus xmlns="http://disqus.com"/>
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BOMB.encode(), "line 2: a DOCTYPE"),
        (EXTERNAL.encode(), "line 2: a DOCTYPE"),
        (export(tail=""), "line 19: the file ends before its XML is complete (truncated?)"),
        (export()[:-150], "line 15: the file ends before its XML is complete (truncated?)"),
        (export().replace(b"<title>A</title>", b"<title>A & B</title>"), "line 5: not well-formed"),
        (b'<?xml version="1.0"?>\n<disqus><post/></disqus>', "line 1: this is not a Disqus export"),
        (b"", "line 1: the file ends before"),
    ],
)
def test_a_file_that_is_not_a_disqus_export_is_refused_with_its_line(data, message):
    with pytest.raises(MalformedFile) as refused:
        read(data)
    assert str(refused.value).startswith(message)
