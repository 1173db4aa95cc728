"""Moderator accounts: create, check a password, change it, disable; and their logins.

Passwords are hashed with scrypt (memory-hard), through Werkzeug. Each login is a row
(models.Login) holding the digest of the token its session cookie carries, so a
logout ends that session even for a copy of the cookie.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from moderation.infra.models import AuditEvent, Login, Moderator, utcnow
from moderation.rules.errors import NotFound, Refused
from moderation.rules.limits import AUDIT_DETAIL_MAX_CHARS, EMAIL_MAX_BYTES, USERNAME_MAX_CHARS
from moderation.rules.statuses import MailNotices

USERNAME = re.compile(r"[A-Za-z0-9_.-]+")  # whole string: fullmatch, so no trailing newline
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024
PASSWORD_METHOD = "scrypt"
AUDIT_PAGE_SIZE = 100
LOGIN_MAX_AGE = timedelta(days=30)  # a login ends then, even if never logged out


@dataclass(frozen=True)
class Actor:
    """Who did something, for the audit log."""

    moderator_id: int | None
    username: str
    ip_address: str


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        raise Refused(f"A password has at least {PASSWORD_MIN_CHARS} characters.", "password")
    if len(password) > PASSWORD_MAX_CHARS:
        raise Refused(f"A password has at most {PASSWORD_MAX_CHARS} characters.", "password")


def check_email(email: str) -> None:
    """Refuse a moderator's address that is not one, or is over EMAIL_MAX_BYTES; "" is
    none, and fine."""
    if not email:
        return
    if len(email.encode()) > EMAIL_MAX_BYTES:
        raise Refused(f"An email address has at most {EMAIL_MAX_BYTES} bytes.", "email")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise Refused(f"{email!r} is not an email address.", "email") from None


def create_moderator(
    session: Session,
    username: str,
    password: str,
    is_admin: bool = False,
    email: str = "",
    notices: MailNotices | None = None,
) -> Moderator:
    """Create an account; usernames are unique, whatever their case. Its mail notices are
    `notices`, by default a mail for every waiting entry for administrators and none for
    others (issue 14); they go to `email` ("": nowhere yet)."""
    if not USERNAME.fullmatch(username) or len(username) > USERNAME_MAX_CHARS:
        raise Refused(
            f"A username is at most {USERNAME_MAX_CHARS} letters, digits, dots, dashes "
            "and underscores.",
            "username",
        )
    _check_password(password)
    check_email(email)
    if find_moderator(session, username) is not None:
        raise Refused(f"The username {username!r} is taken.", "username")
    if notices is None:
        notices = MailNotices.EVERY if is_admin else MailNotices.NONE
    moderator = Moderator(
        username=username,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        is_admin=is_admin,
        email=email,
        mail_notices=notices,
    )
    session.add(moderator)
    session.flush()
    return moderator


def find_moderator(session: Session, username: str) -> Moderator | None:
    """The account of that username, whatever its case.

    An equality, not ILIKE: "_" and "%" are no wildcards here, or "m_d" would name "mod"
    (and dodge the per-username login limit).
    """
    if not USERNAME.fullmatch(username):
        return None
    return session.scalar(
        select(Moderator).where(func.lower(Moderator.username) == username.lower())
    )


@cache
def _decoy_hash() -> str:
    """Checked against when the username is unknown, so both cases cost one scrypt. Made
    on first use: a scrypt hash at import would slow every process that imports this."""
    return generate_password_hash("not a password of anyone", method=PASSWORD_METHOD)


def _verified(moderator: Moderator | None, password: str) -> bool:
    """One password hash checked whatever the case: unknown user, wrong password, disabled."""
    hashed = moderator.password_hash if moderator is not None else _decoy_hash()
    return (
        check_password_hash(hashed, password) and moderator is not None and not moderator.disabled
    )


def authenticate(session: Session, username: str, password: str) -> Moderator | None:
    """The moderator with that username and password, if active; None otherwise."""
    moderator = find_moderator(session, username) if username else None
    return moderator if _verified(moderator, password) else None


def log_in(session: Session, username: str, password: str, ip_address: str) -> Moderator | None:
    """Check a login and write it to the audit log, whether it succeeded or not.

    Unknown user, wrong password and disabled account give the same None.
    """
    moderator = find_moderator(session, username) if username else None
    if not _verified(moderator, password):
        if moderator is None:
            actor = Actor(None, "(unknown)", ip_address)
        else:
            actor = Actor(moderator.id, moderator.username, ip_address)
        record(session, actor, "login-failed")
        return None
    moderator.last_login = utcnow()
    record(session, Actor(moderator.id, moderator.username, ip_address), "login")
    open_login(session, moderator)
    return moderator


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_login(session: Session, moderator: Moderator) -> None:
    """Start a login: a new token on the moderator (its get_id() carries it), its digest
    stored. Logins past LOGIN_MAX_AGE, anyone's, are cleared on the way."""
    now = utcnow()
    session.execute(delete(Login).where(Login.created < now - LOGIN_MAX_AGE))
    moderator.login_token = secrets.token_urlsafe(32)
    session.add(Login(moderator_id=moderator.id, token_digest=_digest(moderator.login_token)))


