"""The job that verifies webmentions and trackbacks, and where a mention stands.

A receiver writes the Mention and its job in the request's transaction
(recording.record_mention), so once the sender has its answer nothing is lost to a crash
(SPEC §3 (Linkbacks)). The job fetches the source with the safe fetcher; a fetch that
fails for a passing reason (no connection, a timeout, HTTP 5xx or 429) is retried by the
job queue, with backoff; a page fetched goes to webmention.verify or trackback.verify.
"""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.infra import fetch, jobs
from moderation.infra.models import Mention
from moderation.rules import errors
from moderation.rules.limits import REASON_MAX_CHARS
from moderation.rules.statuses import EntryType, MentionState
from moderation.services.linkbacks import recording, trackback, webmention

VERIFY = recording.VERIFY  # the kind of job, as jobs.init_app registers KIND
TRANSIENT_STATUSES = {408, 425, 429}

STATUS_TEXT = {
    MentionState.QUEUED: "Queued: the source will be fetched and checked for a link to the target.",
    MentionState.VERIFIED: (
        "Verified: the source links to the target. It is shown once a moderator approves it."
    ),
    MentionState.REJECTED: "Rejected: {reason}.",
}


def find(session: Session, token: str) -> Mention:
    """The mention a status URL names; NotFound when there is none."""
    mention = session.scalar(select(Mention).where(Mention.token == token))
    if mention is None:
        raise errors.NotFound("There is no such webmention.")
    return mention


def status_text(mention: Mention) -> str:
    """Where a mention stands, for its sender: nothing about what moderators decided."""
    return STATUS_TEXT[mention.state].format(reason=mention.reason.rstrip("."))


def verify(session: Session, mention_id: int) -> None:
    """The job: fetch the source and check it (jobs.Kind.run)."""
    mention = session.get(Mention, mention_id)
    if mention is None:  # its post was deleted meanwhile
        return
    limits = fetch.Limits.from_config(current_app.config)
    try:
        page = fetch.fetch(mention.source, limits, user_agent=fetch.user_agent(mention.ip_address))
    except fetch.FetchError as error:
        raise jobs.Retry(f"the source could not be fetched: {error}") from None
    if page.status >= 500 or page.status in TRANSIENT_STATUSES:
        raise jobs.Retry(f"the source answered HTTP {page.status}")
    try:
        if mention.type == EntryType.WEBMENTION:
            rejected = webmention.verify(session, mention, page, limits)
        else:
            rejected = trackback.verify(session, mention, page)
        session.flush()
    except IntegrityError:  # the same source verified by another job at this moment
        raise jobs.Retry("the entry was being written by another job") from None
    if rejected:
        reject(mention, rejected)
    else:
        mention.state, mention.reason = MentionState.VERIFIED, ""


def give_up(session: Session, mention_id: int, reason: str) -> None:
    """After the last attempt (jobs.Kind.failed): the sender learns why."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        return
    reject(mention, reason)
    if mention.type == EntryType.TRACKBACK:
        trackback.give_up(session, mention, reason)


KIND = jobs.Kind(run=verify, failed=give_up)


def reject(mention: Mention, reason: str) -> None:
    """Tell the sender, on the mention's status page, why it was rejected."""
    mention.state = MentionState.REJECTED
    mention.reason = reason[:REASON_MAX_CHARS]
