"""The Isso database reader (issue 15): a database made with Isso's own tables, read as
its threads (at the site's origin) then its comments in id order, with their modes; a
file that is not one is refused."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.infra import isso_reader
from moderation.rules.imports import ImportedEntry, ImportedThread, MalformedFile, RefusedItem
from moderation.rules.statuses import EntryType, Status

DUMP = Path(__file__).resolve().parents[1] / "data" / "imports" / "isso.sql"
ORIGIN = "https://blog.example"


def sourced(comment_id: int) -> str:
    """An Isso comment's origin id: its id at the site's origin."""
    return f"{ORIGIN}#{comment_id}"


def isso_database(path: Path, *statements: str) -> Path:
    """An Isso database at path: the dump's tables and rows, then the statements."""
    with sqlite3.connect(path) as connection:
        connection.executescript(DUMP.read_text(encoding="utf-8"))
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path


def read(path: Path) -> list:
    return list(isso_reader.read(path, ORIGIN))


@pytest.fixture
def items(tmp_path) -> list:
    return read(isso_database(tmp_path / "comments.db"))


def test_the_database_reads_as_its_threads_then_its_comments_by_id(items):
    kinds = [(type(item).__name__, getattr(item, "key", None) or item.origin_id) for item in items]
    assert kinds == [
        ("ImportedThread", "1"),
        ("ImportedThread", "2"),  # thread 3 has no comment: not read
        *[("ImportedEntry", sourced(n)) for n in range(1, 8)],
    ]


def test_a_thread_is_its_path_at_the_sites_origin(items):
    assert [item for item in items if isinstance(item, ImportedThread)] == [
        ImportedThread("1", "https://blog.example/2024/hello/", "Hello, world"),
        ImportedThread("2", "https://blog.example/2024/%C3%BCber-caf%C3%A9/", "Über café"),
    ]


@pytest.mark.parametrize(
    ("comment_id", "field", "expected"),
    [
        ("1", "thread_key", "1"),
        ("1", "type", EntryType.COMMENT),
        ("1", "status", Status.APPROVED),
        ("1", "created", datetime(2024, 1, 1, 10, 0, 0, 250000, tzinfo=UTC)),
        ("1", "author", "Alice"),
        ("1", "email", "alice@example.org"),
        ("1", "website", "https://alice.example/"),
        ("1", "ip_address", "192.168.1.0"),  # Isso's, shortened already
        ("1", "body", "Hello **world**, see [my site](https://alice.example/)."),  # Markdown
        ("1", "parent_id", None),
        ("2", "parent_id", sourced(1)),
        ("2", "author", "Jürgen Groß"),
        ("2", "email", ""),
        ("2", "ip_address", "2001:0db8:0001:0000:0000:0000:0000:0000"),
        ("3", "status", Status.PENDING),
        ("4", "status", Status.TRASH),  # deleted, kept as a placeholder for its reply
        ("4", "author", ""),
        ("4", "body", ""),
        ("5", "parent_id", sourced(4)),
        ("6", "thread_key", "2"),
        ("7", "ip_address", ""),  # Isso's 0.0.0.0: no address
        ("7", "created", datetime(2024, 2, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_a_comment_has_the_fields_isso_kept(items, comment_id, field, expected):
    entries = {item.origin_id: item for item in items if isinstance(item, ImportedEntry)}
    assert getattr(entries[sourced(comment_id)], field) == expected


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("/2024/hello/", "https://blog.example/2024/hello/"),
        ("2024/hello", "https://blog.example/2024/hello"),
        ("/search?q=1", "https://blog.example/search?q=1"),
        ("https://other.example/page", "https://other.example/page"),  # data-isso-id
    ],
)
def test_a_threads_uri_becomes_its_address(uri, url):
    assert isso_reader.page_url(ORIGIN + "/", uri) == url


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE comments SET mode = 3 WHERE id = 6",
            RefusedItem(sourced(6), "mode 3 is not 1 (valid), 2 (pending) or 4 (deleted)"),
        ),
        (
            "UPDATE comments SET created = 'soon' WHERE id = 6",
            RefusedItem(sourced(6), "a comment without a readable creation time"),
        ),
    ],
)
def test_a_comment_isso_could_not_have_written_is_refused(tmp_path, statement, expected):
    items = read(isso_database(tmp_path / "comments.db", statement))
    assert [item for item in items if isinstance(item, RefusedItem)] == [expected]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DROP TABLE threads", "this is not an Isso database: it has no threads table"),
        (
            "ALTER TABLE comments DROP COLUMN author",
            "this is not an Isso database: its comments table has no author",
        ),
    ],
)
def test_a_database_without_issos_tables_is_refused(tmp_path, statement, message):
    path = isso_database(tmp_path / "comments.db", statement)
    with pytest.raises(MalformedFile, match=f"^{message}$"):
        read(path)


NOT_A_DATABASE = "this is not a readable SQLite database (file is not a database)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<?xml version='1.0'?><disqus/>", NOT_A_DATABASE),
        (b"SQLite format 3\x00" + b"\x01" * 200, NOT_A_DATABASE),  # a damaged header
        (b"", "this is not an Isso database: it has no threads table"),
    ],
)
def test_a_file_that_is_not_an_sqlite_database_is_refused(tmp_path, content, message):
    path = tmp_path / "comments.db"
    path.write_bytes(content)
    with pytest.raises(MalformedFile) as refused:
        read(path)
    assert str(refused.value) == message
    assert path.read_bytes() == content  # opened read-only: not turned into a database
