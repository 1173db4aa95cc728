"""Use cases: the operations the web pages and the command line share.

Services take a session and never commit; the caller commits. They raise the
domain errors of domain_errors.py, which entry points translate (HTTP status, exit
code); they are named here too, as services.NotFound and so on.
"""

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import (
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from . import discussion, policy, sanitize, threads
from .domain_errors import (  # noqa: F401 (named here for callers: services.NotFound)
    NO_POST,
    Closed,
    Duplicate,
    Flooding,
    NotFound,
    Refused,
    ServiceError,
)
from .models import (
    SLUG_MAX_CHARS,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    USER_AGENT_MAX_CHARS,
    WEBSITE_MAX_BYTES,
    Entry,
    EntryType,
    Mention,
    Post,
    Status,
    utcnow,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HELD_FOR_MODERATOR = "held for a moderator"


@dataclass(frozen=True)
class Submission:
    """A reader's comment, validated by the form."""

    text: str
    name: str
    email: str
    website: str
    parent_id: int | None
    ip_address: str
    user_agent: str
    honeypot_filled: bool = False
    seconds_on_form: float | None = None  # since the form was shown; None: unknown


@dataclass(frozen=True)
class PostSummary:
    slug: str
    title: str
    created: datetime
    approved_count: int


# Statements a page view runs every time are built once (building costs more than running).
_POST_BY_SLUG = select(Post).where(Post.slug == bindparam("slug"))


def get_post(session: Session, slug: str) -> Post:
    post = session.scalar(_POST_BY_SLUG, {"slug": slug})
    if post is None:
        raise NotFound(NO_POST)
    return post


def create_post(
    session: Session, slug: str, title: str, body: str = "", url: str | None = None
) -> Post:
    """Create a post; its body is the owner's HTML, sanitised with the article allowlist."""
    if not SLUG.match(slug) or len(slug) > SLUG_MAX_CHARS:
        raise Refused(
            f"A slug is at most {SLUG_MAX_CHARS} lowercase letters, digits and single hyphens.",
            "slug",
        )
    if not title.strip() or len(title.strip()) > TITLE_MAX_CHARS:
        raise Refused(f"A post needs a title of at most {TITLE_MAX_CHARS} characters.", "title")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > URL_MAX_CHARS:
            raise Refused("A post's URL is an absolute http:// or https:// address.", "url")
    if session.scalar(select(Post.id).where(Post.slug == slug)) is not None:
        raise Refused(f"A post with the slug {slug!r} exists already.", "slug")
    if url is not None and session.scalar(select(Post.id).where(Post.url == url)) is not None:
        raise Refused(f"A post with the URL {url!r} exists already.", "url")
    post = Post(
        slug=slug, title=title.strip(), body=body, body_html=sanitize.article_html(body), url=url
    )
    session.add(post)
    session.flush()
    return post


@dataclass(frozen=True)
class StoredComment:
    id: int
    path: str  # where its author reads it, from the app's root (threads.permalink_path)


DUPLICATE = "Duplicate comment detected; it looks as though you've already said that!"


def submit_comment(
    session: Session,
    slug: str,
    submission: Submission,
    flood_seconds: int = 0,
    min_form_seconds: float = policy.MIN_FORM_SECONDS,
) -> StoredComment:
    """Screen a reader's comment and store it with the status the rules give.

    Refused before anything is stored: a closed post (Closed), a bad parent (Refused),
    the same comment again (Duplicate), a second one within `flood_seconds` from the
    same IP or email (Flooding; 0 turns the check off, as for moderators).

    A top-level comment costs two statements, the INSERT included: its page comes from
    the count the first one reads, and a duplicate is found by the INSERT itself.
    """
    post, settings, ranked = threads.post_for_submission(session, slug)
    now = utcnow()
    if not comments_open(post, settings, now):
        raise Closed("Comments are closed on this post.")
    if submission.parent_id is not None:
        _check_parent(session, slug, submission.parent_id, settings.thread_depth)
    fingerprint = comment_fingerprint(post.id, submission)
    if flood_seconds and _posted_since(session, submission, now - timedelta(seconds=flood_seconds)):
        if _fingerprint_taken(session, fingerprint):
            raise Duplicate(DUPLICATE)  # a second click: say why, not "too quickly"
        raise Flooding("You are posting comments too quickly. Slow down.")
    rules = replace(settings.rules, min_form_seconds=min_form_seconds)
    known = rules.trust_known_authors and _known_author(session, submission)
    decision = policy.decide(
        policy.Facts(
            text=submission.text,
            name=submission.name,
            email=submission.email,
            website=submission.website,
            ip_address=submission.ip_address,
            user_agent=submission.user_agent,
            honeypot_filled=submission.honeypot_filled,
            seconds_on_form=submission.seconds_on_form,
            author_has_approved_entry=known,
        ),
        rules,
    )
    values = {
        "post_id": post.id,
        "parent_id": submission.parent_id,
        "type": EntryType.COMMENT,
        "status": decision.status,
        "rule": decision.rule.value,
        "reason": decision.reason[:255],
        "author": submission.name,
        "email": submission.email,
        "website": submission.website,
        "body": submission.text,
        "body_html": sanitize.comment_html(submission.text),
        "ip_address": submission.ip_address,
        "user_agent": submission.user_agent[:USER_AGENT_MAX_CHARS],
        "fingerprint": fingerprint,
        "created": now,
        "updated": now,
    }
    insert_comment = _INSERT_COMMENT[session.get_bind().dialect.name]
    entry_id = session.scalar(insert_comment, values)
    if entry_id is None:  # the fingerprint is taken: said before, whatever its status
        raise Duplicate(DUPLICATE)
    if decision.status not in (Status.PENDING, Status.APPROVED):
        return StoredComment(entry_id, f"/posts/{slug}/")  # shown nowhere
    if submission.parent_id is not None:  # on the page of the thread it answers
        return StoredComment(entry_id, threads.permalink_path(session, entry_id))
    page = threads.page_of_rank(ranked + 1, settings.comments_per_page)
    return StoredComment(entry_id, threads.page_path(slug, page, entry_id))


def comment_fingerprint(post_id: int, submission: Submission) -> str:
    """What makes two comments the same (§6 duplicate): post, parent, name, email, text."""
    fields = [post_id, submission.parent_id, submission.name, submission.email, submission.text]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _fingerprint_taken(session: Session, fingerprint: str) -> bool:
    return session.scalar(select(Entry.id).where(Entry.fingerprint == fingerprint)) is not None


def _posted_since(session: Session, submission: Submission, since: datetime) -> bool:
    """A comment from this IP or this email since `since` (§6 flood rule)."""
    return _any_comment(
        session,
        Entry.created > since,
        or_(Entry.ip_address == submission.ip_address, Entry.email == submission.email),
    )


def _known_author(session: Session, submission: Submission) -> bool:
    """An approved comment with the same name and email (the email is not verified)."""
    return _any_comment(
        session,
        Entry.status == Status.APPROVED,
        Entry.author == submission.name,
        Entry.email == submission.email,
    )


def _any_comment(session: Session, *conditions) -> bool:
    query = select(Entry.id).where(Entry.type == EntryType.COMMENT, *conditions).limit(1)
    return session.scalar(query) is not None


# A comment said before conflicts on its fingerprint: the INSERT stores nothing and
# returns no id, and two identical comments sent at once store one.
_INSERT_COMMENT = {
    name: dialect.insert(Entry.__table__)
    .on_conflict_do_nothing(index_elements=[Entry.__table__.c.fingerprint])
    .returning(Entry.__table__.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _parent_level_statement(readers: bool):
    """The depth of a reply's parent: its approved ancestors walked up, as far as the
    limit and no further. A reader's parent must be an approved comment of the post at
    the slug; a moderator may answer any entry (the dashboard checks its status)."""
    parent, above = aliased(Entry, name="parent"), aliased(Entry, name="above")
    # literal_column: a typed 1, as PostgreSQL wants for a recursive column.
    start = select(parent.id, parent.parent_id, literal_column("1").label("level")).where(
        parent.id == bindparam("parent_id")
    )
    if readers:
        start = start.join(Post, Post.id == parent.post_id).where(
            Post.slug == bindparam("slug"),
            parent.status == Status.APPROVED,
            parent.type == EntryType.COMMENT,
        )
    chain = start.cte("chain", recursive=True)
    chain = chain.union_all(
        select(above.id, above.parent_id, chain.c.level + 1)
        .join(chain, above.id == chain.c.parent_id)
        .where(
            above.status == Status.APPROVED,
            threads.not_reaction(above),
            chain.c.level < bindparam("thread_depth"),
        )
    )
    return select(func.max(chain.c.level))


_READERS_PARENT_LEVEL = _parent_level_statement(readers=True)
_PARENT_LEVEL = _parent_level_statement(readers=False)


def _check_parent(
    session: Session, slug: str, parent_id: int, thread_depth: int | None = None
) -> None:
    """§3: a reply answers an approved comment of the same post, at most `thread_depth`
    deep (§6; top-level entries are depth 1, and the settings say when not given).

    One recursive query walks the approved ancestors, as far as the limit and no further.
    """
    if thread_depth is None:
        thread_depth = discussion.load(session).thread_depth
    level = session.scalar(
        _READERS_PARENT_LEVEL,
        {"parent_id": parent_id, "slug": slug, "thread_depth": thread_depth},
    )
    if level is None:
        raise Refused("The comment you are replying to is not available.", "parent")
    _check_depth(level, thread_depth)


def check_reply_depth(session: Session, parent_id: int, thread_depth: int) -> None:
    """A moderator's reply keeps to thread_depth too (§6): Refused when the parent, once
    approved, stands at the deepest level."""
    level = session.scalar(_PARENT_LEVEL, {"parent_id": parent_id, "thread_depth": thread_depth})
    _check_depth(level or 1, thread_depth)


def _check_depth(parent_level: int, thread_depth: int) -> None:
    if parent_level >= thread_depth:
        raise Refused(f"Replies can be nested at most {thread_depth} deep.", "parent")


def comments_open(post: Post, settings: discussion.Settings, now: datetime) -> bool:
    """The post takes comments and replies (its flag, and its age)."""
    return post.comments_open and not discussion.closed_by_age(post, settings, now)


def post_summaries(session: Session) -> list[PostSummary]:
    """Every post, newest first, with its count of approved entries: one query."""
    approved = (
        select(Entry.post_id, func.count().label("n"))
        .where(Entry.status == Status.APPROVED)
        .group_by(Entry.post_id)
        .subquery()
    )
    rows = session.execute(
        select(Post.slug, Post.title, Post.created, func.coalesce(approved.c.n, 0))
        .outerjoin(approved, approved.c.post_id == Post.id)
        .order_by(Post.created.desc(), Post.id.desc())
    ).all()
    return [PostSummary(*row) for row in rows]


def queue(
    session: Session, status: Status | None = None, entry_type: EntryType | None = None
) -> Sequence[Entry]:
    """Entries for moderators, newest first, optionally of one status and type."""
    query = select(Entry).order_by(Entry.created.desc(), Entry.id.desc())
    if status is not None:
        query = query.where(Entry.status == status)
    if entry_type is not None:
        query = query.where(Entry.type == entry_type)
    return session.scalars(query).all()


def set_status(session: Session, ids: Collection[int], status: Status, reason: str) -> int:
    """Move entries to a status in one UPDATE; every id must exist, else nothing changes."""
    wanted = set(ids)
    found = set(session.scalars(select(Entry.id).where(Entry.id.in_(wanted))))
    missing = sorted(wanted - found)
    if missing:
        raise NotFound("No entry with id " + ", ".join(map(str, missing)) + ".")
    result = session.execute(
        update(Entry)
        .where(Entry.id.in_(wanted))
        .values(status=status, rule=policy.Rule.MODERATOR, reason=reason, updated=utcnow())
    )
    return result.rowcount


def post_slugs(session: Session, post_ids: Collection[int]) -> dict[int, str]:
    if not post_ids:
        return {}
    return dict(session.execute(select(Post.id, Post.slug).where(Post.id.in_(post_ids))).all())


def judge_linkback(
    rules: policy.Rules, text: str, title: str, source: str, ip_address: str, user_agent: str
) -> policy.Decision:
    """The Discussion rules applied to a linkback as to a comment (§6): its title is the
    name, its source the website; it has no email and no form."""
    facts = policy.Facts(
        text=text,
        name=title,
        email="",
        website=source,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return policy.decide(facts, rules)


def pings_open(post: Post, settings: discussion.Settings, now: datetime) -> bool:
    """The post takes pingbacks, webmentions and trackbacks (its flag, and its age)."""
    return post.pings_open and not discussion.closed_by_age(post, settings, now)


def linkback_flooding(session: Session, ip_address: str, since: datetime) -> bool:
    """A linkback from this caller's IP since `since` (§6: the flood rule for linkbacks)."""
    entry = select(Entry.id).where(
        Entry.type != EntryType.COMMENT, Entry.ip_address == ip_address, Entry.created > since
    )
    mention = select(Mention.id).where(Mention.ip_address == ip_address, Mention.created > since)
    return session.scalar(select(entry.exists() | mention.exists())) or False


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
    """Queue a verified linkback: shown as "Pingback: <title>" with its excerpt once approved.

    `website` is where the author's name links (a webmention's h-card URL); the source URL
    by default. `mention_fields` are a webmention's mention_kind, author_photo, published.
    """
    entry = Entry(
        post_id=post.id,
        type=entry_type,
        status=decision.status if decision else Status.PENDING,
        rule=decision.rule.value if decision else "",
        reason=decision.reason[:255] if decision else HELD_FOR_MODERATOR,
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
    session.add(entry)
    session.flush()
    return entry
