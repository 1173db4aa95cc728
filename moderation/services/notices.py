"""Moderators' mail (issue 14): a notice of each entry that waits, for those who want
every one; a daily digest at MAIL_DIGEST_HOUR (UTC), for those who want that; and each
account's choice of address and notices.

Every mail goes to one moderator and carries their own Approve, Spam and Trash links
(mail_links.py); it is a row of services/mail.py, written in the caller's transaction.
Moderators alone get these mails, so they name the author's email and IP address, as
the queue does.

The digest is a job that runs at the hour and submits the next day's: the chain starts
when an account chooses the digest. Each day's is recorded (a Digest row) as it is
written, so it goes out once however many workers, retries or commands look.
"""

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moderation.infra import address
from moderation.infra.jobs.daily import Daily
from moderation.infra.models import (
    Digest,
    Entry,
    Mail,
    Moderator,
    Post,
    Site,
    utcnow,
)
from moderation.rules.statuses import EntryType, MailKind, MailNotices, Status
from moderation.services import accounts, mail, mail_links, queue

DIGEST = "mail.digest"  # the job; its subject_id is the day, as date.toordinal()
DIGEST_ENTRIES = 10  # the oldest waiting entries a digest shows
NO_ADDRESS = "Comments"  # what a subject names the service by while its address is unknown


@dataclass(frozen=True)
class Waiting:
    """An entry that waits, as a moderator's mail shows it: all of it."""

    id: int
    type: EntryType
    author: str
    email: str
    ip_address: str
    website: str
    source_url: str | None
    text: str  # as typed: the mails show it as plain text
    reason: str
    created: datetime
    post_title: str
    post_url: str | None  # None while our address is unknown
    dashboard_url: str | None  # likewise
    site: str  # the site or service the post belongs to, for the subject


_COLUMNS = (
    Entry.id,
    Entry.type,
    Entry.author,
    Entry.email,
    Entry.ip_address,
    Entry.website,
    Entry.source_url,
    Entry.body,
    Entry.reason,
    Entry.created,
    Post.slug,
    Post.title,
    Post.url,
    Site.name.label("site_name"),
    Site.origin.label("site_origin"),
)


def _waiting_query(*columns):
    return (
        select(*_COLUMNS, *columns)
        .join(Post, Post.id == Entry.post_id)
        .outerjoin(Site, Site.id == Post.site_id)
    )


def _waiting(row, position: int) -> Waiting:
    """The row as mails show it; `position` is its place in the pending tab, newest
    first, for the dashboard link's page."""
    return Waiting(
        id=row.id,
        type=row.type,
        author=row.author,
        email=row.email,
        ip_address=row.ip_address,
        website=row.website,
        source_url=row.source_url,
        text=row.body,
        reason=row.reason,
        created=row.created,
        post_title=row.title,
        post_url=row.url or address.absolute_url("public.post", slug=row.slug),
        dashboard_url=_dashboard_url(row.id, position),
        site=row.site_name or _host(row.site_origin or row.url) or _service(),
    )


