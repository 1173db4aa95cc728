"""Personal data by email address (issue 15): what we hold on an address, as a JSON
export, and its erasure, as WordPress's privacy tools do it.

An address is matched case-insensitively: subscribers keep it lowercased, entries as it
was typed. Erasing anonymises the address's entries (the author becomes "Anonymous"; the
email, website, IP address, user agent and fingerprint, a digest of the email, go), or
deletes them; and the address goes from everywhere else it is kept: the subscription,
the mails to it and those naming it, the readers' data requests, the audit log's words
and the text of any entry. What remains of it is a moderator's block, if any: see
erase(). The audit log records each export and erasure without the address. The
places besides the entries are services/personal_traces.py.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.infra.models import (
    AuditEvent,
    DataRequest,
    DiscussionSettings,
    Entry,
    Mail,
    Post,
    Subscriber,
    utcnow,
)
from moderation.rules import notifications, sanitize
from moderation.rules.errors import Refused
from moderation.services import moderating, personal_traces
from moderation.services.accounts import Actor, record

ANONYMOUS = "Anonymous"  # WordPress's wp_privacy_anonymize_data for a comment's author
# Isso's way: an entry that others answered stays, emptied, so their replies keep their
# place in the thread.
DELETED_TEXT = "This comment was deleted."
EXPORT_ACTION = "privacy-export"
ERASE_ACTION = "privacy-erase"
EXPORT_FORMAT = 1  # the export's "format": raised when its shape changes
STILL_BLOCKED = (
    "The address stays on the disallowed words, where a moderator put it: erasing a "
    "spammer's data does not unblock them. Remove it in the Discussion settings if you wish."
)


def address(email: str) -> str:
    """An address as it is matched: trimmed and lowercased; Refused when empty (which
    would match every entry that has none: linkbacks, moderators' replies)."""
    wanted = notifications.address(email)
    if not wanted:
        raise Refused("Give an email address.", "email")
    return wanted


def entries_of(session: Session, email: str) -> list[Entry]:
    """Every entry sent with this address (any case), oldest first."""
    return list(
        session.scalars(
            select(Entry).where(func.lower(Entry.email) == address(email)).order_by(Entry.id)
        )
    )


@dataclass(frozen=True)
class Held:
    """How much we hold on an address, as the reader's "Your data" page tells it."""

    entries: int
    subscribed: bool
    mails: int

    @property
    def anything(self) -> bool:
        return bool(self.entries or self.subscribed)


def held(session: Session, email: str) -> Held:
    """Count what we hold on an address: its entries, its subscription, mails to it."""
    wanted = address(email)
    return Held(
        entries=session.scalar(
            select(func.count()).select_from(Entry).where(func.lower(Entry.email) == wanted)
        ),
        subscribed=session.scalar(select(Subscriber.id).where(Subscriber.email == wanted))
        is not None,
        mails=session.scalar(
            select(func.count()).select_from(Mail).where(func.lower(Mail.recipient) == wanted)
        ),
    )


# Export.


def export(session: Session, actor: Actor, email: str) -> dict[str, Any]:
    """Everything held on an address, JSON-ready: its entries (every field, with their
    post), subscription, mails (not their text), data requests and the audit log's
    lines that name it or its entries; the audit log records the export, without the
    address."""
    wanted = address(email)
    entries = entries_of(session, wanted)
    ids = [entry.id for entry in entries]
    posts = _posts(session, {entry.post_id for entry in entries})
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == wanted))
    exported = {
        "format": EXPORT_FORMAT,
        "exported": _json_value(utcnow()),
        "entries": [_entry(entry, posts[entry.post_id]) for entry in entries],
        "subscription": _subscription(subscriber) if subscriber else None,
        "mails": [_mail(each) for each in _mails_to(session, wanted)],
        "data_requests": [
            {"created": _json_value(each.created)}
            for each in session.scalars(
                select(DataRequest).where(DataRequest.email == wanted).order_by(DataRequest.id)
            )
        ],
        "audit_log": [_audit_line(each) for each in _audit_lines(session, wanted, ids)],
    }
    record(session, actor, EXPORT_ACTION, ids, f"exported the personal data of {_of(ids)}")
    return exported


def _of(ids: Collection[int]) -> str:
    return f"{len(ids)} {'entry' if len(ids) == 1 else 'entries'}"


def _json_value(value: Any) -> Any:
    """A column's value as JSON holds it: timestamps in ISO 8601, enums as their value."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _posts(session: Session, ids: Collection[int]) -> dict[int, Row]:
    rows = session.execute(select(Post.id, Post.slug, Post.title, Post.url).where(Post.id.in_(ids)))
    return {row.id: row for row in rows}


def _entry(entry: Entry, post: Row) -> dict[str, Any]:
    """Every column of the entry, and the post it belongs to."""
    fields = {
        column.key: _json_value(getattr(entry, column.key)) for column in Entry.__table__.columns
    }
    return {**fields, "post": {"slug": post.slug, "title": post.title, "url": post.url}}


def _subscription(subscriber: Subscriber) -> dict[str, Any]:
    # Not its key: the secret of its links is no data about the reader.
    return {
        "email": subscriber.email,
        "created": _json_value(subscriber.created),
        "confirmed": _json_value(subscriber.confirmed),
        "unsubscribed": _json_value(subscriber.unsubscribed),
    }


def _mails_to(session: Session, wanted: str) -> Iterable[Mail]:
    return session.scalars(
        select(Mail).where(func.lower(Mail.recipient) == wanted).order_by(Mail.id)
    )


def _mail(mail: Mail) -> dict[str, Any]:
    # What was sent, and when; not the message, which holds links that still work.
    return {
        "recipient": mail.recipient,
        "kind": mail.kind.value,
        "entry_id": mail.entry_id,
        "subject": mail.subject,
        "created": _json_value(mail.created),
        "state": mail.state.value,
        "sent": _json_value(mail.sent),
    }


def _audit_lines(session: Session, wanted: str, ids: Collection[int]) -> list[AuditEvent]:
    """The audit log's lines that name the address in their words or one of its entries."""
    names = [func.lower(AuditEvent.detail).contains(wanted, autoescape=True)]
    # entry_ids is "3,17,42": an id is named when ",17," is in ",3,17,42,".
    listed = "," + AuditEvent.entry_ids + ","
    names += [listed.contains(f",{entry_id},") for entry_id in ids]
    found: dict[int, AuditEvent] = {}
    for start in range(0, len(names), personal_traces.BATCH):
        for event in session.scalars(
            select(AuditEvent).where(or_(*names[start : start + personal_traces.BATCH]))
        ):
            found[event.id] = event
    return [found[key] for key in sorted(found)]


