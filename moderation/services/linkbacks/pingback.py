"""Pingback 1.0: verify that the source links to one of our posts, then queue it.

The checks run in the order of the issue, each answering the spec's fault code,
so a sender learns what to fix and nothing about our private network (§3).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra import fetch
from moderation.infra.models import Entry, Post, utcnow
from moderation.rules import policy, source_page
from moderation.rules.statuses import EntryType, Status
from moderation.rules.urls import Site, is_web_url, resource_key, without_fragment
from moderation.rules.xmlrpc import Fault
from moderation.services import discussion
from moderation.services.linkbacks import recording
from moderation.services.linkbacks.targets import UnknownTarget, find_post

# Fault codes of the Pingback 1.0 specification.
GENERIC = 0
SOURCE_NOT_FOUND = 0x10
NO_LINK = 0x11
TARGET_DOES_NOT_EXIST = 0x20
TARGET_NOT_USABLE = 0x21
ALREADY_REGISTERED = 0x30
ACCESS_DENIED = 0x31

REGISTERED = "This pingback has already been registered."
FLOODING = "Too many pingbacks from this address to this post; try later."


@dataclass(frozen=True)
class Caller:
    """Who sent the ping: recorded with the entry, and named in our fetch's User-Agent."""

    ip_address: str
    user_agent: str


def target_post(session: Session, site: Site, target: str) -> Post:
    """The post a pingback target names; fault 32 when surely absent, 33 when not ours."""
    if not is_web_url(target):
        raise Fault(GENERIC, "The target is not an absolute http or https URL.")
    try:
        return find_post(session, site, target)
    except UnknownTarget as unknown:
        if unknown.certain:
            raise Fault(TARGET_DOES_NOT_EXIST, "The target post does not exist.") from None
        raise Fault(TARGET_NOT_USABLE, "The target URL is not a post of this site.") from None


def ping(
    session: Session,
    site: Site,
    limits: fetch.Limits,
    source: str,
    target: str,
    caller: Caller,
    flood_seconds: int = 0,
) -> str:
    """Verify and queue a pingback (pending); answer the success string or raise a fault.

    `flood_seconds`: the least time between this caller's pingbacks from different
    sources to one post (COMMENT_FLOOD_SECONDS)."""
    if not is_web_url(source):
        raise Fault(GENERIC, "The source is not an absolute http or https URL.")
    post = target_post(session, site, target)
    if resource_key(source) == resource_key(target):
        raise Fault(GENERIC, "The source and the target are the same page.")
    settings = discussion.load(session)
    if not policy.is_open(post, EntryType.PINGBACK, settings.close_after_days, utcnow()):
        raise Fault(TARGET_NOT_USABLE, "Pingbacks are closed on this post.")
    source = without_fragment(source)
    if is_registered(session, post, source):
        raise Fault(ALREADY_REGISTERED, REGISTERED)
    if recording.linkback_flooding(session, post, source, caller.ip_address, flood_seconds):
        raise Fault(ACCESS_DENIED, FLOODING)
    document = _fetch_document(source, limits, caller)
    target_key = resource_key(target)
    link = document.find_link(lambda url: resource_key(url) == target_key)
    if link is None:
        raise Fault(NO_LINK, "The source page does not link to the target.")
    title = document.title or (urlsplit(source).hostname or source)
    excerpt = document.excerpt(link)
    recording.record_linkback(
        session,
        post,
        EntryType.PINGBACK,
        source,
        title,
        excerpt,
        caller.ip_address,
        caller.user_agent,
        decision=recording.judge_linkback(
            settings.rules, excerpt, title, source, caller.ip_address, caller.user_agent
        ),
    )
    return f"Pingback from {source} to {target} registered; it awaits moderation."


def is_registered(
    session: Session, post: Post, source: str, entry_type: EntryType = EntryType.PINGBACK
) -> bool:
    """A linkback of this type from this source to this post exists, whatever its status."""
    found = session.scalar(
        select(Entry.id).where(
            Entry.post_id == post.id, Entry.type == entry_type, Entry.source_url == source
        )
    )
    return found is not None


def approved_sources(session: Session, post: Post) -> list[str]:
    """The source URLs of the post's approved pingbacks, oldest first (getPingbacks)."""
    return list(
        session.scalars(
            select(Entry.source_url)
            .where(
                Entry.post_id == post.id,
                Entry.type == EntryType.PINGBACK,
                Entry.status == Status.APPROVED,
            )
            .order_by(Entry.created, Entry.id)
        )
    )


def _fetch_document(source: str, limits: fetch.Limits, caller: Caller) -> source_page.Document:
    try:
        page = fetch.fetch(source, limits, user_agent=fetch.user_agent(caller.ip_address))
    except fetch.FetchError as error:
        raise Fault(SOURCE_NOT_FOUND, f"The source could not be fetched: {error}") from None
    if not 200 <= page.status < 300:
        raise Fault(SOURCE_NOT_FOUND, f"The source answered HTTP {page.status}.")
    if page.media_type not in fetch.HTML_TYPES:
        raise Fault(SOURCE_NOT_FOUND, "The source is not an HTML page.")
    if not page.body.strip():
        raise Fault(SOURCE_NOT_FOUND, "The source page is empty.")
    return source_page.parse(page.text(), page.url)
