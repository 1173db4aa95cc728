"""Webmention (W3C Recommendation): the checks made on receipt (Webmention §3.2.1, request
verification), the mention recorded with its job, and the verification the job makes later
(Webmention §3.2.2, webmention verification), including updates and deletes of an earlier
mention (Webmention §3.2.4)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra import fetch
from moderation.infra.models import Entry, Mention, Post, utcnow
from moderation.rules import errors, microformats, policy, sanitize
from moderation.rules.limits import (
    COMMENT_MAX_BYTES,
    NAME_MAX_BYTES,
    SOURCE_TITLE_MAX_CHARS,
    fit_bytes,
)
from moderation.rules.source_page import Document, Link, one_line, parse
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.rules.urls import OwnSite, hostname, is_web_url, resource_key, without_fragment
from moderation.services import discussion, events, sites
from moderation.services.linkbacks import photos, recording
from moderation.services.linkbacks.targets import find_page_post, find_post

MEDIA_TAGS = ("a", "img", "video", "audio")
FLOODING = "Too many webmentions from this address to this post; try again later."


def check(session: Session, site: OwnSite, source: str, target: str) -> Post | None:
    """The checks made before answering (Webmention §3.2.1, request verification): the post
    the mention is for, or None for a page of a registered site that has no thread yet;
    else Refused, or Closed when the post takes no pings, with a short reason.

    Such a page's thread is made only once the source is found to link to it (`verify`):
    a made-up mention leaves no post, and no fetch of the page."""
    for name, url in (("source", source), ("target", target)):
        if not url:
            raise errors.Refused(f"The {name} parameter is missing.", name)
        if not is_web_url(url):
            raise errors.Refused(f"The {name} must be an absolute http or https URL.", name)
    if without_fragment(source) == without_fragment(target):
        raise errors.Refused("The source and the target are the same URL.", "source")
    try:
        post = find_post(session, site, target)
    except errors.UnknownTarget:
        raise errors.Refused("The target is not a post on this site.", "target") from None
    close_after_days = discussion.load(session).close_after_days
    if post is not None and not policy.is_open(
        post, EntryType.WEBMENTION, close_after_days, utcnow()
    ):
        raise errors.Closed("This post does not accept webmentions.", "target")
    return post


def record(
    session: Session,
    post: Post | None,
    source: str,
    target: str,
    caller: recording.Caller,
    flood_seconds: int = 0,
) -> Mention:
    """Record a checked mention and the job that verifies it; Flooding when this caller
    sent another source to this post less than `flood_seconds` ago. A page with no thread
    yet (`post` None) has had no linkback to flood."""
    source = without_fragment(source)
    if post is not None and recording.linkback_flooding(
        session, post, source, caller.ip_address, flood_seconds
    ):
        raise errors.Flooding(FLOODING)
    return recording.record_mention(session, post, EntryType.WEBMENTION, source, target, caller)


def verify(
    session: Session, mention: Mention, page: fetch.Page, limits: fetch.Limits
) -> str | None:
    """Check the fetched source, then create, update or withdraw the mention's entry; a
    mention to a page with no thread makes the thread once the source links to it.

    Returns why the mention is rejected, or None when it is verified.
    """
    gone = _attach_thread(session, mention, create=False)
    if gone:
        return gone
    existing = None
    if mention.post_id is not None:
        existing = session.scalar(
            select(Entry).where(
                Entry.post_id == mention.post_id,
                Entry.type == EntryType.WEBMENTION,
                Entry.source_url == mention.source,
            )
        )
    if page.status == 410:
        _withdraw(session, existing, "the source is gone (HTTP 410)")
        return "the source is gone (HTTP 410)"
    if not 200 <= page.status < 300:
        return f"the source answered HTTP {page.status}"
    if page.media_type not in fetch.HTML_TYPES | {"text/plain"}:
        _withdraw(session, existing, "the source no longer links to the target")
        return "the source is not HTML or plain text"
    found = _find_link(page, mention.target)
    if found is None:
        _withdraw(session, existing, "the source no longer links to the target")
        return "the source does not link to the target"
    gone = _attach_thread(session, mention, create=True)
    if gone:
        return gone
    if existing is not None and not _checked_again(existing):
        mention.entry_id = existing.id  # its status stands: the source is not read again
        return None
    document, link = found
    fields = _entry_fields(session, mention, page, document, link, limits, existing)
    mention.entry_id = _store(session, mention, existing, fields).id
    return None


def _attach_thread(session: Session, mention: Mention, create: bool) -> str | None:
    """Give a mention received before its page had a thread the thread it has now, or,
    with `create`, the one made for it (sites.thread_for, which queues the page's title).
    Returns why it is rejected when its page is on no registered site any more."""
    if mention.post_id is not None:
        return None
    try:
        if create:
            post = sites.thread_for(session, mention.target)
        else:  # found as on receipt, had the mention arrived now
            post = find_page_post(session, mention.target)
    except (errors.Refused, errors.UnknownTarget):  # the site was removed meanwhile
        return "the target is no longer on a site that this service holds comments for"
    if post is not None:
        mention.post_id = post.id
    return None


def _checked_again(entry: Entry) -> bool:
    """Whether a re-sent mention may change its entry: not once a moderator or a rule put
    it in spam or trash (their decision stands), except the trash of the rule no-link,
    which the source left by no longer linking and returns from by linking again."""
    if entry.status == Status.TRASH:
        return entry.rule == policy.Rule.NO_LINK
    return entry.status != Status.SPAM


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
    existing: Entry | None,
) -> dict:
    """Author, text and kind: from the h-entry where there is one, else as for pingbacks.

    A photo that cannot be fetched now keeps the one the entry has: a passing failure of
    the photo's host is no change of the source."""
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
        user_agent = fetch.user_agent(mention.ip_address)
        photo = photos.store(session, entry.author_photo, limits, user_agent)
        if photo is None and existing is not None:
            photo = existing.author_photo
    text = entry.content
    if not text and entry.kind not in (MentionKind.LIKE, MentionKind.REPOST):
        text = document.excerpt(link)
    return {
        "author": entry.author_name or title,
        "text": fit_bytes(text, COMMENT_MAX_BYTES),
        "title": title,
        "website": entry.author_url or entry.url or mention.source,
        "mention_kind": entry.kind,
        "author_photo": photo,
        "published": entry.published,
    }


# What a re-sent mention may change, with the words a moderator reads in the reason.
CHANGEABLE = {
    "author": "name",
    "website": "author URL",
    "author_photo": "photo",
    "source_title": "title",
    "published": "published date",
    "mention_kind": "kind",
    "body": "text",
}


def _store(session: Session, mention: Mention, existing: Entry | None, fields: dict) -> Entry:
    """A new entry, judged by the Discussion rules; or the earlier one updated in place
    (Webmention §3.2.4: an update is no new response)."""
    website = fields.get("website") or mention.source
    values = {
        "author": fit_bytes(fields["author"], NAME_MAX_BYTES),
        "website": recording.fitting_website(website),
        "author_photo": fields.get("author_photo"),
        "source_title": fields["title"][:SOURCE_TITLE_MAX_CHARS],
        "published": fields.get("published"),
        "mention_kind": fields.get("mention_kind"),
        "body": fields["text"],
    }
    decision = recording.judge_linkback(
        discussion.load(session).rules,
        values["body"],
        values["author"],
        website,
        mention.ip_address,
        mention.user_agent,
    )
    if existing is not None:
        _update(session, existing, values, decision)
        return existing
    entry = recording.record_linkback(
        session,
        session.get(Post, mention.post_id),
        EntryType.WEBMENTION,
        mention.source,
        values["author"],
        values["body"],
        mention.ip_address,
        mention.user_agent,
        decision=decision,
        website=website,
        mention_kind=values["mention_kind"],
        author_photo=values["author_photo"],
        published=values["published"],
    )
    entry.source_title = values["source_title"]  # the page's title; the author may differ
    return entry


def _update(session: Session, entry: Entry, values: dict, decision: policy.Decision) -> None:
    """Take what the source says now. Anything changed, or a link back after a withdrawal,
    and the entry waits for a moderator again (spam if the rules say so): readers see
    nothing of a re-sent mention until a moderator approves what it says now."""
    changed = [label for name, label in CHANGEABLE.items() if getattr(entry, name) != values[name]]
    relinked = entry.status == Status.TRASH
    if not (changed or relinked):
        return
    old_photo = entry.author_photo
    for name, value in values.items():
        setattr(entry, name, value)
    entry.body_html = sanitize.comment_html(entry.body)
    recording.apply_decision(entry, decision)
    if decision.status != Status.SPAM:
        why = "links to the post again" if relinked else "changed its " + ", ".join(changed)
        entry.status, entry.reason = Status.PENDING, f"held again: the source {why}"
    events.moved(session, [entry.id], entry.status)
    if old_photo is not None and old_photo != entry.author_photo:
        session.flush()
        photos.remove_unused(session)


def _withdraw(session: Session, entry: Entry | None, reason: str) -> None:
    """Webmention §3.2.4: a source that is gone (410) or no longer links takes its mention
    off the page."""
    if entry is not None and entry.status in (Status.PENDING, Status.APPROVED):
        entry.status, entry.rule, entry.reason = Status.TRASH, policy.Rule.NO_LINK.value, reason
        events.moved(session, [entry.id], entry.status)
