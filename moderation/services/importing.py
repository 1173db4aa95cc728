"""Bring another system's comments in (issue 15): the records a reader yields
(rules/imports.py) written a batch at a time, each batch one transaction that also
records how far the run got, so a run that stopped resumes after its last batch.

Nothing is fetched and nobody is notified: no event, mail, webhook or job. Each entry
keeps its origin (system and original id, with its blog's address where the system numbers
per blog), so a second run of a file skips them all.
The caller commits after each batch `Importer.batches` yields (or, for a dry run, rolls
everything back at the end).
"""

import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, ImportRun, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.imports import ImportedEntry, ImportedThread, Item
from moderation.rules.limits import (
    EMAIL_MAX_BYTES,
    NAME_MAX_BYTES,
    ORIGIN_ID_MAX_CHARS,
    REASON_MAX_CHARS,
    SOURCE_TITLE_MAX_CHARS,
    USER_AGENT_MAX_CHARS,
    WEBSITE_MAX_BYTES,
    fit_bytes,
)
from moderation.rules.statuses import EntryType, ImportSystem
from moderation.rules.urls import is_web_url
from moderation.services import import_threads
from moderation.services.accounts import Actor, record

BATCH_SIZE = 500  # items per transaction (WordPress's own data tools take 500 a batch)
NAMES = {
    ImportSystem.WORDPRESS: "WordPress",
    ImportSystem.DISQUS: "Disqus",
    ImportSystem.ISSO: "Isso",
}
ANONYMOUS = "Anonymous"  # WordPress's name for an author who left none
NO_THREAD = "its thread was not imported"
LONG_ID = f"an id (with its blog's or site's address) longer than {ORIGIN_ID_MAX_CHARS} characters"
NO_SOURCE = "a linkback without a web address for its source"
REPEATED_LINKBACK = "a linkback of that type from that source is on that post already"


@dataclass
class Tally:
    """What a run has done so far: threads mapped, entries imported, skipped as already
    there, and refused with each reason (counted in this process: a resumed run knows its
    earlier refusals' total only)."""

    threads: int = 0
    posts_created: int = 0  # by this process (a resumed run's earlier part is not counted)
    imported: int = 0
    skipped: int = 0
    refused_before: int = 0  # refused by the earlier part of a resumed run
    refusals: Counter[str] = field(default_factory=Counter)
    position: int = 0  # items read and done

    @property
    def refused(self) -> int:
        return self.refused_before + sum(self.refusals.values())

    @property
    def entries(self) -> int:
        return self.imported + self.skipped + self.refused


def open_run(session: Session, system: ImportSystem, digest: str, filename: str) -> ImportRun:
    """The run of this file (by its sha256): resumed where it stopped, or started over from
    the first item once it had finished (everything is then skipped as already there)."""
    run = session.scalar(
        select(ImportRun).where(ImportRun.system == system, ImportRun.digest == digest)
    )
    if run is None:
        run = ImportRun(system=system, digest=digest, filename=filename[:255])
        session.add(run)
    elif run.finished is not None:
        run.position = run.threads = run.imported = run.skipped = run.refused = 0
        run.finished = None
    run.filename = filename[:255]
    session.flush()
    return run


def finish(session: Session, run: ImportRun, tally: Tally, actor: Actor) -> None:
    """Mark the run done and write its line in the audit log."""
    run.finished = utcnow()
    record(
        session,
        actor,
        f"import-{run.system.value}",
        (),
        f"{run.filename}: {tally.threads} threads ({tally.posts_created} new posts), "
        f"{tally.imported} imported, {tally.skipped} skipped as already there, "
        f"{tally.refused} refused",
    )


