"""Which mails readers who ticked "Notify me" are sent (issue 14): pure, no I/O.

Double opt-in: an address is mailed nothing but its confirmation until it is confirmed,
and nothing at all once it unsubscribes (until it ticks the box again and confirms).
Then an approved comment calls for "published" to its author, and "reply" to the author
of the comment it answers, each at most once, and no address gets more than the daily
cap.
"""

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation.rules.statuses import MailKind

DAY = timedelta(days=1)  # a confirmation is sent again after a day; the cap counts a day


def address(email: str) -> str:
    """An address as subscribers are keyed: trimmed and lowercased."""
    return email.strip().lower()


def subscribed(confirmed: datetime | None, unsubscribed: datetime | None) -> bool:
    """Whether an address may be sent notices: confirmed, and not unsubscribed since."""
    return confirmed is not None and unsubscribed is None


def asked_since(now: datetime, unsubscribed: datetime | None) -> datetime:
    """From when a confirmation already sent spares the address another: the last day,
    or only since it unsubscribed (a reader who ticks the box again is asked anew)."""
    day_ago = now - DAY
    return max(day_ago, unsubscribed) if unsubscribed is not None else day_ago


def over_cap(sent_today: int, cap: int) -> bool:
    """Whether an address that had `sent_today` mails in 24 hours may get no more (0: no
    cap)."""
    return cap > 0 and sent_today >= cap


@dataclass(frozen=True)
class Approved:
    """An approved entry as the notices weigh it: its author's address and box, and those
    of the comment it answers (None: it answers none whose author ticked the box)."""

    id: int
    email: str
    notify: bool
    parent_email: str | None = None


@dataclass(frozen=True)
class Notice:
    """One mail to write: why, about which entry, to whom (a subscriber's address)."""

    kind: MailKind
    entry_id: int
    recipient: str


def notices(
    approved: Iterable[Approved],
    subscribers: Set[str],
    sent: Set[tuple[MailKind, int, str]],
) -> list[Notice]:
    """The mails approved entries call for: "published" to an author who ticked the box,
    "reply" to the author of the comment answered who did, unless they answered
    themselves; to `subscribers` alone, and none that is in `sent` (kind, entry,
    recipient) already."""
    wanted: list[Notice] = []
    for entry in approved:
        author = address(entry.email)
        if entry.notify:
            wanted.append(Notice(MailKind.PUBLISHED, entry.id, author))
        if entry.parent_email is not None and address(entry.parent_email) != author:
            wanted.append(Notice(MailKind.REPLY, entry.id, address(entry.parent_email)))
    return [
        notice
        for notice in dict.fromkeys(wanted)
        if notice.recipient in subscribers
        and (notice.kind, notice.entry_id, notice.recipient) not in sent
    ]


def within_cap(
    wanted: Iterable[Notice], sent_today: Mapping[str, int], cap: int
) -> tuple[list[Notice], int]:
    """The notices, in order, that keep each address within `cap` mails in 24 hours
    (0: no cap), counting from `sent_today`; and how many are left out."""
    counts = dict(sent_today)
    kept: list[Notice] = []
    left_out = 0
    for notice in wanted:
        if over_cap(counts.get(notice.recipient, 0), cap):
            left_out += 1
            continue
        counts[notice.recipient] = counts.get(notice.recipient, 0) + 1
        kept.append(notice)
    return kept, left_out
