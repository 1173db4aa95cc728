"""What happens when an entry arrives or changes status (issue 14): webhooks hear of it,
moderators are told of one that waits, and its author (and the author it answers) of one
that is approved.

Every path that creates or moves an entry calls here, inside its own transaction: the
mails and deliveries are rows and jobs that commit with the change, or not at all.
"""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from moderation.rules.statuses import Status
from moderation.services import notices, subscriptions, webhooks

# Columns for a caller's own SELECT: whether any webhook, and any moderator who wants a
# notice of each entry, would hear of a new one (the comment POST reads them with its
# post, so that when nobody listens, telling nobody costs no query).
LISTENING = (webhooks.ANY.label("any_webhook"), notices.ANY_EVERY.label("any_notice"))


@dataclass(frozen=True)
class Heard:
    """Who hears of a new entry, as the caller read it already (LISTENING)."""

    webhooks: bool
    notices: bool
    subscriber: str  # the address that ticked "Notify me", or ""


def arrived(session: Session, entry_id: int, status: Status, heard: Heard | None = None) -> None:
    """A new entry has its first judged status: a reader's comment as it is stored, a
    linkback once its source is verified (a trackback recorded unverified, once it is).
    Without `heard`, who listens is looked up."""
    if heard is None or heard.webhooks:
        webhooks.announce(session, webhooks.CREATED, [entry_id])
    subscriptions.arrived(session, entry_id, status, None if heard is None else heard.subscriber)
    if heard is None or heard.notices:
        notices.arrived(session, entry_id, status)


def moved(session: Session, ids: Collection[int], status: Status | None) -> None:
    """Entries moved to `status` (None: deleted for good); `ids` are those that moved."""
    webhooks.announce(session, webhooks.DELETED if status is None else webhooks.STATUS_CHANGED, ids)
    subscriptions.moved(session, ids, status)
