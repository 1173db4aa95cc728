"""What the three linkback receivers share: who called, whether a linkback is a repeat or
comes too fast, the Discussion rules' judgement, and the rows they write: an entry in the
queue, and for webmentions and trackbacks a Mention with the job that verifies it."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra import jobs
from moderation.infra.models import Entry, Mention, Post, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.limits import USER_AGENT_MAX_CHARS, WEBSITE_MAX_BYTES
from moderation.rules.statuses import EntryType, MentionState, Status
from moderation.services import events

HELD_FOR_MODERATOR = "held for a moderator"
VERIFY = "verify-mention"  # the job kind that verifies a mention's source (mentions.KIND)


@dataclass(frozen=True)
class Caller:
    """Who sent the linkback: recorded with it, and named in our fetch's User-Agent."""

    ip_address: str
    user_agent: str


def judge_linkback(
    rules: policy.Rules, text: str, title: str, source: str, ip_address: str, user_agent: str
) -> policy.Decision:
    """The Discussion rules applied to a linkback as to a comment: its title is the name,
    its source the website; it has no email and no form."""
    facts = policy.Facts(
        text=text,
        name=title,
        email="",
        website=source,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return policy.decide(facts, rules)


def linkback_flooding(
    session: Session, post: Post, source: str, ip_address: str, seconds: int
) -> bool:
    """A linkback to this post from this caller's IP, but from another source, in the last
    `seconds`: the flood rule of SPEC §2 (COMMENT_FLOOD_SECONDS) for linkbacks; 0 turns
    it off.

    Keyed on the caller and the post: a blog pings every post it links to back to back,
    and WordPress never sends again a ping refused with a fault other than 48. The same
    source again is a repeat or an update, which have rules of their own.
    """
    if not seconds:
        return False
    since = utcnow() - timedelta(seconds=seconds)
    entry = select(Entry.id).where(
        Entry.post_id == post.id,
        Entry.type != EntryType.COMMENT,
        Entry.ip_address == ip_address,
        Entry.source_url != source,
        Entry.created > since,
    )
    mention = select(Mention.id).where(
        Mention.post_id == post.id,
        Mention.ip_address == ip_address,
        Mention.source != source,
        Mention.created > since,
    )
    return session.scalar(select(entry.exists() | mention.exists())) or False


def is_registered(session: Session, post: Post, source: str, entry_type: EntryType) -> bool:
    """A linkback of this type from this source to this post exists, whatever its status."""
    found = session.scalar(
        select(Entry.id).where(
            Entry.post_id == post.id, Entry.type == entry_type, Entry.source_url == source
        )
    )
    return found is not None


def fitting_website(url: str) -> str:
    """A linkback's link for the website field, or "" when longer than the field holds
    (pages then link to its source_url, which holds up to 2,000 bytes)."""
    return url if len(url.encode()) <= WEBSITE_MAX_BYTES else ""


def record_linkback(
    session: Session,
    post: Post,
    entry_type: EntryType,
    source_url: str,
    source_title: str,
    excerpt: str,
    ip_address: str = "",
    user_agent: str = "",
    *,
    decision: policy.Decision | None = None,
    website: str | None = None,
    **mention_fields,
) -> Entry:
    """Add a linkback to the queue, held for a moderator unless `decision` (the Discussion
    rules' judgement) says otherwise: a pingback or webmention once its source is verified,
    a trackback as soon as it arrives. Once approved it shows as "Pingback: <title>" (or
    Trackback) with its excerpt.

    `website` is where the author's name links (a webmention's h-card URL); the source URL
    by default. `mention_fields` are a webmention's mention_kind, author_photo, published.
    """
    entry = Entry(
        post_id=post.id,
        type=entry_type,
        status=Status.PENDING,
        rule="",
        reason=HELD_FOR_MODERATOR,
        author=source_title,
        website=fitting_website(source_url if website is None else website),
        body=excerpt,
        body_html=sanitize.comment_html(excerpt),
        source_url=source_url,
        source_title=source_title,
        ip_address=ip_address,
        user_agent=user_agent[:USER_AGENT_MAX_CHARS],
        **mention_fields,
    )
    if decision is not None:
        apply_decision(entry, decision)
    session.add(entry)
    session.flush()
    events.arrived(session, entry.id, entry.status)
    return entry


def apply_decision(entry: Entry, decision: policy.Decision) -> None:
    """Give the entry the status, rule and reason the Discussion rules chose."""
    for name, value in decision.columns().items():
        setattr(entry, name, value)


def record_mention(
    session: Session,
    post: Post | None,
    entry_type: EntryType,
    source: str,
    target: str,
    caller: Caller,
    **trackback_fields: str,
) -> Mention:
    """Write a webmention's or trackback's Mention and the job that verifies its source;
    the caller commits, then answers. `post` is None for a webmention to a page of a
    registered site that has no thread yet: verification makes it. `trackback_fields`: a
    ping's title, excerpt and blog_name."""
    mention = Mention(
        token=secrets.token_urlsafe(16),
        type=entry_type,
        state=MentionState.QUEUED,
        source=source,
        target=target,
        post_id=post.id if post is not None else None,
        ip_address=caller.ip_address,
        user_agent=caller.user_agent[:USER_AGENT_MAX_CHARS],
        **trackback_fields,
    )
    session.add(mention)
    session.flush()
    jobs.submit(session, VERIFY, mention.id)
    return mention
