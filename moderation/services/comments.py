"""A reader's comment: screened by the Discussion rules, stored once, placed on its page."""

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from moderation.infra.models import Entry, Post, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.errors import Closed, Duplicate, Flooding, Refused
from moderation.rules.limits import USER_AGENT_MAX_CHARS
from moderation.rules.statuses import EntryType, Status
from moderation.services import discussion, threads


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
    if not policy.is_open(post, EntryType.COMMENT, settings.close_after_days, now):
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
        **decision.columns(),
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
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


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
