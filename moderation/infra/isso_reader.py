"""Read an Isso database (the SQLite file of github.com/posativ/isso: tables threads,
comments and preferences) as a stream of import records (rules/imports.py): every
thread, then every comment in id order, so a parent comes before its replies.

The file is opened read-only and read a row at a time. Isso names a thread by its page's
path ("/2024/hello/"): the caller gives the origin of the site it served, which also
qualifies each comment's id (every Isso database numbers them from 1). Isso keeps the
comment's text as the Markdown its reader typed, and its IP address already shortened
(192.168.1.0): both are taken as they are.
"""

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from moderation.rules.imports import (
    ImportedEntry,
    ImportedThread,
    Item,
    MalformedFile,
    RefusedItem,
    sourced,
)
from moderation.rules.statuses import EntryType, Status

# Isso's modes (isso/db/comments.py): 4 is a comment deleted while it had replies, kept
# as an empty placeholder so that they stay threaded: it comes in as trash, for the same.
MODES = {1: Status.APPROVED, 2: Status.PENDING, 4: Status.TRASH}
NEEDED = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "mode", "remote_addr", "text", "author"},
}
# A thread left without comments (older Isso kept them) would only make an empty post.
THREADS = "SELECT id, uri, title FROM threads WHERE id IN (SELECT tid FROM comments) ORDER BY id"
COMMENTS = (
    "SELECT id, tid, parent, created, mode, remote_addr, text, author, email, website "
    "FROM comments ORDER BY id"
)
NO_ADDRESS = "0.0.0.0"  # what Isso stores when it was given no valid address


def read(path: Path, origin: str) -> Iterator[Item]:
    """Every thread and comment of an Isso database, threads first, comments by id;
    MalformedFile when the file is not an SQLite database or not Isso's."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise MalformedFile(f"the database cannot be opened ({error})") from None
    # Text that is not UTF-8 (SQLite does not check) is read with U+FFFD, not refused.
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        _check_schema(connection)
        for row in connection.execute(THREADS):
            yield _thread(row, origin)
        for row in connection.execute(COMMENTS):
            yield _comment(row, origin)
    except sqlite3.DatabaseError as error:
        raise MalformedFile(f"this is not a readable SQLite database ({error})") from None
    finally:
        connection.close()


def _check_schema(connection: sqlite3.Connection) -> None:
    """Refuse a database without Isso's tables and the columns read from them."""
    for table, columns in NEEDED.items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not present:
            raise MalformedFile(f"this is not an Isso database: it has no {table} table")
        missing = columns - present
        if missing:
            raise MalformedFile(
                f"this is not an Isso database: its {table} table has no "
                f"{', '.join(sorted(missing))}"
            )


def _thread(row: tuple, origin: str) -> ImportedThread:
    key, uri, title = row
    return ImportedThread(key=str(key), url=page_url(origin, uri or ""), title=title or "")


def page_url(origin: str, uri: str) -> str:
    """The page's address: Isso's uri is a path on the site (an address when the page set
    data-isso-id to one)."""
    uri = uri.strip()
    if uri.startswith(("http://", "https://")):
        return uri
    return origin.rstrip("/") + "/" + uri.lstrip("/")


def _comment(row: tuple, origin: str) -> ImportedEntry | RefusedItem:
    comment_id, tid, parent, created, mode, remote_addr, text, author, email, website = row
    origin_id = sourced(origin, str(comment_id))
    if mode not in MODES:
        return RefusedItem(origin_id, f"mode {mode!r} is not 1 (valid), 2 (pending) or 4 (deleted)")
    try:
        moment = datetime.fromtimestamp(float(created), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return RefusedItem(origin_id, "a comment without a readable creation time")
    return ImportedEntry(
        origin_id=origin_id,
        thread_key=str(tid),
        type=EntryType.COMMENT,
        status=MODES[mode],
        author=author or "",
        body=text or "",
        created=moment,
        parent_id=sourced(origin, str(parent)) if parent else None,  # none: NULL (0 too)
        email=email or "",
        website=website or "",
        ip_address="" if remote_addr == NO_ADDRESS else remote_addr or "",
    )
