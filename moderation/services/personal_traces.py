"""Where an address is kept besides its entries (issue 15), and its removal from there:
the subscription, mails to it and those that name it, readers' data requests, the audit
log's words, and the text of any entry that quotes it. personal_data.erase() calls it.
"""

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.infra.models import AuditEvent, DataRequest, Entry, Job, Mail, Subscriber, utcnow
from moderation.rules.statuses import MailKind
from moderation.services import mail

BATCH = 500  # ids in one IN (...) list; rows read at a time
ERASED = "[erased]"  # what stands where the address was in an audit line or a text
# A mail about an entry shows its text, and a moderator's its author's address: such
# mails are found by their entry while it is there. A digest shows up to ten entries,
# with no entry of its own to find it by: these, and the mails whose entry is gone, are
# read through for the address.
UNLINKED = or_(Mail.kind == MailKind.DIGEST, Mail.entry_id.is_(None))


@dataclass
class Removed:
    """How many of each place held the address and no longer do."""

    subscription: bool = False
    mails: int = 0
    data_requests: int = 0
    audit_lines: int = 0
    texts: int = 0

    @property
    def anything(self) -> bool:
        return bool(
            self.subscription or self.mails or self.data_requests or self.audit_lines or self.texts
        )

    def summary(self) -> list[str]:
        """What was removed, in words that do not name the address."""
        said = ["subscription removed"] if self.subscription else []
        counts = (
            (self.mails, "mail", "mails", "deleted"),
            (self.data_requests, "data request", "data requests", "removed"),
            (self.audit_lines, "audit line", "audit lines", "redacted"),
            (self.texts, "entry's text", "entries' texts", "redacted"),
        )
        said += [f"{n} {one if n == 1 else many} {done}" for n, one, many, done in counts if n]
        return said


def remove(session: Session, wanted: str, entry_ids: Collection[int]) -> Removed:
    """Remove the address (lowercased) from every place but its entries' own columns;
    `entry_ids` are its entries, whose mails go too, as do those of entries quoting it."""
    removed = Removed()
    removed.subscription = bool(
        session.execute(delete(Subscriber).where(Subscriber.email == wanted)).rowcount
    )
    removed.data_requests = session.execute(
        delete(DataRequest).where(DataRequest.email == wanted)
    ).rowcount
    quoting = _redact_texts(session, wanted)
    removed.texts = len(quoting)
    about = {*entry_ids, *quoting}
    removed.mails = _delete_mails(session, sorted(_mails(session, wanted, about)))
    removed.audit_lines = _redact_audit(session, wanted)
    return removed


def chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` a batch at a time: a driver takes a bounded number of parameters."""
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _mails(session: Session, wanted: str, entry_ids: Collection[int]) -> set[int]:
    """The mails to the address, about `entry_ids`, or naming it in their text."""
    found = set(session.scalars(select(Mail.id).where(func.lower(Mail.recipient) == wanted)))
    for chunk in chunks(sorted(entry_ids)):
        found.update(session.scalars(select(Mail.id).where(Mail.entry_id.in_(chunk))))
    rows = session.execute(
        select(Mail.id, Mail.message).where(UNLINKED).execution_options(yield_per=BATCH)
    )
    found.update(mail_id for mail_id, message in rows if wanted in _text_of(message))
    return found


def _text_of(message: bytes) -> str:
    """A stored message as its reader sees it, lowercased: headers and every text part,
    decoded (quoted-printable or base64 would hide an address from a search of the bytes)."""
    parsed = message_from_bytes(message, policy=policy.default)
    parts = [str(value) for value in parsed.values()]
    parts += [part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"]
    return "\n".join(parts).lower()


def _delete_mails(session: Session, ids: list[int]) -> int:
    """Delete mails, and clear their jobs' last errors (an SMTP server's refusal may quote
    the recipient); a queued job finds no mail and ends."""
    for chunk in chunks(ids):
        session.execute(delete(Mail).where(Mail.id.in_(chunk)))
        session.execute(
            update(Job).where(Job.kind == mail.SEND, Job.subject_id.in_(chunk)).values(error="")
        )
    return len(ids)


def _pattern(wanted: str) -> re.Pattern[str]:
    return re.compile(re.escape(wanted), re.IGNORECASE)


def _redact_audit(session: Session, wanted: str) -> int:
    """Put ERASED where the audit log's words name the address (a block, say)."""
    pattern = _pattern(wanted)
    events = session.scalars(
        select(AuditEvent).where(func.lower(AuditEvent.detail).contains(wanted, autoescape=True))
    ).all()
    for event in events:
        event.detail = pattern.sub(ERASED, event.detail)
    return len(events)


def _redact_texts(session: Session, wanted: str) -> list[int]:
    """Put ERASED where an entry's text quotes the address, whoever wrote it; return
    those entries."""
    pattern = _pattern(wanted)
    quoting = or_(
        func.lower(Entry.body).contains(wanted, autoescape=True),
        func.lower(Entry.body_html).contains(wanted, autoescape=True),
    )
    entries = session.scalars(select(Entry).where(quoting)).all()
    for entry in entries:
        entry.body = pattern.sub(ERASED, entry.body)
        entry.body_html = pattern.sub(ERASED, entry.body_html)
        entry.updated = utcnow()
    session.flush()
    return [entry.id for entry in entries]