def _dashboard_url(entry_id: int, position: int) -> str | None:
    page = -(-position // queue.PAGE_SIZE)
    url = address.absolute_url(
        "dashboard.queue_view", status="pending", **({"page": page} if page > 1 else {})
    )
    return f"{url}#entry-{entry_id}" if url else None


def _host(url: str | None) -> str:
    return urlsplit(url).netloc if url else ""


def _service() -> str:
    """What a subject names us by: our host, when known."""
    return _host(address.base_url()) or NO_ADDRESS


def _wanting(notices: MailNotices) -> tuple:
    """The enabled moderators who chose these notices and gave an address."""
    return (
        Moderator.mail_notices == notices,
        Moderator.email != "",
        Moderator.disabled.is_(False),
    )


def _recipients(session: Session, notices: MailNotices) -> list[Moderator]:
    """The moderators who want these notices: one query."""
    return list(session.scalars(select(Moderator).where(*_wanting(notices)).order_by(Moderator.id)))


# A column: whether any moderator wants a notice of each entry (events.LISTENING).
ANY_EVERY = select(Moderator.id).where(*_wanting(MailNotices.EVERY)).exists()


def _context(moderator: Moderator, entries: list[Waiting]) -> dict:
    """What a notice's or digest's templates show this moderator."""
    return {
        "username": moderator.username,
        "notices": moderator.mail_notices,
        "entries": entries,
        "buttons": {entry.id: mail_links.buttons(moderator, entry.id) for entry in entries},
        "links": address.known(),
        "lifetime": mail_links.lifetime(),
        "queue_url": address.absolute_url("dashboard.queue_view", status="pending"),
        "account_url": address.absolute_url("dashboard.account"),
    }


# A notice of each entry that waits.


def arrived(session: Session, entry_id: int, status: Status) -> None:
    """Mail a notice of an entry that waits to each enabled moderator who wants every
    one: one query when there is nobody to tell; when there is, one more reads the
    entry, its post and how many wait, whatever the number of moderators."""
    if status != Status.PENDING:
        return
    recipients = _recipients(session, MailNotices.EVERY)
    if not recipients:
        return
    waiting = queue.kept_count(Status.PENDING).label("waiting")
    row = session.execute(_waiting_query(waiting).where(Entry.id == entry_id)).one()
    entry = _waiting(row, position=1)  # the newest: on the pending tab's first page
    subject = f"[{entry.site}/{entry.post_title}] Please moderate: “{entry.author}”"
    for moderator in recipients:
        mail.queue_mail(
            session,
            moderator.email,
            MailKind.NOTICE,
            "notice",
            subject,
            {**_context(moderator, [entry]), "entry": entry, "waiting": row.waiting},
            entry_id=entry.id,
        )


# The daily digest.


def send_digest(session: Session, day: date) -> list[Mail] | None:
    """Write the digest of `day` to each enabled moderator who wants one, when something
    waits; None when that day's was written already (by a job, a retry or a command)."""
    stored = session.scalar(
        _INSERT_DIGEST[session.get_bind().dialect.name].returning(Digest.day),
        {"day": day.isoformat(), "created": utcnow()},
    )
    if stored is None:
        return None
    recipients = _recipients(session, MailNotices.DIGEST)
    if not recipients:
        return []
    counts = queue.status_counts(session)
    waiting = counts[Status.PENDING.value]
    if not waiting:
        return []
    rows = session.execute(
        _waiting_query()
        .where(Entry.status == Status.PENDING)
        .order_by(Entry.created, Entry.id)
        .limit(DIGEST_ENTRIES)
    ).all()
    # The oldest first: the first is the last of the pending tab, newest first.
    entries = [_waiting(row, position=waiting - number) for number, row in enumerate(rows)]
    noun = "entry waits" if waiting == 1 else "entries wait"
    subject = f"[{_service()}] Daily digest: {waiting} {noun} for moderation"
    return [
        mail.queue_mail(
            session,
            moderator.email,
            MailKind.DIGEST,
            "digest",
            subject,
            {**_context(moderator, entries), "counts": counts, "waiting": waiting, "day": day},
        )
        for moderator in recipients
    ]


# Two workers may write the same day's at once: the second INSERT stores nothing.
_INSERT_DIGEST = {
    name: dialect.insert(Digest.__table__).on_conflict_do_nothing(
        index_elements=[Digest.__table__.c.day]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _send_digest_of(session: Session, day: date) -> None:
    send_digest(session, day)


DAILY_DIGEST = Daily(DIGEST, "MAIL_DIGEST_HOUR", _send_digest_of)
DIGEST_KIND = DAILY_DIGEST.job_kind()
seed_digests = DAILY_DIGEST.seed


# What each account chooses.


def choose(
    session: Session,
    actor: accounts.Actor,
    moderator: Moderator,
    email: str,
    notices: MailNotices,
) -> bool:
    """Set the address a moderator's notices go to and which they get, and log it (not
    the address: the audit log is every moderator's to read); start the daily digest
    job when they choose it. Return whether anything changed."""
    accounts.check_email(email)
    changes = []
    if email != moderator.email:
        changes.append("address changed" if email else "address removed")
    if notices != moderator.mail_notices:
        changes.append(f"notices: {notices.value}")
    moderator.email, moderator.mail_notices = email, notices
    if notices == MailNotices.DIGEST:
        seed_digests(session)
    accounts.record(session, actor, "mail-notices", (), "; ".join(changes) or "nothing changed")
    return bool(changes)
