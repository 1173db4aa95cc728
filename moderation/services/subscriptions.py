"""Readers' notifications (issue 14): a reader who ticks "Notify me of replies and when my
comment is published" is asked to confirm their address (double opt-in), and once it is
confirmed is mailed when their comment is approved and when an approved comment answers
it; every mail carries a one-click unsubscribe link (RFC 8058).

Nothing but the confirmation is ever sent to an address that has not confirmed, so the
form cannot be used to mail strangers; and the confirmation names nothing the sender
typed. The rules are rules/notifications.py; the mails are rows of services/mail.py,
written in the caller's transaction.
"""

import logging
import re
import secrets
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from moderation.infra import address
from moderation.infra.models import Entry, Mail, Post, Subscriber, utcnow
from moderation.rules import notifications
from moderation.rules.errors import NotFound
from moderation.rules.notifications import Approved, Notice
from moderation.rules.statuses import MailKind, Status
from moderation.services import mail

logger = logging.getLogger(__name__)

UNKNOWN_KEY = (
    "This link is not known here: it may have been cut short by the mail program. "
    "Copy the whole link from the mail into the address bar."
)
KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a Subscriber.key: secrets.token_urlsafe
ONE_CLICK = ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")  # RFC 8058
ASKED_FOR = (Status.PENDING, Status.APPROVED)  # never for spam or trash


def arrived(session: Session, entry_id: int, status: Status, subscriber: str | None = None) -> None:
    """A new entry: ask its author to confirm their address if they ticked the box (held
    or approved, never spam or trash), and mail the readers an approved one concerns.
    `subscriber` is that address ("": the box was not ticked) when the caller knows it."""
    # A reader mail needs working absolute links (confirm, unsubscribe): while our own
    # address is unknown (no SITE_URL, no trusted request host) none is written, for
    # nothing may go out without an unsubscribe link that works.
    if status not in ASKED_FOR or not address.known():
        return
    email = subscriber
    if email is None:
        email = session.scalar(select(Entry.email).where(Entry.id == entry_id, Entry.notify))
    if email:
        _ask_to_confirm(session, notifications.address(email), entry_id)
    if status == Status.APPROVED:
        _notify_readers(session, [entry_id])


def moved(session: Session, ids: Collection[int], status: Status | None) -> None:
    """Entries moved: mail the readers the approved ones concern (a bulk approval of any
    size costs the same few queries)."""
    if status == Status.APPROVED and ids and address.known():  # see arrived()
        _notify_readers(session, ids)


def find(session: Session, key: str) -> Subscriber:
    """The subscriber whose links carry `key`; NotFound when there is none."""
    # Keys are token_urlsafe: anything else (a NUL, which PostgreSQL refuses to compare,
    # or a key longer than the column) is no key of ours, and is not looked up.
    subscriber = None
    if KEY.fullmatch(key):
        subscriber = session.scalar(select(Subscriber).where(Subscriber.key == key))
    if subscriber is None:
        raise NotFound(UNKNOWN_KEY)
    return subscriber


def confirm(session: Session, key: str) -> None:
    """Confirm the address whose links carry `key`: it is mailed the notices it asks for
    from now on (an address that had unsubscribed is subscribed again)."""
    subscriber = find(session, key)
    if not notifications.subscribed(subscriber.confirmed, subscriber.unsubscribed):
        subscriber.confirmed, subscriber.unsubscribed = utcnow(), None


def unsubscribe(session: Session, key: str) -> None:
    """Send the address whose links carry `key` no more mail, at once: not even a
    confirmation, until its reader ticks the box again."""
    subscriber = find(session, key)
    if subscriber.unsubscribed is None:
        subscriber.unsubscribed = utcnow()


# Asking for confirmation.


def _ask_to_confirm(session: Session, email: str, entry_id: int) -> None:
    """Mail a confirmation to an address that is not subscribed, at most one a day;
    nothing to one that is (a known address is told nothing new)."""
    subscriber = _subscriber(session, email)
    if notifications.subscribed(subscriber.confirmed, subscriber.unsubscribed):
        return
    asked = session.scalar(
        select(Mail.id)
        .where(
            Mail.recipient == email,
            Mail.kind == MailKind.CONFIRM,
            Mail.created >= notifications.asked_since(utcnow(), subscriber.unsubscribed),
        )
        .limit(1)
    )
    if asked is not None:
        return
    if notifications.over_cap(mail.sent_today(session, email), _cap()):
        _log_left_out(1)
        return
    _write(
        session,
        Notice(MailKind.CONFIRM, entry_id, email),
        subscriber.key,
        "Please confirm your address",
        {"confirm_url": address.absolute_url("subscriptions.confirm_page", key=subscriber.key)},
    )