class Importer:
    """One pass over a file's items, writing them to the session a batch at a time.

    `run` is None for a dry run: the same reads and writes, never committed, and no row
    says the run happened. `own_base_url` is SITE_URL: a thread at one of our own post
    addresses is that post.
    """

    def __init__(
        self,
        session: Session,
        system: ImportSystem,
        run: ImportRun | None = None,
        own_base_url: str | None = None,
    ):
        self.session = session
        self.system = system
        self.run = run
        self.threads = import_threads.ThreadMap(session, own_base_url)
        self.tally = Tally()
        if run is not None:
            self.tally = Tally(
                threads=run.threads,
                imported=run.imported,
                skipped=run.skipped,
                refused_before=run.refused,
                position=run.position,
            )
        self.default_reason = f"imported from {NAMES[system]}"
        # Entries whose parent was not there yet, by the parent's origin id: resolved when
        # it comes. Taken from the database too, so that a resumed run resolves them.
        self.orphans: dict[str, list[str]] = {}

    def batches(self, items: Iterable[Item], batch_size: int = BATCH_SIZE) -> Iterator[Tally]:
        """Write the items, yielding after each batch of `batch_size` (and after the last):
        the caller commits there. Items before the run's position were written by an
        earlier process: only their threads are read again, to know their posts."""
        self._load_orphans()
        start = self.tally.position
        waiting: list[ImportedEntry] = []
        index = -1
        for index, item in enumerate(items):
            if index < start:
                if isinstance(item, ImportedThread):
                    self.threads.post_for(item)
                continue
            if isinstance(item, ImportedThread):
                self._take_thread(item)
            elif isinstance(item, ImportedEntry):
                waiting.append(item)
            else:
                self._refuse(item.reason)
            if index + 1 - self.tally.position >= batch_size:
                yield self._write(waiting, index + 1)
                waiting = []
        yield self._write(waiting, max(index + 1, start))

    def _take_thread(self, thread: ImportedThread) -> None:
        post_id, created = self.threads.post_for(thread)
        if post_id is None:
            self._refuse(import_threads.NO_WEB_ADDRESS)
            return
        self.tally.threads += 1
        self.tally.posts_created += created

    def _refuse(self, reason: str) -> None:
        self.tally.refusals[reason] += 1

    def _write(self, waiting: list[ImportedEntry], position: int) -> Tally:
        """Insert a batch's entries, resolve the parents it brings, and note the position."""
        if waiting:
            inserted = self._insert(waiting)
            self._resolve_parents(waiting, inserted)
        self.tally.position = position
        if self.run is not None:
            run, tally = self.run, self.tally
            run.position, run.threads = position, tally.threads
            run.imported, run.skipped, run.refused = tally.imported, tally.skipped, tally.refused
        self.session.flush()
        return self.tally

    def _insert(self, waiting: list[ImportedEntry]) -> set[str]:
        """Insert the entries not there yet; the origin ids inserted."""
        there = set(
            self.session.scalars(
                select(Entry.origin_id).where(
                    Entry.origin == self.system,
                    Entry.origin_id.in_([each.origin_id for each in waiting]),
                )
            )
        )
        rows: list[dict] = []
        now = utcnow()
        for entry in waiting:
            if entry.origin_id in there:
                self.tally.skipped += 1
                continue
            refusal, row = self._row(entry, now)
            if refusal:
                self._refuse(refusal)
                continue
            there.add(entry.origin_id)  # the same id twice in one file: the second skips
            rows.append(row)
        if not rows:
            return set()
        insert = _INSERT_ENTRY[self.session.get_bind().dialect.name]
        inserted = set(self.session.scalars(insert, rows))
        self.tally.imported += len(inserted)
        for _ in range(len(rows) - len(inserted)):
            self._refuse(REPEATED_LINKBACK)  # the one other unique index an import can meet
        return inserted

    def _row(self, entry: ImportedEntry, now: datetime) -> tuple[str, dict]:
        """The entry as a row of `entries`, or why it cannot be one."""
        post_id = self.threads.post_id(entry.thread_key)
        if post_id is None:
            return NO_THREAD, {}
        if len(entry.origin_id) > ORIGIN_ID_MAX_CHARS or len(entry.parent_id or "") > (
            ORIGIN_ID_MAX_CHARS
        ):
            return LONG_ID, {}
        linkback = entry.type != EntryType.COMMENT
        source_url = _clean(entry.source_url or "")
        if linkback and not is_web_url(source_url):
            return NO_SOURCE, {}
        body = _clean(entry.body)
        return "", {
            "post_id": post_id,
            "parent_id": None,
            "type": entry.type,
            "status": entry.status,
            "rule": policy.Rule.IMPORT.value,
            "reason": _clean(entry.reason or self.default_reason)[:REASON_MAX_CHARS],
            # Display text is cut to its column; an address that does not fit is no
            # address (a cut one would be someone else's), so it is left out.
            "author": fit_bytes(_clean(entry.author).strip() or ANONYMOUS, NAME_MAX_BYTES),
            "email": _fitting(_clean(entry.email).strip(), EMAIL_MAX_BYTES),
            "website": _website(_clean(entry.website).strip()),
            "body": body,
            "body_html": sanitize.comment_html(body),
            "moderator_id": None,
            "source_url": source_url if linkback else None,
            "source_title": (
                _clean(entry.source_title or "")[:SOURCE_TITLE_MAX_CHARS] if linkback else None
            ),
            "mention_kind": entry.mention_kind,
            "author_photo": None,
            "published": entry.published,
            "ip_address": _ip(entry.ip_address),
            "user_agent": _clean(entry.user_agent)[:USER_AGENT_MAX_CHARS],
            "fingerprint": None,  # not a reader's form: the duplicate rule is not for it
            "notify": False,
            "origin": self.system,
            "origin_id": entry.origin_id,
            "origin_parent_id": entry.parent_id,
            "created": entry.created,
            # The time of the import: spam and trash are purged PURGE_AFTER_DAYS after
            # they last changed (services/maintenance.py), so years-old imported spam
            # waits as long as new spam for the owner to look, not one night.
            "updated": now,
        }

    def _load_orphans(self) -> None:
        rows = self.session.execute(
            select(Entry.origin_id, Entry.origin_parent_id).where(
                Entry.origin == self.system,
                Entry.origin_parent_id.is_not(None),
                Entry.parent_id.is_(None),
            )
        )
        for child, parent in rows:
            self.orphans.setdefault(parent, []).append(child)

    def _resolve_parents(self, waiting: list[ImportedEntry], inserted: set[str]) -> None:
        """Link each new reply to its parent, and the earlier replies that waited for a
        parent this batch brought; replies whose parent is still missing wait on."""
        wanted = {each.origin_id: each.parent_id for each in waiting if each.parent_id}
        wanted = {child: parent for child, parent in wanted.items() if child in inserted}
        for parent in inserted & self.orphans.keys():
            wanted.update(dict.fromkeys(self.orphans.pop(parent), parent))
        if not wanted:
            return
        found = dict(
            self.session.execute(
                select(Entry.origin_id, Entry.id).where(
                    Entry.origin == self.system, Entry.origin_id.in_(sorted(set(wanted.values())))
                )
            ).all()
        )
        links = [
            {"child": child, "parent": found[parent]}
            for child, parent in wanted.items()
            if parent in found
        ]
        for child, parent in wanted.items():
            if parent not in found:
                self.orphans.setdefault(parent, []).append(child)
        if links:
            self.session.execute(
                _SET_PARENT, [{**link, "system": self.system.value} for link in links]
            )


# Inserted unless the same linkback (post, type, source) is there: an imported blog may
# hold two pingbacks from one page, which our unique index keeps to one.
_INSERT_ENTRY = {
    name: dialect.insert(Entry.__table__)
    .on_conflict_do_nothing()
    .returning(Entry.__table__.c.origin_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_ENTRIES = Entry.__table__
# `updated` is set to itself: linking a parent is no change of the entry's (no onupdate
# stamp); it stays the time of its import.
_SET_PARENT = (
    _ENTRIES.update()
    .where(_ENTRIES.c.origin == bindparam("system"), _ENTRIES.c.origin_id == bindparam("child"))
    .values(parent_id=bindparam("parent"), updated=_ENTRIES.c.updated)
)


def _clean(text: str) -> str:
    """PostgreSQL's text holds no NUL (a SQLite file may)."""
    return text.replace("\x00", "")


def _fitting(text: str, limit: int) -> str:
    return text if len(text.encode()) <= limit else ""


def _website(url: str) -> str:
    """An http(s) link that fits its column; anything else is dropped (SPEC §3: only
    http and https links)."""
    return url if is_web_url(url) and len(url.encode()) <= WEBSITE_MAX_BYTES else ""


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""
