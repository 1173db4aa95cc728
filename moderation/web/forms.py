"""The comment form and the field rules the dashboard's forms share."""

import hashlib
import ipaddress
import re
from urllib.parse import urlsplit

from flask import Request
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, Signer
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    StopValidation,
    ValidationError,
)

from moderation.rules import policy
from moderation.rules.limits import (
    COMMENT_MAX_BYTES,
    EMAIL_MAX_BYTES,
    MAX_ID,
    NAME_MAX_BYTES,
    WEBSITE_MAX_BYTES,
)
from moderation.services.comments import Submission

# SPEC §3 (Comment fields): NUL, other C0/C1 controls and bidi overrides are refused; a
# comment may hold newlines and tabs, a one-line field nothing of the kind.
_BIDI = "\u202a-\u202e\u2066-\u2069"
TEXT_FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HOST = re.compile(r"^(?:[\w-]+\.)*[\w-]+\.?$")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def entry_id(value: str | None) -> int | None:
    """Read an entry id typed into a form or a link; None unless it could be one."""
    # Length before int(): Python refuses to convert more than 4,300 digits.
    if not (value and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))):
        return None
    return int(value) if 0 < int(value) <= MAX_ID else None


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def one_kind_of_newline(value: str | None) -> str | None:
    """Browsers send CRLF from a textarea; store one kind of line break."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n")


class NoControlCharacters:
    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern

    def __call__(self, form, field) -> None:
        if field.data and self.pattern.search(field.data):
            raise StopValidation(
                f"The {field.label.text.lower()} contains an invisible control character; "
                "please remove it."
            )


class MaxBytes:
    """Limits are UTF-8 bytes, as WordPress counts them (SPEC §3, Comment fields)."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field) -> None:
        size = len((field.data or "").encode())
        if size > self.limit:
            raise StopValidation(
                f"The {field.label.text.lower()} is too long: {size:,} bytes, "
                f"at most {self.limit:,} are allowed."
            )


def normalise_website(value: str) -> str:
    """Return an http(s) URL, adding http:// to a bare host; raise ValueError otherwise."""
    scheme = _SCHEME.match(value)
    # "example.com:8080/x" has no scheme, only a port.
    if scheme and not re.match(r"^[^:/]+:\d+(?:[/?#]|$)", value):
        if scheme.group(1).lower() not in {"http", "https"}:
            raise ValueError("The website must be an http:// or https:// address.")
    else:
        value = "http://" + value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("The website address has an invalid port.") from None
    if "@" in parts.netloc:
        raise ValueError("The website address must not contain a user name or password.")
    host = parts.hostname or ""
    if not (_HOST.match(host) or _is_ip(host)) or any(c.isspace() for c in value):
        raise ValueError("The website is not a valid web address.")
    return value


def _website(form, field) -> None:
    if field.data:
        try:
            field.data = normalise_website(field.data)
        except ValueError as error:
            raise StopValidation(str(error)) from None


def email_field(label: str) -> EmailField:
    """A reader's email address: required, one line, within its column, and valid."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired("Please enter your email address."),
            NoControlCharacters(LINE_FORBIDDEN),
            MaxBytes(EMAIL_MAX_BYTES),
            Email("Please enter a valid email address."),
        ],
    )


class CommentForm(FlaskForm):
    """The "Leave a Comment" form: no CSRF token, so its page needs no session; its
    signed stamp and the POST's origin guard it instead (web/security.py)."""

    class Meta:
        csrf = False

    comment = TextAreaField(
        "Comment",
        filters=[one_kind_of_newline, strip],
        validators=[
            DataRequired("Please type your comment."),
            NoControlCharacters(TEXT_FORBIDDEN),
            MaxBytes(COMMENT_MAX_BYTES),
        ],
    )
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired("Please enter your name."),
            NoControlCharacters(LINE_FORBIDDEN),
            MaxBytes(NAME_MAX_BYTES),
        ],
    )
    email = email_field("Email")
    website = StringField(
        "Website",
        filters=[strip],
        validators=[NoControlCharacters(LINE_FORBIDDEN), _website, MaxBytes(WEBSITE_MAX_BYTES)],
    )
    parent = HiddenField(filters=[strip])
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I comment."
    )
    # Unticked unless the reader ticks it: mail only once the address is confirmed
    # (issue 14, double opt-in: services/subscriptions.py).
    notify = BooleanField("Notify me of replies and when my comment is published")
    # The anti-spam fields of issue 6 (the policy's honeypot and form-age rules): a field
    # people never see (bots fill it in), and when the form was shown.
    homepage = StringField()
    shown = HiddenField()

    def validate_parent(self, field) -> None:
        if field.data and entry_id(field.data) is None:
            raise ValidationError("The comment you are replying to is not available.")

    def submission(self, request: Request, secret: str, now: float, thread: str) -> Submission:
        """The comment as the service takes it: what the policy weighs, the sender's
        address and agent and the seconds since the form was shown on `thread` (None when
        its stamp is missing, forged or from another thread) included, the comment it
        answers, and the "Notify me" box."""
        facts = policy.Facts(
            text=self.comment.data,
            name=self.name.data,
            email=self.email.data,
            website=self.website.data or "",
            ip_address=request.remote_addr or "",
            user_agent=request.user_agent.string,
            honeypot_filled=bool((self.homepage.data or "").strip()),
            seconds_on_form=seconds_since_stamp(self.shown.data or "", secret, now, thread),
        )
        return Submission(facts, entry_id(self.parent.data), bool(self.notify.data))


_STAMP_SALT = "comment-form-shown"


def form_stamp(secret: str, now: float, thread: str) -> str:
    """When the form was shown, and on which thread (a post's slug, or the page address
    the embed frame or the API was given), signed: the reader can neither make it look
    older nor send it to another thread. Our guard against forged posts, as the form
    carries no CSRF token (web/security.py)."""
    return Signer(secret, salt=_STAMP_SALT).sign(f"{now:.3f}:{_digest(thread)}").decode()


def seconds_since_stamp(stamp: str, secret: str, now: float, thread: str) -> float | None:
    """Seconds since a form_stamp was made for `thread`; None when it is missing, forged
    or made for another thread."""
    try:
        shown, digest = Signer(secret, salt=_STAMP_SALT).unsign(stamp.strip()).decode().split(":")
        return now - float(shown) if digest == _digest(thread) else None
    except (BadSignature, ValueError):
        return None


def _digest(thread: str) -> str:
    return hashlib.sha256(thread.encode()).hexdigest()[:16]