# Two requests may bring the same new address at once: the second INSERT stores nothing,
# and the row the first stored is read.
_INSERT_SUBSCRIBER = {
    name: dialect.insert(Subscriber.__table__).on_conflict_do_nothing(
        index_elements=[Subscriber.__table__.c.email]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _subscriber(session: Session, email: str) -> Subscriber:
    """The subscriber of this address, created (unconfirmed, with a new secret key) when
    there is none."""
    query = select(Subscriber).where(Subscriber.email == email)
    found = session.scalar(query)
    if found is not None:
        return found
    values = {"email": email, "key": secrets.token_urlsafe(32), "created": utcnow()}
    session.execute(_INSERT_SUBSCRIBER[session.get_bind().dialect.name], values)
    return session.scalar(query)


# The notices of approved entries.


def _notify_readers(session: Session, ids: Collection[int]) -> None:
    """Write the "published" and "reply" mails that approved entries among `ids` call for:
    one query finds them, three more weigh them, whatever their number."""
    parent = aliased(Entry, name="parent")
    rows = session.execute(
        select(
            Entry.id,
            Entry.email,
            Entry.notify,
            Entry.author,
            Entry.body,
            Entry.body_html,
            parent.email.label("parent_email"),
            Post.slug,
            Post.title,
            Post.url,
        )
        .join(Post, Post.id == Entry.post_id)
        # The comment it answers, when that comment is approved and its author ticked the box.
        .outerjoin(
            parent,
            and_(parent.id == Entry.parent_id, parent.status == Status.APPROVED, parent.notify),
        )
        .where(Entry.id.in_(ids), Entry.status == Status.APPROVED)
        .where(or_(Entry.notify, parent.id.is_not(None)))
    ).all()
    if not rows:
        return
    approved = [Approved(row.id, row.email, row.notify, row.parent_email) for row in rows]
    keys = dict(
        session.execute(
            select(Subscriber.email, Subscriber.key).where(
                Subscriber.email.in_(_recipients(approved)),
                Subscriber.confirmed.is_not(None),
                Subscriber.unsubscribed.is_(None),
            )
        ).all()
    )
    if not keys:
        return
    sent = {
        (kind, entry_id, recipient)
        for kind, entry_id, recipient in session.execute(
            select(Mail.kind, Mail.entry_id, Mail.recipient).where(
                Mail.entry_id.in_([row.id for row in rows]),
                Mail.kind.in_((MailKind.PUBLISHED, MailKind.REPLY)),
            )
        )
    }
    wanted = notifications.notices(approved, keys.keys(), sent)
    kept, left_out = notifications.within_cap(
        wanted, _sent_today(session, {notice.recipient for notice in wanted}), _cap()
    )
    if left_out:
        _log_left_out(left_out)
    by_id = {row.id: row for row in rows}
    for notice in kept:
        _write_notice(session, notice, keys[notice.recipient], by_id[notice.entry_id])


def _recipients(approved: Iterable[Approved]) -> set[str]:
    """The addresses the entries may call for a mail to, before knowing who subscribed."""
    found = set()
    for entry in approved:
        if entry.notify:
            found.add(notifications.address(entry.email))
        if entry.parent_email is not None:
            found.add(notifications.address(entry.parent_email))
    return found


def _write_notice(session: Session, notice: Notice, key: str, row) -> None:
    """Write one "published" or "reply" mail about the entry of `row`."""
    context = {
        "post_title": row.title,
        "post_url": row.url or address.absolute_url("public.post", slug=row.slug),
        "comment_url": address.absolute_url("public.comment", comment_id=row.id),
        "text": row.body,
        "html": row.body_html,  # sanitised once, as the page shows it
    }
    if notice.kind == MailKind.PUBLISHED:
        subject = f"Your comment on “{row.title}” was published"
    else:
        subject = f"New reply to your comment on “{row.title}”"
        context["replier"] = row.author  # the name alone: never another reader's address
    _write(session, notice, key, subject, context)


def _write(session: Session, notice: Notice, key: str, subject: str, context: dict) -> None:
    """Queue one reader mail, with its visible and one-click unsubscribe links."""
    unsubscribe_url = address.absolute_url("subscriptions.unsubscribe", key=key)
    mail.queue_mail(
        session,
        notice.recipient,
        notice.kind,
        notice.kind.value,  # templates/mail/confirm, published, reply
        subject,
        {
            **context,
            "unsubscribe_url": unsubscribe_url,
            "site": urlsplit(address.base_url()).netloc,
        },
        entry_id=notice.entry_id,
        headers=(("List-Unsubscribe", f"<{unsubscribe_url}>"), ONE_CLICK),
    )


def _sent_today(session: Session, recipients: Collection[str]) -> dict[str, int]:
    """Mails written to each of these addresses in the last 24 hours: one query."""
    if not recipients or not _cap():
        return {}
    return dict(
        session.execute(
            select(Mail.recipient, func.count())
            .where(Mail.recipient.in_(recipients), Mail.created >= utcnow() - notifications.DAY)
            .group_by(Mail.recipient)
        ).all()
    )


def _cap() -> int:
    return current_app.config["MAIL_DAILY_CAP"]


def _log_left_out(count: int) -> None:
    # Not the address: log lines are no place for readers' emails (SPEC §3).
    logger.info("%d reader mail(s) not written: an address reached MAIL_DAILY_CAP", count)