def _audit_line(event: AuditEvent) -> dict[str, Any]:
    # Not the moderator's IP address: theirs, not the reader's.
    return {
        "created": _json_value(event.created),
        "moderator": event.username,
        "action": event.action,
        "entry_ids": [int(each) for each in event.entry_ids.split(",") if each],
        "detail": event.detail,
    }


# Erasure.


@dataclass
class Erased:
    """What an erasure did, for its audit line and the one who asked."""

    anonymised: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    traces: personal_traces.Removed = field(default_factory=personal_traces.Removed)
    blocked: bool = False  # the address stays on the disallowed words

    @property
    def anything(self) -> bool:
        return bool(self.anonymised or self.deleted or self.traces.anything)

    def summary(self) -> str:
        """What was done, in words that do not name the address."""
        done = [f"erased the personal data of {_of(self.anonymised + self.deleted)}"]
        if self.deleted:
            done.append(f"{len(self.deleted)} deleted")
        return "; ".join([", ".join(done), *self.traces.summary()])

    def report(self) -> str:
        """What the one who asked is told."""
        if not self.anything:
            return "Nothing is held for that address."
        summary = self.summary()
        return summary[0].upper() + summary[1:] + "."


def erase(session: Session, actor: Actor, email: str, delete_entries: bool = False) -> Erased:
    """Anonymise the address's entries, or delete them (`delete_entries`: those that
    others answered stay as emptied, anonymous placeholders, so replies keep their
    thread), and remove the address from everywhere else; audited without the address.

    A moderator's block of the address (the disallowed words) stays, as WordPress keeps
    its disallowed list: erasing one's data does not unblock a spammer.
    """
    wanted = address(email)
    ids = list(session.scalars(select(Entry.id).where(func.lower(Entry.email) == wanted)))
    erased = Erased()
    # First, while the mails still name their entries (the foreign key sets NULL).
    erased.traces = personal_traces.remove(session, wanted, ids)
    if delete_entries:
        kept = _answered(session, ids)
        erased.deleted = _delete(session, [each for each in ids if each not in kept])
        erased.anonymised = _anonymise(session, sorted(kept), emptied=True)
    else:
        erased.anonymised = _anonymise(session, ids)
    if erased.anything:
        record(session, actor, ERASE_ACTION, ids, erased.summary())
    erased.blocked = _blocked(session, wanted)
    return erased


def _blocked(session: Session, wanted: str) -> bool:
    """Whether a disallowed word is the address (a moderator's "block")."""
    words = session.scalar(select(DiscussionSettings.disallowed_words)) or ""
    return wanted in (line.strip().lower() for line in words.splitlines())


def _answered(session: Session, ids: list[int]) -> set[int]:
    """The entries among `ids` with a reply, or a reply's reply, by someone else: their
    own replies alone would go with them."""
    chosen = set(ids)
    parents: dict[int, int | None] = {}
    answered: set[int] = set()
    for chunk in personal_traces.chunks(ids):
        rows = session.execute(select(Entry.id, Entry.parent_id).where(Entry.id.in_(chunk)))
        parents.update(rows.all())
        replies = session.execute(
            select(Entry.id, Entry.parent_id).where(Entry.parent_id.in_(chunk))
        )
        answered.update(parent for reply, parent in replies if reply not in chosen)
    pending = list(answered)
    while pending:  # up the thread: a parent of a kept entry is kept too
        parent = parents.get(pending.pop())
        if parent in chosen and parent not in answered:
            answered.add(parent)
            pending.append(parent)
    return answered


def _anonymise(session: Session, ids: list[int], emptied: bool = False) -> list[int]:
    """Clear the author's details from the entries (and their text, when `emptied`)."""
    if not ids:
        return []
    values: dict[str, Any] = {
        "author": ANONYMOUS,
        "email": "",
        "website": "",
        "ip_address": "",
        "user_agent": "",
        "fingerprint": None,  # a digest of post, parent, name, email and text
        "notify": False,
        "updated": utcnow(),  # a new version: cached pages of the thread are drawn again
    }
    if emptied:
        values |= {"body": DELETED_TEXT, "body_html": sanitize.comment_html(DELETED_TEXT)}
    for chunk in personal_traces.chunks(ids):
        session.execute(
            update(Entry)
            .where(Entry.id.in_(chunk))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()
    return ids


def _delete(session: Session, ids: list[int]) -> list[int]:
    """Delete entries as emptying the spam or trash does: their photos, and the
    webhooks told, with them."""
    return sorted(
        entry_id
        for chunk in personal_traces.chunks(ids)
        for entry_id in moderating.delete_entries(session, Entry.id.in_(chunk))
    )
