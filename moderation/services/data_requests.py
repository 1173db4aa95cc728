"""Readers' own data requests (issue 15): a reader gives an address on the "Your data"
page, and when we hold anything on it, it is mailed a link that shows what, downloads
it and erases it, for a day.

The answer is the same whether or not the address is known, so the page tells nobody
who commented. The link's key is the credential; the table keeps only its digest. A
request goes once it expires, or once its reader erases their data.
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moderation.infra import address
from moderation.infra.models import DataRequest, utcnow
from moderation.rules import notifications
from moderation.rules.errors import NotFound
from moderation.rules.statuses import MailKind
from moderation.services import mail, personal_data
from moderation.services.accounts import Actor

logger = logging.getLogger(__name__)

LIFETIME = timedelta(hours=24)  # how long a mailed link works
KEY_CHARS = 43  # secrets.token_urlsafe(32)
UNKNOWN = (
    "This link is not known here, or it has expired (a link works for 24 hours). Ask "
    "again on the “Your data” page: we mail a new one."
)
READER = Actor(None, "reader", "")  # who the audit log names; no IP: it is theirs too


def digest(key: str) -> str:
    """What the table keeps of a link's key."""
    return hashlib.sha256(key.encode()).hexdigest()


def ask(session: Session, email: str) -> bool:
    """Mail the address a link to its data when we hold any (entries or a subscription),
    within the daily cap; return whether a mail was written (the page says the same
    either way). Expired requests go first."""
    purge_expired(session)
    wanted = personal_data.address(email)
    if not personal_data.held(session, wanted).anything:
        return False
    if notifications.over_cap(
        mail.sent_today(session, wanted), current_app.config["MAIL_DAILY_CAP"]
    ):
        # Not the address: log lines are no place for readers' emails (SPEC §3).
        logger.info("a data request mail was not written: an address reached MAIL_DAILY_CAP")
        return False
    key = secrets.token_urlsafe(32)
    session.add(DataRequest(key_digest=digest(key), email=wanted, created=utcnow()))
    mail.queue_mail(
        session,
        wanted,
        MailKind.DATA,
        "data_request",
        "Your data: the link you asked for",
        {
            "link": address.absolute_url("your_data.request_page", key=key),
            "site": urlsplit(address.base_url()).netloc,
            "hours": int(LIFETIME.total_seconds() // 3600),
        },
    )
    return True


def find(session: Session, key: str) -> DataRequest:
    """The unexpired request whose link carries `key`; NotFound otherwise."""
    request = None
    if len(key) == KEY_CHARS:  # no lookup for what is no key of ours
        request = session.scalar(
            select(DataRequest).where(
                DataRequest.key_digest == digest(key), DataRequest.created > utcnow() - LIFETIME
            )
        )
    if request is None:
        raise NotFound(UNKNOWN)
    return request


def purge_expired(session: Session) -> int:
    """Delete the requests whose links no longer work; return how many."""
    return session.execute(
        delete(DataRequest).where(DataRequest.created <= utcnow() - LIFETIME)
    ).rowcount