def close_login(session: Session, moderator: Moderator) -> None:
    """End the login this moderator object serves (a logout)."""
    if moderator.login_token is not None:
        session.execute(delete(Login).where(Login.token_digest == _digest(moderator.login_token)))


def _end_logins(session: Session, moderator: Moderator) -> None:
    session.execute(delete(Login).where(Login.moderator_id == moderator.id))
    # The mail action links signed before now die with the logins (mail_actions.check).
    moderator.credentials_version = Moderator.credentials_version + 1


def load_moderator(session: Session, session_id: str) -> Moderator | None:
    """Resolve a session's id ("<id>:<token>") to an active moderator with a live login:
    one query."""
    moderator_id, _, token = session_id.partition(":")
    if not (moderator_id.isascii() and moderator_id.isdigit() and token):
        return None
    moderator = session.scalar(
        select(Moderator)
        .join(Login, Login.moderator_id == Moderator.id)
        .where(
            Moderator.id == int(moderator_id),
            Moderator.disabled.is_(False),
            Login.token_digest == _digest(token),
            Login.created >= utcnow() - LOGIN_MAX_AGE,
        )
    )
    if moderator is not None:
        moderator.login_token = token
    return moderator


def change_password(session: Session, moderator: Moderator, new_password: str) -> None:
    """Set a new password and end every login of that account (open_login starts the
    one that goes on)."""
    _check_password(new_password)
    moderator.password_hash = generate_password_hash(new_password, method=PASSWORD_METHOD)
    _end_logins(session, moderator)


def set_disabled(session: Session, username: str, disabled: bool) -> Moderator:
    """Disable (or enable again) an account; a disabled one is logged out at once."""
    moderator = find_moderator(session, username)
    if moderator is None:
        raise NotFound(f"No moderator is called {username!r}.")
    moderator.disabled = disabled
    _end_logins(session, moderator)
    return moderator


def record(
    session: Session, actor: Actor, action: str, entry_ids=(), detail: str = ""
) -> AuditEvent:
    """Write one line of the audit log."""
    event = AuditEvent(
        moderator_id=actor.moderator_id,
        username=actor.username,
        action=action,
        entry_ids=",".join(str(entry_id) for entry_id in sorted(entry_ids)),
        detail=detail[:AUDIT_DETAIL_MAX_CHARS],
        ip_address=actor.ip_address,
    )
    session.add(event)
    return event


def all_moderators(session: Session) -> list[Moderator]:
    return list(session.scalars(select(Moderator).order_by(Moderator.username)))


def audit_events(session: Session, page: int = 1) -> tuple[list[AuditEvent], bool]:
    """A page of the audit log, newest first, and whether an older page exists."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.created.desc(), AuditEvent.id.desc())
            .limit(AUDIT_PAGE_SIZE + 1)
            .offset((max(page, 1) - 1) * AUDIT_PAGE_SIZE)
        )
    )
    return events[:AUDIT_PAGE_SIZE], len(events) > AUDIT_PAGE_SIZE
