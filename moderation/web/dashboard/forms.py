"""The dashboard's forms: login, action buttons, edits, replies and settings."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Optional, StopValidation

from moderation.rules.limits import EMAIL_MAX_BYTES
from moderation.rules.statuses import MailNotices
from moderation.services import discussion
from moderation.web.forms import (
    LINE_FORBIDDEN,
    TEXT_FORBIDDEN,
    CommentForm,
    MaxBytes,
    NoControlCharacters,
    one_kind_of_newline,
    strip,
)


class LoginForm(FlaskForm):
    username = StringField(
        "Username", filters=[strip], validators=[DataRequired("Enter your username.")]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class ActionForm(FlaskForm):
    """A button that changes state: the form carries only the CSRF token."""


def _optional_email(label: str) -> StringField:
    """An email address that may be left empty: an entry's, or a moderator's own."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            Optional(),
            NoControlCharacters(LINE_FORBIDDEN),
            MaxBytes(EMAIL_MAX_BYTES),
            Email("Please enter a valid email address."),
        ],
    )


class EditForm(FlaskForm):
    """A moderator's edit of an entry: the same rules as the comment form."""

    comment = CommentForm.comment
    name = CommentForm.name
    email = _optional_email("Email")
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


class AccountForm(FlaskForm):
    """One's own address and the notices it gets (notices.choose checks and stores them)."""

    email = _optional_email("Email address")
    # The choices are bare values, which every WTForms 3 reads alike; the page shows these.
    LABELS = {
        MailNotices.EVERY.value: "A mail for every entry that waits for moderation",
        MailNotices.DIGEST.value: "A daily digest",
        MailNotices.NONE.value: "Nothing",
    }
    notices = RadioField("Mail me", choices=list(LABELS))


class PostSettingsForm(FlaskForm):
    comments_open = BooleanField("Comments open")
    pings_open = BooleanField("Pings open")


class WebhookForm(FlaskForm):
    """A webhook's URL, as an administrator adds it (webhooks.add_webhook checks the rest)."""

    url = StringField(
        "URL", filters=[strip], validators=[DataRequired("Enter the URL to POST to.")]
    )


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
        filters=[strip],
        validators=[
            _whole_number(
                discussion.MAX_LINKS_RANGE,
                "Enter a number of links from {low} (no limit) to {high:,}.",
            )
        ],
    )
    moderation_words = TextAreaField(
        "Moderation words",
        filters=[one_kind_of_newline],
        validators=[NoControlCharacters(TEXT_FORBIDDEN), WordList()],
    )
    disallowed_words = TextAreaField(
        "Disallowed words",
        filters=[one_kind_of_newline],
        validators=[NoControlCharacters(TEXT_FORBIDDEN), WordList()],
    )
    close_after_days = StringField(
        "Close comments and pings on posts older than this many days",
        filters=[strip],
        validators=[
            _whole_number(
                discussion.CLOSE_AFTER_DAYS_RANGE,
                "Enter a number of days from {low} (never close) to {high:,}.",
            )
        ],
    )
    thread_depth = StringField(
        "Thread depth",
        filters=[strip],
        validators=[
            _whole_number(
                discussion.THREAD_DEPTH_RANGE,
                "Enter a depth from {low} (no replies) to {high}.",
            )
        ],
    )
    comments_per_page = StringField(
        "Top-level comments per page",
        filters=[strip],
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
