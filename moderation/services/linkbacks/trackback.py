"""TrackBack 1.2: a ping checked, then recorded at once as a pending entry with the job
that verifies its source (SPEC §3 (Linkbacks)); unlike WordPress, a source that does not
link to the post makes the trackback spam. The messages are wp-trackback.php's.
"""

from sqlalchemy.orm import Session

from moderation.infra import fetch
from moderation.infra.models import Entry, Mention, Post, utcnow
from moderation.rules import errors, policy
from moderation.rules.limits import NAME_MAX_BYTES, REASON_MAX_CHARS, fit_bytes
from moderation.rules.source_page import parse
from moderation.rules.statuses import EntryType, Status
from moderation.rules.trackback import Ping
from moderation.rules.urls import is_web_url, resource_key, without_fragment
from moderation.services import discussion, events
from moderation.services.linkbacks import recording

REGISTERED = "We already have a ping from that URL for this post."
FLOODING = "Too many trackbacks from this address to this post."
UNVERIFIED = "held for a moderator; the source is being verified"


def check(post: Post, ping: Ping, settings: discussion.Settings) -> None:
    """Refuse a ping that no sender may make: Refused when its url is no web URL, Closed
    when the post takes no trackbacks."""
    if not is_web_url(ping.url):
        raise errors.Refused("The url parameter must be an absolute http or https URL.", "url")
    if not policy.is_open(post, EntryType.TRACKBACK, settings.close_after_days, utcnow()):
        raise errors.Closed("Sorry, trackbacks are closed for this item.")


def record(
    session: Session,
    post: Post,
    ping: Ping,
    settings: discussion.Settings,
    target: str,
    caller: recording.Caller,
    flood_seconds: int = 0,
) -> Mention:
    """Record a checked ping: a pending entry at once (spam if the Discussion rules say
    so), and a job that verifies its source against `target`, the post's address.

    AlreadyRegistered when its url pinged the post before; Flooding when this caller pinged
    the post from another url less than `flood_seconds` ago."""
    source = without_fragment(ping.url)
    if recording.is_registered(session, post, source, EntryType.TRACKBACK):
        raise errors.AlreadyRegistered(REGISTERED)
    if recording.linkback_flooding(session, post, source, caller.ip_address, flood_seconds):
        raise errors.Flooding(FLOODING)
    title = fit_bytes(ping.title or ping.blog_name or source, NAME_MAX_BYTES)
    decision = recording.judge_linkback(
        settings.rules, ping.excerpt, title, source, caller.ip_address, caller.user_agent
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
    mention = recording.record_mention(
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


def verify(session: Session, mention: Mention, page: fetch.Page) -> str | None:
    """Check that the fetched source links to the post, and judge the pending entry: by the
    Discussion rules when it does, as spam when it does not.

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
                if entry.status != Status.PENDING:
                    events.moved(session, [entry.id], entry.status)
            return None
        if pending:
            entry.status, entry.rule = Status.SPAM, policy.Rule.NO_LINK.value
            entry.reason = "spam: the source does not link to the post"
            events.moved(session, [entry.id], entry.status)
        return "the source does not link to the post"
    if pending:
        entry.reason = _unverified(reason)
    return reason


def give_up(session: Session, mention: Mention, reason: str) -> None:
    """After the job's last attempt: a pending trackback says why its source could not be
    verified."""
    entry = session.get(Entry, mention.entry_id) if mention.entry_id else None
    if _unjudged(entry):
        entry.reason = _unverified(reason)


def _unjudged(entry: Entry | None) -> bool:
    """A trackback still waiting for its verification to judge it: pending, and not put
    there by a moderator, whose decision stands (a moderator may act before the job runs,
    or between its attempts)."""
    return (
        entry is not None and entry.status == Status.PENDING and entry.rule != policy.Rule.MODERATOR
    )


def _unverified(reason: str) -> str:
    """A pending trackback's reason once its source could not be checked."""
    return f"held for a moderator; the source could not be verified: {reason}"[:REASON_MAX_CHARS]
