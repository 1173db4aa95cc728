"""Pingback 1.0: check a ping, verify during the request that its source links to one of
our posts, then record it as pending (SPEC §3 (Linkbacks): the protocol answers with the
result).

Each check raises a domain error, in the order README's "Pingback" table gives;
web/linkback.py answers it with its Pingback 1.0 fault code, so a sender learns what to
fix, and nothing about our private network (the fetcher refuses private addresses).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra import fetch
from moderation.infra.models import Entry, Post, utcnow
from moderation.rules import errors, policy, source_page
from moderation.rules.limits import NAME_MAX_BYTES, fit_bytes
from moderation.rules.statuses import EntryType, Status
from moderation.rules.urls import OwnSite, hostname, is_web_url, resource_key, without_fragment
from moderation.services import discussion, sites
from moderation.services.linkbacks import recording
from moderation.services.linkbacks.targets import find_post

REGISTERED = "This pingback has already been registered."
FLOODING = "Too many pingbacks from this address to this post; try later."


def target_post(session: Session, site: OwnSite, target: str) -> Post | None:
    """The post a pingback target names; None for a page of a registered site that has no
    thread yet (nothing is made). Refused when it is no web URL, MissingTarget when it is
    our address of a post that does not exist, ForeignTarget when it is not ours."""
    if not is_web_url(target):
        raise errors.Refused("The target is not an absolute http or https URL.")
    return find_post(session, site, target)


def ping(
    session: Session,
    site: OwnSite,
    limits: fetch.Limits,
    source: str,
    target: str,
    caller: recording.Caller,
    flood_seconds: int = 0,
) -> str:
    """Check, verify and record a pingback (pending); answer the success string.

    `flood_seconds`: the least time between this caller's pingbacks from different
    sources to one post (COMMENT_FLOOD_SECONDS)."""
    if not is_web_url(source):
        raise errors.Refused("The source is not an absolute http or https URL.")
    post = target_post(session, site, target)
    if resource_key(source) == resource_key(target):
        raise errors.Refused("The source and the target are the same page.")
    settings = discussion.load(session)
    source = without_fragment(source)
    if post is not None:
        _check_post(session, post, settings, source, caller, flood_seconds)
    document = _read_source(source, limits, caller)
    target_key = resource_key(target)
    link = document.find_link(lambda url: resource_key(url) == target_key)
    if link is None:
        raise errors.NoLink("The source page does not link to the target.")
    # The page's title, already cut to a name's limit; else the source's host, which DNS
    # allows up to 253 characters.
    title = document.title or fit_bytes(hostname(source), NAME_MAX_BYTES)
    excerpt = document.excerpt(link)
    if post is None:
        # A page of a registered site: its thread begins with this verified ping (issue
        # 13), and nothing was written while the source was fetched.
        post = sites.thread_for(session, target)
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


def _check_post(
    session: Session,
    post: Post,
    settings: discussion.Settings,
    source: str,
    caller: recording.Caller,
    flood_seconds: int,
) -> None:
    """Refuse a ping that the post cannot take: Closed, AlreadyRegistered, Flooding."""
    if not policy.is_open(post, EntryType.PINGBACK, settings.close_after_days, utcnow()):
        raise errors.Closed("Pingbacks are closed on this post.")
    if recording.is_registered(session, post, source, EntryType.PINGBACK):
        raise errors.AlreadyRegistered(REGISTERED)
    if recording.linkback_flooding(session, post, source, caller.ip_address, flood_seconds):
        raise errors.Flooding(FLOODING)


def approved_sources(session: Session, post: Post | None) -> list[str]:
    """The source URLs of the post's approved pingbacks, oldest first (getPingbacks); none
    for a page that has no thread yet."""
    if post is None:
        return []
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


def _read_source(
    source: str, limits: fetch.Limits, caller: recording.Caller
) -> source_page.Document:
    """The source page, read; SourceUnreachable when it cannot be fetched or holds no page."""
    try:
        page = fetch.fetch(source, limits, user_agent=fetch.user_agent(caller.ip_address))
    except fetch.FetchError as error:
        raise errors.SourceUnreachable(f"The source could not be fetched: {error}") from None
    if not 200 <= page.status < 300:
        raise errors.SourceUnreachable(f"The source answered HTTP {page.status}.")
    if page.media_type not in fetch.HTML_TYPES:
        raise errors.SourceUnreachable("The source is not an HTML page.")
    if not page.body.strip():
        raise errors.SourceUnreachable("The source page is empty.")
    return source_page.parse(page.text(), page.url)
