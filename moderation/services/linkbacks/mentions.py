"""Webmentions and trackbacks: recorded and answered at once, verified later by a job.

The Mention row and its job are written in the request's transaction, so once the
sender has its answer nothing is lost to a crash (§3). The job fetches the source
with the safe fetcher; a fetch that fails for a passing reason (no connection, a
timeout, HTTP 5xx or 429) is retried by the job queue, with backoff.
"""

import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.infra import fetch, jobs
from moderation.infra.models import Entry, Mention, Post
from moderation.rules import errors, policy
from moderation.rules.source_page import parse
from moderation.rules.statuses import EntryType, MentionState, Status
from moderation.rules.urls import resource_key
from moderation.services import discussion
from moderation.services.linkbacks import recording, webmention
from moderation.services.linkbacks.pingback import Caller

VERIFY = "verify-mention"
UNVERIFIED = "held for a moderator; the source is being verified"
TRANSIENT_STATUSES = {408, 425, 429}

STATUS_TEXT = {
    MentionState.QUEUED: "Queued: the source will be fetched and checked for a link to the target.",
    MentionState.VERIFIED: (
        "Verified: the source links to the target. It is shown once a moderator approves it."
    ),
    MentionState.REJECTED: "Rejected: {reason}.",
}


def record(
    session: Session,
    post: Post,
    entry_type: EntryType,
    source: str,
    target: str,
    caller: Caller,
    **trackback_fields: str,
) -> Mention:
    """Write the mention and its verification job; the caller commits, then answers."""
    mention = Mention(
        token=secrets.token_urlsafe(16),
        type=entry_type,
        state=MentionState.QUEUED,
        source=source,
        target=target,
        post_id=post.id,
        ip_address=caller.ip_address,
        user_agent=caller.user_agent[:512],
        **trackback_fields,
    )
    session.add(mention)
    session.flush()
    jobs.submit(session, VERIFY, mention.id)
    return mention


def find(session: Session, token: str) -> Mention:
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
            rejected = _verify_trackback(session, mention, page)
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
    if mention.type == EntryType.TRACKBACK and mention.entry_id is not None:
        entry = session.get(Entry, mention.entry_id)
        if _unjudged(entry):
            entry.reason = _unverified(reason)


KIND = jobs.Kind(run=verify, failed=give_up)


def reject(mention: Mention, reason: str) -> None:
    mention.state = MentionState.REJECTED
    mention.reason = reason[:255]


def receive_trackback(
    session: Session,
    post: Post,
    settings: discussion.Settings,
    source: str,
    target: str,
    caller: Caller,
    ping,
) -> Mention:
    """Queue a trackback as a pending entry at once, and a job that verifies its source."""
    title = (ping.title or ping.blog_name or source)[:245]
    decision = recording.judge_linkback(
        settings.rules,
        ping.excerpt,
        title,
        source,
        caller.ip_address,
        caller.user_agent,
    )
    entry = recording.record_linkback(
        session,
        post,
        EntryType.TRACKBACK,
        source,
        title,
        ping.excerpt,
        caller.ip_address,
        caller.user_agent,
        # Spam at once if the rules say so; otherwise held until its source is verified.
        decision=decision if decision.status == Status.SPAM else None,
    )
    if decision.status != Status.SPAM:
        entry.reason = UNVERIFIED
    mention = record(
        session,
        post,
        EntryType.TRACKBACK,
        source,
        target,
        caller,
        title=ping.title,
        excerpt=ping.excerpt,
        blog_name=ping.blog_name,
    )
    mention.entry_id = entry.id
    return mention


def _verify_trackback(session: Session, mention: Mention, page: fetch.Page) -> str | None:
    """Unlike WordPress, check that the page links to the post; if not, it is spam.

    Returns why the trackback is rejected, or None when its source links to the post.
    """
    entry = session.get(Entry, mention.entry_id) if mention.entry_id else None
    pending = _unjudged(entry)
    if not 200 <= page.status < 300:
        reason = f"the source answered HTTP {page.status}"
    elif page.media_type not in fetch.HTML_TYPES:
        reason = "the source is not an HTML page"
    else:
        target_key = resource_key(mention.target)
        document = parse(page.text(), page.url)
        if document.find_link(lambda url: resource_key(url) == target_key) is not None:
            if pending:  # verified: now the Discussion rules decide, as for any entry
                decision = recording.judge_linkback(
                    discussion.load(session).rules,
                    entry.body,
                    entry.author,
                    mention.source,
                    mention.ip_address,
                    mention.user_agent,
                )
                recording.apply_decision(entry, decision)
            return None
        if pending:
            entry.status, entry.rule = Status.SPAM, policy.Rule.NO_LINK.value
            entry.reason = "spam: the source does not link to the post"
        return "the source does not link to the post"
    if pending:
        entry.reason = _unverified(reason)
    return reason


def _unjudged(entry: Entry | None) -> bool:
    """A trackback still waiting for its verification to judge it: pending, and not put
    there by a moderator, whose decision stands (a moderator may act before the job runs,
    or between its attempts)."""
    return (
        entry is not None and entry.status == Status.PENDING and entry.rule != policy.Rule.MODERATOR
    )


def _unverified(reason: str) -> str:
    """A pending trackback's reason once its source could not be checked."""
    return f"held for a moderator; the source could not be verified: {reason}"[:255]
