"""WTForms for the public pages; Flask-WTF adds the CSRF token."""

import ipaddress
import re
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from itsdangerous import BadSignature, Signer
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

from . import discussion
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
    # Length before int(): Python refuses to convert more than 4,300 digits.
    if not (value and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))):
        return None
    return int(value) if 0 < int(value) <= MAX_ID else None


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
    # §6 anti-spam: a field people never see (bots fill it in), and when the form was shown.
    homepage = StringField()
    shown = HiddenField()

    def validate_parent(self, field) -> None:
        if field.data and entry_id(field.data) is None:
            raise ValidationError("The comment you are replying to is not available.")

    def submission(
        self, ip_address: str, user_agent: str, seconds_on_form: float | None = None
    ) -> Submission:
        return Submission(
            text=self.comment.data,
            name=self.name.data,
            email=self.email.data,
            website=self.website.data or "",
            parent_id=entry_id(self.parent.data),
            ip_address=ip_address,
            user_agent=user_agent,
            honeypot_filled=bool((self.homepage.data or "").strip()),
            seconds_on_form=seconds_on_form,
        )


_STAMP_SALT = "comment-form-shown"


def form_stamp(secret: str, now: float) -> str:
    """When the form was shown, signed: the reader cannot make it look older."""
    return Signer(secret, salt=_STAMP_SALT).sign(f"{now:.3f}").decode()


def seconds_since_stamp(stamp: str, secret: str, now: float) -> float | None:
    """Seconds since a form_stamp was made; None when it is missing or forged."""
    try:
        shown = float(Signer(secret, salt=_STAMP_SALT).unsign(stamp.strip()))
    except (BadSignature, ValueError):
        return None
    return now - shown


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


class WholeNumber:
    """A whole number in ASCII digits within a range (no "+5", "1_000" or "٥")."""

    def __init__(self, low: int, high: int, message: str):
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field) -> None:
        value = field.data if isinstance(field.data, str) else ""
        # Few digits before int(): Python refuses to convert thousands of them.
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise StopValidation(self.message)
        if not self.low <= int(value) <= self.high:
            raise StopValidation(self.message)


class WordList:
    """A moderation or disallowed words setting that fits (discussion.word_list_problem)."""

    def __call__(self, form, field) -> None:
        problem = discussion.word_list_problem(field.data or "")
        if problem is not None:
            raise StopValidation(problem)


def _whole_number(range_: tuple[int, int], message: str) -> WholeNumber:
    return WholeNumber(*range_, message.format(low=range_[0], high=range_[1]))


class SettingsForm(FlaskForm):
    """The Discussion settings, as administrators edit them (discussion.save stores them)."""

    hold_all = BooleanField("Hold every new entry for a moderator")
    trust_known_authors = BooleanField(
        "Approve an author who has an approved comment with the same name and email"
    )
    max_links = StringField(
        "Hold an entry with this many links or more",
        filters=[_strip],
        validators=[
            _whole_number(
                discussion.MAX_LINKS_RANGE,
                "Enter a number of links from {low} (no limit) to {high:,}.",
            )
        ],
    )
    moderation_words = TextAreaField(
        "Moderation words",
        filters=[_newlines],
        validators=[NoControlCharacters(_COMMENT_FORBIDDEN), WordList()],
    )
    disallowed_words = TextAreaField(
        "Disallowed words",
        filters=[_newlines],
        validators=[NoControlCharacters(_COMMENT_FORBIDDEN), WordList()],
    )
    close_after_days = StringField(
        "Close comments and pings on posts older than this many days",
        filters=[_strip],
        validators=[
            _whole_number(
                discussion.CLOSE_AFTER_DAYS_RANGE,
                "Enter a number of days from {low} (never close) to {high:,}.",
            )
        ],
    )
    thread_depth = StringField(
        "Thread depth",
        filters=[_strip],
        validators=[
            _whole_number(
                discussion.THREAD_DEPTH_RANGE,
                "Enter a depth from {low} (no replies) to {high}.",
            )
        ],
    )
    comments_per_page = StringField(
        "Top-level comments per page",
        filters=[_strip],
        validators=[
            _whole_number(
                discussion.COMMENTS_PER_PAGE_RANGE,
                "Enter a number of comments from {low} to {high}.",
            )
        ],
    )

    def values(self) -> dict[str, bool | int | str]:
        """The validated settings, typed as discussion.save takes them."""
        return {
            "hold_all": bool(self.hold_all.data),
            "trust_known_authors": bool(self.trust_known_authors.data),
            "max_links": int(self.max_links.data),
            "moderation_words": self.moderation_words.data or "",
            "disallowed_words": self.disallowed_words.data or "",
            "close_after_days": int(self.close_after_days.data),
            "thread_depth": int(self.thread_depth.data),
            "comments_per_page": int(self.comments_per_page.data),
        }
