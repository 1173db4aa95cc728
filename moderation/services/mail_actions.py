"""Using a moderator's mail action link (issue 14): the token is the credential, so it
works without a login, but only while all of this holds: it is ours (signed with
SECRET_KEY and the links' salt), younger than MAIL_ACTION_MAX_AGE, not used before
(each works once), its moderator is enabled and has kept their logins (a password
change or disabling ends them, and raises credentials_version), the entry is still
there, and nobody moderated it since the link was made (the mail no longer says what
the entry is then). The action goes through moderating.moderate, as that moderator.

mail_links.py makes the tokens.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moderation.infra.models import AuditEvent, Entry, Moderator, Post, UsedMailAction, utcnow
from moderation.rules.errors import ServiceError
from moderation.rules.statuses import Status
from moderation.services import mail_links, moderating
from moderation.services.accounts import Actor

FROM_EMAIL = "from email"  # appended to the audit line: "1 of 1 changed, from email"
# The audit lines that move an entry: a reply moves the pending entry it answers.
MOVES = frozenset({action.value for action in moderating.Action} | {"reply"})


class LinkRefused(ServiceError):
    """A mail action link that cannot be used (the subclass says why); nothing changed."""


class InvalidLink(LinkRefused):
    """Not a token of ours: cut short by a mail program, or made up."""


class ExpiredLink(LinkRefused):
    """Older than MAIL_ACTION_MAX_AGE."""


class UsedLink(LinkRefused):
    """Used once already."""


class RevokedLink(LinkRefused):
    """Its moderator is disabled or gone, or their logins ended after it was made."""


class EntryGone(LinkRefused):
    """The entry was deleted."""


class ModeratedMeanwhile(LinkRefused):
    """Someone moderated the entry after the link was made: who, how and when."""

    def __init__(self, message: str, event: AuditEvent):
        super().__init__(message)
        self.username = event.username
        self.action = event.action
        self.when = event.created


@dataclass(frozen=True)
class Usable:
    """A link that may be used: what it would do, to which entry, as whom."""

    entry: Entry
    post: Post
    moderator: Moderator
    status: Status  # the status its button sets
    digest: str  # of the token: its UsedMailAction row once used


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _max_age() -> int:
    return current_app.config["MAIL_ACTION_MAX_AGE"]


def _read(token: str) -> tuple[list, datetime]:
    """The token's claim and when it was signed."""
    try:
        claim, issued = mail_links.serializer().loads(
            token, max_age=_max_age(), return_timestamp=True
        )
    except SignatureExpired:
        raise ExpiredLink(
            f"This link has expired: mail links work for {mail_links.lifetime()} after the "
            "mail was sent. Moderate the entry in the dashboard."
        ) from None
    except BadSignature:
        raise InvalidLink(
            "This link is not valid: it may have been cut short by the mail program. "
            "Copy the whole link from the mail into the address bar."
        ) from None
    if not (isinstance(claim, list) and len(claim) == 4 and claim[1] in mail_links.BUTTONS):
        raise InvalidLink("This link is not valid.")
    return claim, issued


def check(session: Session, token: str) -> Usable:
    """What the link would do; a LinkRefused says why it cannot. Changes nothing."""
    (entry_id, status, moderator_id, version), issued = _read(token)
    digest = _digest(token)
    if session.get(UsedMailAction, digest) is not None:
        raise UsedLink("This link was used already: each mail link works once.")
    moderator = session.get(Moderator, moderator_id)
    if moderator is None or moderator.disabled:
        raise RevokedLink("This link no longer works: its account is disabled.")
    if moderator.credentials_version != version:
        raise RevokedLink(
            "This link no longer works: the account's password was changed, or its logins "
            "were ended, after the mail was sent."
        )
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise EntryGone("This entry is gone: it was deleted after the mail was sent.")
    event = _moderated_since(session, entry.id, issued)
    if event is not None:
        raise ModeratedMeanwhile(
            "This entry was moderated after the mail was sent, so nothing was changed.", event
        )
    post = session.get(Post, entry.post_id)
    return Usable(entry, post, moderator, Status(status), digest)


def use(session: Session, token: str, ip_address: str) -> tuple[Usable, int]:
    """Carry out the link's action as its moderator, once; return what it was and how
    many entries moved (0: the entry had that status already)."""
    usable = check(session, token)
    now = utcnow()
    # A used link past its age would be refused as expired anyway: its row can go.
    session.execute(
        delete(UsedMailAction).where(UsedMailAction.created < now - timedelta(seconds=_max_age()))
    )
    # Of two uses at once, one INSERT stores the row; the other is refused.
    stored = session.scalar(
        _INSERT_USED[session.get_bind().dialect.name].returning(UsedMailAction.digest),
        {"digest": usable.digest, "created": now},
    )
    if stored is None:
        raise UsedLink("This link was used already: each mail link works once.")
    moderator = usable.moderator
    moved = moderating.moderate(
        session,
        Actor(moderator.id, moderator.username, ip_address),
        [usable.entry.id],
        moderating.SETTING[usable.status],
        via=FROM_EMAIL,
    )
    return usable, moved


_INSERT_USED = {
    name: dialect.insert(UsedMailAction.__table__).on_conflict_do_nothing(
        index_elements=[UsedMailAction.__table__.c.digest]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _moderated_since(session: Session, entry_id: int, since: datetime) -> AuditEvent | None:
    """The latest audit line, from `since` on, that moved the entry; None if none did."""
    named = str(entry_id)
    ids = AuditEvent.entry_ids  # comma-separated, e.g. "3,17,40"
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.created >= since,
            AuditEvent.action.in_(MOVES),
            or_(
                ids == named,
                ids.startswith(f"{named},"),
                ids.endswith(f",{named}"),
                ids.contains(f",{named},"),
            ),
        )
        .order_by(AuditEvent.created.desc(), AuditEvent.id.desc())
        .limit(1)
    )
