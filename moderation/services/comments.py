"""A reader's comment: screened by the Discussion rules, stored once, placed on its page
(services return places: the web layer builds the address)."""

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from moderation.infra.models import DiscussionSettings, Entry, Post, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.errors import NO_POST, Closed, Duplicate, Flooding, NotFound, Refused
from moderation.rules.limits import USER_AGENT_MAX_CHARS
from moderation.rules.statuses import EntryType, Status
from moderation.services import discussion, events, places, threads
from moderation.services.places import Place


@dataclass(frozen=True)
class Submission:
    """A reader's comment, validated by the form: the facts the policy weighs, the
    comment it answers (None: it starts a thread), and whether its author ticked "Notify
    me" (services/subscriptions.py; not part of what makes it a duplicate)."""

    facts: policy.Facts
    parent_id: int | None = None
    notify: bool = False


DUPLICATE = "Duplicate comment detected; it looks as though you've already said that!"

# The post, the Discussion settings, and how many of the post's entries take a rank (a
# new top-level comment takes the next one): one query.
_POST_FOR_SUBMISSION = (
    select(Post, DiscussionSettings, threads.ranked_count(Post.id), *events.LISTENING)
    .outerjoin(DiscussionSettings, DiscussionSettings.id == discussion.SETTINGS_ID)
    .where(Post.slug == bindparam("slug"))
)


def submit_comment(
    session: Session,
    slug: str,
    submission: Submission,
    flood_seconds: int = 0,
    min_form_seconds: float = policy.MIN_FORM_SECONDS,
) -> Place:
    """Screen a reader's comment, store it with the status the rules give, and return
    the place its author is taken to.

    Refused before anything is stored: a closed post (Closed), a bad parent (Refused),
    the same comment again (Duplicate), a second one within `flood_seconds` from the
    same IP or email (Flooding; 0 turns the check off, as for moderators).

    A top-level comment costs two statements, the INSERT included: its page comes from
    the count the first one reads, so does whether a webhook or a moderator hears of it,
    and a duplicate is found by the INSERT itself.
    """
    row = session.execute(_POST_FOR_SUBMISSION, {"slug": slug}).one_or_none()
    if row is None:
        raise NotFound(NO_POST)
    post, stored_settings, ranked, any_webhook, any_notice = row
    settings = discussion.from_row(stored_settings)
    now = utcnow()
    if not policy.is_open(post, EntryType.COMMENT, settings.close_after_days, now):
        raise Closed("Comments are closed on this post.")
    if submission.parent_id is not None:
        _check_parent(session, slug, submission.parent_id, settings.thread_depth)
    fingerprint = comment_fingerprint(post.id, submission)
    facts = submission.facts
    if flood_seconds and _posted_since(session, facts, now - timedelta(seconds=flood_seconds)):
        if _fingerprint_taken(session, fingerprint):
            raise Duplicate(DUPLICATE)  # a second click: say why, not "too quickly"
        raise Flooding("You are posting comments too quickly. Slow down.")
    rules = replace(settings.rules, min_form_seconds=min_form_seconds)
    known = rules.trust_known_authors and _known_author(session, facts)
    decision = policy.decide(replace(facts, author_has_approved_entry=known), rules)
    values = {
        "post_id": post.id,
        "parent_id": submission.parent_id,
        "type": EntryType.COMMENT,
        **decision.columns(),
        **_entry_columns(facts),
        "fingerprint": fingerprint,
        "notify": submission.notify,
        "created": now,
        "updated": now,
    }
    entry_id = session.scalar(_INSERT_COMMENT[session.get_bind().dialect.name], values)
    if entry_id is None:  # the fingerprint is taken: said before, whatever its status
        raise Duplicate(DUPLICATE)
    subscriber = facts.email if submission.notify else ""
    events.arrived(
        session, entry_id, decision.status, events.Heard(any_webhook, any_notice, subscriber)
    )
    if decision.status not in (Status.PENDING, Status.APPROVED):
        return Place(entry_id, slug, None)  # shown nowhere
    if submission.parent_id is not None:  # on the page of the thread it answers
        return places.landing_place(session, entry_id)
    return Place(entry_id, slug, settings.page_of(ranked + 1))


def _entry_columns(facts: policy.Facts) -> dict[str, str]:
    """The comment as stored: the text as typed and once sanitised, and its author."""
    return {
        "author": facts.name,
        "email": facts.email,
        "website": facts.website,
        "body": facts.text,
        "body_html": sanitize.comment_html(facts.text),
        "ip_address": facts.ip_address,
        "user_agent": facts.user_agent[:USER_AGENT_MAX_CHARS],
    }


def comment_fingerprint(post_id: int, submission: Submission) -> str:
    """What makes two comments the same, so that the second is refused as a duplicate
    (issue 6, the Discussion rules): post, parent, name, email and text."""
    facts = submission.facts
    fields = [post_id, submission.parent_id, facts.name, facts.email, facts.text]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def _fingerprint_taken(session: Session, fingerprint: str) -> bool:
    return session.scalar(select(Entry.id).where(Entry.fingerprint == fingerprint)) is not None


def _posted_since(session: Session, facts: policy.Facts, since: datetime) -> bool:
    """A comment from this IP or this email since `since`: the flood rule (SPEC §2,
    COMMENT_FLOOD_SECONDS: the least time between two entries from one IP or email)."""
    return _any_comment(
        session,
        Entry.created > since,
        or_(Entry.ip_address == facts.ip_address, Entry.email == facts.email),
    )


def _known_author(session: Session, facts: policy.Facts) -> bool:
    """An approved comment with the same name and email (the email is not verified)."""
    return _any_comment(
        session,
        Entry.status == Status.APPROVED,
        Entry.author == facts.name,
        Entry.email == facts.email,
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


def _check_parent(session: Session, slug: str, parent_id: int, thread_depth: int) -> None:
    """A reply answers an approved comment of the same post (SPEC §3, Comment fields:
    parent), at most `thread_depth` deep (the thread depth of the Discussion settings,
    issue 6; top-level entries are depth 1).

    One recursive query walks the approved ancestors, as far as the limit and no further.
    """
    level = session.scalar(
        _READERS_PARENT_LEVEL,
        {"parent_id": parent_id, "slug": slug, "thread_depth": thread_depth},
    )
    if level is None:
        raise Refused("The comment you are replying to is not available.", "parent")
    _check_depth(level, thread_depth)


def check_reply_depth(session: Session, parent_id: int, thread_depth: int) -> None:
    """A moderator's reply keeps to the thread depth of the Discussion settings too
    (issue 6): Refused when the parent, once approved, stands at the deepest level."""
    level = session.scalar(_PARENT_LEVEL, {"parent_id": parent_id, "thread_depth": thread_depth})
    _check_depth(level or 1, thread_depth)


def _check_depth(parent_level: int, thread_depth: int) -> None:
    if parent_level >= thread_depth:
        raise Refused(f"Replies can be nested at most {thread_depth} deep.", "parent")
