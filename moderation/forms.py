"""WTForms for the public pages; Flask-WTF adds the CSRF token."""

import ipaddress
import re
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Optional,
    StopValidation,
    ValidationError,
)

from .models import COMMENT_MAX_BYTES, EMAIL_MAX_BYTES, MAX_ID, NAME_MAX_BYTES, WEBSITE_MAX_BYTES
from .services import Submission

# §3: NUL, other C0/C1 controls and bidi overrides are refused; a comment may hold
# newlines and tabs, a one-line field nothing of the kind.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_COMMENT_FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
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
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _newlines(value: str | None) -> str | None:
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
    """Limits are UTF-8 bytes, as WordPress counts them (SPEC §3)."""

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


class CommentForm(FlaskForm):
    """The "Leave a Comment" form."""

    comment = TextAreaField(
        "Comment",
        filters=[_newlines, _strip],
        validators=[
            DataRequired("Please type your comment."),
            NoControlCharacters(_COMMENT_FORBIDDEN),
            MaxBytes(COMMENT_MAX_BYTES),
        ],
    )
    name = StringField(
        "Name",
        filters=[_strip],
        validators=[
            DataRequired("Please enter your name."),
            NoControlCharacters(_LINE_FORBIDDEN),
            MaxBytes(NAME_MAX_BYTES),
        ],
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Please enter your email address."),
            NoControlCharacters(_LINE_FORBIDDEN),
            MaxBytes(EMAIL_MAX_BYTES),
            Email("Please enter a valid email address."),
        ],
    )
    website = StringField(
        "Website",
        filters=[_strip],
        validators=[NoControlCharacters(_LINE_FORBIDDEN), _website, MaxBytes(WEBSITE_MAX_BYTES)],
    )
    parent = HiddenField(filters=[_strip])
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I comment."
    )

    def validate_parent(self, field) -> None:
        if field.data and entry_id(field.data) is None:
            raise ValidationError("The comment you are replying to is not available.")

    def submission(self, ip_address: str, user_agent: str) -> Submission:
        return Submission(
            text=self.comment.data,
            name=self.name.data,
            email=self.email.data,
            website=self.website.data or "",
            parent_id=entry_id(self.parent.data),
            ip_address=ip_address,
            user_agent=user_agent,
        )


class LoginForm(FlaskForm):
    username = StringField(
        "Username", filters=[_strip], validators=[DataRequired("Enter your username.")]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class ActionForm(FlaskForm):
    """A button that changes state: the form carries only the CSRF token."""


class EditForm(FlaskForm):
    """A moderator's edit of an entry: the same rules as the comment form."""

    comment = CommentForm.comment
    name = CommentForm.name
    email = StringField(
        "Email",
        filters=[_strip],
        validators=[
            Optional(),
            NoControlCharacters(_LINE_FORBIDDEN),
            MaxBytes(EMAIL_MAX_BYTES),
            Email("Please enter a valid email address."),
        ],
    )
    website = CommentForm.website


class ReplyForm(FlaskForm):
    comment = CommentForm.comment


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your password.")])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password.")])
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("new", "The two new passwords differ.")],
    )


class PostSettingsForm(FlaskForm):
    comments_open = BooleanField("Comments open")
    pings_open = BooleanField("Pings open")
