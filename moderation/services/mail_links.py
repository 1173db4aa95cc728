"""The Approve, Spam and Trash links of moderators' mails (issue 14): each carries a token
signed with SECRET_KEY (itsdangerous, with a salt of its own) that names the entry, the
status the button sets, the moderator and their credentials_version; the signature
carries the time it was made.

services/mail_actions.py reads and uses them. The two stay apart because notices.py
writes links from events.arrived, which moderating calls: were the link maker to import
moderating, the imports would loop (moderating → events → notices → moderating).
"""

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from moderation.infra import address
from moderation.infra.models import Moderator
from moderation.rules.statuses import Status

SALT = "moderation.mail-action"
ENDPOINT = "dashboard.mail_actions.confirm_page"
# The buttons of a notice or a digest: the status each sets, and its label.
BUTTONS = {Status.APPROVED: "Approve", Status.SPAM: "Spam", Status.TRASH: "Trash"}


def serializer() -> URLSafeTimedSerializer:
    """Signs and reads the tokens; a token made with another salt or key is no link of ours."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def lifetime() -> str:
    """MAIL_ACTION_MAX_AGE in words, rounded down: "7 days", "1 hour"."""
    seconds = current_app.config["MAIL_ACTION_MAX_AGE"]
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def sign(moderator: Moderator, entry_id: int, status: Status) -> str:
    """A token for one button: this moderator sets this entry to `status`."""
    return serializer().dumps([entry_id, status.value, moderator.id, moderator.credentials_version])


def buttons(moderator: Moderator, entry_id: int) -> list[tuple[str, str]] | None:
    """The (label, absolute URL) of each button for this moderator and entry; None when
    our address is unknown (no SITE_URL), so no link could work."""
    if not address.known():
        return None
    return [
        (label, address.absolute_url(ENDPOINT, token=sign(moderator, entry_id, status)))
        for status, label in BUTTONS.items()
    ]
