"""Read a Disqus export (the XML file Disqus mails from Tools → Export, namespace
http://disqus.com) as a stream of import records (rules/imports.py): each thread, then
its posts.

The export declares categories, then threads, then posts; a post names its thread and its
parent by their dsq:id (unique across Disqus: taken as they are). A thread is yielded
just before its first post, so the pages Disqus merely saw (a thread with no post) create
no post here. The file is streamed (rules/xml_stream.py: no DTD, no entity) and each
top-level element is dropped once read, so memory holds the threads' headers only,
whatever the number of posts (issue 15).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from moderation.rules import xml_stream
from moderation.rules.imports import (
    ImportedEntry,
    ImportedThread,
    Item,
    MalformedFile,
    RefusedItem,
)
from moderation.rules.statuses import EntryType, Status

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
ROOT = NS + "disqus"
THREAD = NS + "thread"
POST = NS + "post"
# Posts of a thread deleted in Disqus were hidden with it: they come in as trash.
DELETED_THREAD = Status.TRASH


@dataclass
class _Thread:
    """A thread read, waiting for its first post."""

    record: ImportedThread
    deleted: bool
    yielded: bool = False


def read(source: BinaryIO) -> Iterator[Item]:
    """Every thread that has posts and every post of a Disqus export, in the file's order;
    MalformedFile, with its line, when the file is not well-formed XML, declares a DTD, or
    is not a Disqus export."""
    # The lines of the top-level elements (the root's children) are kept.
    return xml_stream.read(source, lambda _tag, depth: depth == 2, _items)


def _items(events: xml_stream.Events, builder: xml_stream.LineTreeBuilder) -> Iterator[Item]:
    threads: dict[str, _Thread] = {}
    root: Element | None = None
    depth = 0
    for event, element in events:
        if event == "start":
            depth += 1
            if depth == 1:
                if element.tag != ROOT:
                    raise MalformedFile(
                        "this is not a Disqus export: its root is not <disqus> in the "
                        "http://disqus.com namespace",
                        1,
                    )
                root = element
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        # A child of <disqus>: read it, then free it and whatever was read before it.
        line = builder.lines.pop(id(element), None)
        if element.tag == THREAD:
            refused = _thread(element, threads, line)
            if refused is not None:
                yield refused
        elif element.tag == POST:
            yield from _post(element, threads, line)
        root.clear()  # <category> and anything else Disqus adds: nothing to import


def _thread(element: Element, threads: dict[str, _Thread], line: int | None) -> Item | None:
    """Keep a thread's header until its first post; a thread without an id is refused."""
    key = element.get(DSQ_ID, "").strip()
    if not key:
        return RefusedItem("", "a <thread> without dsq:id", line)
    threads[key] = _Thread(
        ImportedThread(
            key=key,
            url=_text(element, "link"),
            title=_text(element, "title"),
            created=_date(_text(element, "createdAt")),
            comments_open=not _true(element, "isClosed"),
        ),
        deleted=_true(element, "isDeleted"),
    )
    return None


def _post(element: Element, threads: dict[str, _Thread], line: int | None) -> Iterator[Item]:
    """A post as an entry (its thread first, the first time), or refused with the reason."""
    origin_id = element.get(DSQ_ID, "").strip()
    if not origin_id:
        yield RefusedItem("", "a <post> without dsq:id", line)
        return
    created = _date(_text(element, "createdAt"))
    if created is None:
        yield RefusedItem(origin_id, "a post without a readable <createdAt>", line)
        return
    thread_key = _reference(element, "thread")
    thread = threads.get(thread_key)
    if thread is not None and not thread.yielded:
        thread.yielded = True
        yield thread.record
    status = _status(element)
    if thread is not None and thread.deleted and status == Status.APPROVED:
        status = DELETED_THREAD
    author = element.find(NS + "author")
    yield ImportedEntry(
        origin_id=origin_id,
        thread_key=thread_key,
        type=EntryType.COMMENT,
        status=status,
        author=_text(author, "name"),
        body=_text(element, "message"),
        created=created,
        parent_id=_reference(element, "parent") or None,
        email=_text(author, "email"),
        ip_address=_text(element, "ipAddress"),
    )


def _status(element: Element) -> Status:
    """Spam, then deleted, then approved: isApproved is not in the exports seen (Isso's
    and Remark42's test files), but is read when there, as the API names it."""
    if _true(element, "isSpam"):
        return Status.SPAM
    if _true(element, "isDeleted"):
        return Status.TRASH
    approved = element.find(NS + "isApproved")
    if approved is not None and (approved.text or "").strip().lower() == "false":
        return Status.PENDING
    return Status.APPROVED


def _text(element: Element | None, name: str) -> str:
    child = element.find(NS + name) if element is not None else None
    return (child.text or "").strip() if child is not None else ""


def _true(element: Element, name: str) -> bool:
    return _text(element, name).lower() == "true"


def _reference(element: Element, name: str) -> str:
    """The dsq:id a <thread/> or <parent/> child names; "" when it has none."""
    child = element.find(NS + name)
    return child.get(DSQ_ID, "").strip() if child is not None else ""


def _date(text: str) -> datetime | None:
    """An ISO 8601 date ("2013-10-10T19:20:29Z"); one without an offset is UTC, as
    Disqus's own example has it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
