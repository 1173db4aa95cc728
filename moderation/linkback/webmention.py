"""Webmention (W3C Recommendation): the checks made on receipt, and the verification the
job makes later (§3.2.2), including updates and deletes of an earlier mention (§3.2.4)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import discussion, fetch, policy, sanitize, services
from ..models import (
    COMMENT_MAX_BYTES,
    Entry,
    EntryType,
    Mention,
    MentionKind,
    Post,
    Status,
    utcnow,
)
from . import microformats, photos
from .source import Document, Link, one_line, parse
from .targets import (
    Site,
    UnknownTarget,
    find_post,
    hostname,
    is_web_url,
    resource_key,
    without_fragment,
)

MEDIA_TAGS = ("a", "img", "video", "audio")


def check_request(session: Session, site: Site, source: str, target: str) -> Post:
    """The synchronous checks: the post the mention is for, or Refused with a short reason."""
    for name, url in (("source", source), ("target", target)):
        if not url:
            raise services.Refused(f"The {name} parameter is missing.", name)
        if not is_web_url(url):
            raise services.Refused(f"The {name} must be an absolute http or https URL.", name)
    if without_fragment(source) == without_fragment(target):
        raise services.Refused("The source and the target are the same URL.", "source")
    try:
        post = find_post(session, site, target)
    except UnknownTarget:
        raise services.Refused("The target is not a post on this site.", "target") from None
    if not services.pings_open(post, discussion.load(session), utcnow()):
        raise services.Refused("This post does not accept webmentions.", "target")
    return post


def verify(
    session: Session, mention: Mention, page: fetch.Page, limits: fetch.Limits
) -> str | None:
    """Check the fetched source, then create, update or withdraw the mention's entry.

    Returns why the mention is rejected, or None when it is verified.
    """
    existing = session.scalar(
        select(Entry).where(
            Entry.post_id == mention.post_id,
            Entry.type == EntryType.WEBMENTION,
            Entry.source_url == mention.source,
        )
    )
    if page.status == 410:
        _withdraw(existing, "the source is gone (HTTP 410)")
        return "the source is gone (HTTP 410)"
    if not 200 <= page.status < 300:
        return f"the source answered HTTP {page.status}"
    if page.media_type not in fetch.HTML_TYPES | {"text/plain"}:
        _withdraw(existing, "the source no longer links to the target")
        return "the source is not HTML or plain text"
    found = _find_link(page, mention.target)
    if found is None:
        _withdraw(existing, "the source no longer links to the target")
        return "the source does not link to the target"
    document, link = found
    fields = _entry_fields(session, mention, page, document, link, limits)
    mention.entry_id = _store(session, mention, existing, fields).id
    return None


def _find_link(page: fetch.Page, target: str) -> tuple[Document, Link] | None:
    """The target as an exact URL in a, img, video or audio (HTML), or as text (text/plain)."""
    wanted = without_fragment(target)
    if page.media_type == "text/plain":
        text = one_line(page.text(), len(page.body) + 1)
        start = text.find(target)
        if start < 0:
            return None
        link = Link(target, "a", start, start + len(target))
        return Document("", text, [link]), link
    document = parse(page.text(), page.url)
    link = document.find_link(lambda url: without_fragment(url) == wanted, MEDIA_TAGS)
    return (document, link) if link else None


def _entry_fields(
    session: Session,
    mention: Mention,
    page: fetch.Page,
    document: Document,
    link: Link,
    limits: fetch.Limits,
) -> dict:
    """Author, text and kind: from the h-entry where there is one, else as for pingbacks."""
    target_key = resource_key(mention.target)
    entry = None
    if page.media_type in fetch.HTML_TYPES:
        entry = microformats.read_h_entry(
            page.text(), page.url, lambda url: resource_key(url) == target_key
        )
    title = document.title or hostname(mention.source) or mention.source
    if entry is None:
        return {"author": title, "text": document.excerpt(link), "title": title}
    photo = None
    if entry.author_photo:
        photo = photos.store(
            session, entry.author_photo, limits, fetch.user_agent(mention.ip_address)
        )
    text = entry.content
    if not text and entry.kind not in (MentionKind.LIKE, MentionKind.REPOST):
        text = document.excerpt(link)
    return {
        "author": entry.author_name or title,
        "text": text.encode()[:COMMENT_MAX_BYTES].decode(errors="ignore"),
        "title": title,
        "website": entry.author_url or entry.url or mention.source,
        "mention_kind": entry.kind,
        "author_photo": photo,
        "published": entry.published,
    }


def _store(session: Session, mention: Mention, existing: Entry | None, fields: dict) -> Entry:
    """A new entry, or the earlier one updated in place (§3.2.4: no duplicate); either way
    the Discussion rules decide its status again (§6: links added later are seen)."""
    extra = {
        key: fields.get(key) for key in ("website", "mention_kind", "author_photo", "published")
    }
    author = fields["author"][:245]
    decision = services.judge_linkback(
        discussion.load(session).rules,
        fields["text"],
        author,
        extra["website"] or mention.source,
        mention.ip_address,
        mention.user_agent,
    )
    if existing is None:
        post = session.get(Post, mention.post_id)
        return services.record_linkback(
            session,
            post,
            EntryType.WEBMENTION,
            mention.source,
            author,
            fields["text"],
            mention.ip_address,
            mention.user_agent,
            decision=decision,
            **extra,
        )
    changed = (existing.author, existing.body, existing.mention_kind) != (
        author,
        fields["text"],
        extra["mention_kind"],
    )
    existing.author = author
    existing.source_title = fields["title"][:255]
    existing.body = fields["text"]
    existing.body_html = sanitize.comment_html(fields["text"])
    existing.website = services.fitting_website(extra["website"] or mention.source)
    existing.mention_kind = extra["mention_kind"]
    existing.author_photo = extra["author_photo"]
    existing.published = extra["published"]
    if existing.status != Status.SPAM and (changed or existing.status == Status.TRASH):
        # Changed, or linked again: the rules decide anew, so a moderator sees what they hold.
        existing.status, existing.rule = decision.status, decision.rule.value
        existing.reason = decision.reason[:255]
    return existing


def _withdraw(entry: Entry | None, reason: str) -> None:
    """§3.2.4: a source that is gone or no longer links takes its mention off the page."""
    if entry is not None and entry.status in (Status.PENDING, Status.APPROVED):
        entry.status, entry.rule, entry.reason = Status.TRASH, policy.Rule.NO_LINK.value, reason
