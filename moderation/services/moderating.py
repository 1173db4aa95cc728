"""The moderators' queue: what is listed, how it is counted, and every action on it.

Each action is one statement over all the chosen entries (a bulk action on 500
entries is one UPDATE) and one line of the audit log.
"""

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Moderator, Post, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.errors import NotFound, Refused
from moderation.rules.limits import COMMENT_MAX_BYTES
from moderation.rules.statuses import EntryType, Status
from moderation.services import comments, discussion
from moderation.services.accounts import Actor, record
from moderation.services.linkbacks import photos

PAGE_SIZE = 50
TABS = ("all", "pending", "approved", "spam", "trash")
MODERATOR_RULE = policy.Rule.MODERATOR.value  # a moderator set the status
RULES = tuple(rule.value for rule in policy.Rule)
RULE_LABELS: dict[str, str] = {
    policy.Rule.HONEYPOT: "Honeypot",
    policy.Rule.FORM_AGE: "Form age",
    policy.Rule.DISALLOWED_WORD: "Disallowed word",
    policy.Rule.MODERATION_WORD: "Moderation word",
    policy.Rule.LINKS: "Links",
    policy.Rule.KNOWN_AUTHOR: "Known author",
    policy.Rule.HOLD_ALL: "Hold every entry",
    policy.Rule.NO_RULE: "No rule",
    MODERATOR_RULE: "Moderator",
    policy.Rule.NO_LINK: "No link back",
}
# What "Spam and block" may add to the disallowed words, as the queue offers it.
BLOCKABLE = {"email": "email", "ip": "IP address", "host": "website host"}


class Action(StrEnum):
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    SPAM = "spam"
    NOT_SPAM = "not-spam"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"
    HOLD = "hold"  # back to pending from any status, as WordPress's "hold"


# action -> (statuses it applies to, or None for any; the status it sets, or None: delete)
ACTIONS: dict[Action, tuple[frozenset[Status] | None, Status | None]] = {
    Action.APPROVE: (None, Status.APPROVED),
    Action.UNAPPROVE: (frozenset({Status.APPROVED}), Status.PENDING),
    Action.SPAM: (None, Status.SPAM),
    Action.NOT_SPAM: (frozenset({Status.SPAM}), Status.PENDING),
    Action.TRASH: (None, Status.TRASH),
    Action.RESTORE: (frozenset({Status.TRASH}), Status.PENDING),
    Action.DELETE: (frozenset({Status.SPAM, Status.TRASH}), None),
    Action.HOLD: (None, Status.PENDING),
}
# The action that sets a status whatever the current one (`flask comments moderate`).
SETTING: dict[Status, Action] = {
    Status.APPROVED: Action.APPROVE,
    Status.PENDING: Action.HOLD,
    Status.SPAM: Action.SPAM,
    Status.TRASH: Action.TRASH,
}


@dataclass(frozen=True)
class QueueFilter:
    tab: str = "all"
    entry_type: EntryType | None = None
    post_id: int | None = None
    search: str = ""
    rule: str = ""  # one of RULES, or "" for any
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    """An entry as moderators see it: with email and IP address."""

    id: int
    type: EntryType
    status: Status
    reason: str
    rule: str
    author: str
    email: str
    website: str
    ip_address: str
    source_url: str | None
    html: Markup
    created: datetime
    parent_id: int | None
    post_id: int
    post_slug: str
    post_title: str
    by_moderator: bool

    @property
    def blockable(self) -> dict[str, str]:
        """What "Spam and block" offers for this entry: kind -> value."""
        return block_values(self.type, self.email, self.ip_address, self.website, self.source_url)


def _host(url: str | None) -> str:
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:  # a malformed address: nothing to block by
        return ""
    return host.rstrip(".")


def block_values(
    entry_type: EntryType, email: str, ip_address: str, website: str, source_url: str | None
) -> dict[str, str]:
    """An entry's email, IP address and website host (a linkback's source host), if any."""
    host = _host(source_url if entry_type != EntryType.COMMENT else website)
    try:
        ip = str(ipaddress.ip_address(ip_address.strip())) if ip_address.strip() else ""
    except ValueError:
        ip = ""
    values = {"email": email.strip(), "ip": ip, "host": host}
    return {kind: value for kind, value in values.items() if value}


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def status_counts(session: Session) -> dict[str, int]:
    """Entries per status, and "all" (pending + approved): one grouped query."""
    counts = {status.value: 0 for status in Status}
    for status, count in session.execute(select(Entry.status, func.count()).group_by(Entry.status)):
        counts[status.value] = count
    counts["all"] = counts["pending"] + counts["approved"]
    return counts


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue_page(session: Session, wanted: QueueFilter) -> QueuePage:
    """One page of the queue, newest first, with the filtered total: one query."""
    query = select(
        Entry.id,
        Entry.type,
        Entry.status,
        Entry.reason,
        Entry.rule,
        Entry.author,
        Entry.email,
        Entry.website,
        Entry.ip_address,
        Entry.source_url,
        Entry.body_html,
        Entry.created,
        Entry.parent_id,
        Entry.post_id,
        Entry.moderator_id,
        Post.slug,
        Post.title,
        func.count().over().label("total"),
    ).join(Post, Post.id == Entry.post_id)
    if wanted.tab == "all":
        query = query.where(Entry.status.in_([Status.PENDING, Status.APPROVED]))
    else:
        query = query.where(Entry.status == Status(wanted.tab))
    if wanted.entry_type is not None:
        query = query.where(Entry.type == wanted.entry_type)
    if wanted.post_id is not None:
        query = query.where(Entry.post_id == wanted.post_id)
    if wanted.rule:
        query = query.where(Entry.rule == wanted.rule)
    if wanted.search:
        pattern = f"%{_escape_like(wanted.search)}%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        Entry.author,
                        Entry.email,
                        Entry.website,
                        Entry.ip_address,
                        Entry.source_url,
                        Entry.body,
                    )
                )
            )
        )
    page = max(wanted.page, 1)
    rows = session.execute(
        query.order_by(Entry.created.desc(), Entry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    total = rows[0].total if rows else 0
    return QueuePage(
        rows=[
            QueueRow(
                id=row.id,
                type=row.type,
                status=row.status,
                reason=row.reason,
                rule=row.rule,
                author=row.author,
                email=row.email,
                website=row.website,
                ip_address=row.ip_address,
                source_url=row.source_url,
                html=Markup(row.body_html),
                created=row.created,
                parent_id=row.parent_id,
                post_id=row.post_id,
                post_slug=row.slug,
                post_title=row.title,
                by_moderator=row.moderator_id is not None,
            )
            for row in rows
        ],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def post_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (row.id, row.title)
        for row in session.execute(select(Post.id, Post.title).order_by(Post.title))
    ]


def moderate(session: Session, actor: Actor, ids: Collection[int], action: Action) -> int:
    """Apply an action to the chosen entries in one statement; return how many it moved."""
    applies_to, new_status = ACTIONS[action]
    chosen = sorted(set(ids))
    if not chosen:
        return 0
    where = [Entry.id.in_(chosen)]
    if applies_to is not None:
        where.append(Entry.status.in_(applies_to))
    if new_status is None:
        # Replies to a deleted entry stay, as replies to nothing (the FK sets NULL).
        count = session.execute(delete(Entry).where(*where)).rowcount
        photos.remove_unused(session)  # a webmention author's photo goes with its last entry
    else:
        count = session.execute(
            update(Entry)
            .where(*where)
            .values(
                status=new_status,
                reason=f"{action.value} by {actor.username}",
                rule=MODERATOR_RULE,
                updated=utcnow(),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    record(session, actor, action.value, chosen, f"{count} of {len(chosen)} changed")
    return count


def set_status(session: Session, actor: Actor, ids: Collection[int], status: Status) -> int:
    """Move entries to a status whatever their current one, through moderate(); if any
    id is unknown, nothing changes (NotFound names it)."""
    wanted = set(ids)
    missing = sorted(wanted - set(session.scalars(select(Entry.id).where(Entry.id.in_(wanted)))))
    if missing:
        raise NotFound("No entry with id " + ", ".join(map(str, missing)) + ".")
    return moderate(session, actor, wanted, SETTING[status])


def spam_and_block(
    session: Session, actor: Actor, entry_id: int, kinds: Collection[str]
) -> tuple[int, list[str], list[str]]:
    """Mark an entry spam and disallow the chosen of its email, IP address and website host.

    The next entry from them is then spam too (issue 6). Return how many entries moved
    (0: it was spam already), the values added and those already on the list. The values
    are the entry's own, never what a form sends.
    """
    unknown = set(kinds) - set(BLOCKABLE)
    if unknown:
        raise Refused("There is nothing of that kind to block.")
    entry = get_entry(session, entry_id)
    offered = block_values(
        entry.type, entry.email, entry.ip_address, entry.website, entry.source_url
    )
    chosen = [offered[kind] for kind in BLOCKABLE if kind in kinds and kind in offered]
    if not chosen:
        raise Refused("Tick what to block: the email, the IP address or the website host.")
    added = discussion.block(session, actor, chosen, [entry.id])
    moved = 0
    if entry.status != Status.SPAM:
        moved = moderate(session, actor, [entry.id], Action.SPAM)
    return moved, added, [value for value in chosen if value not in added]


def empty(session: Session, actor: Actor, status: Status) -> int:
    """Delete every entry in spam or trash for good."""
    if status not in (Status.SPAM, Status.TRASH):
        raise Refused("Only spam and trash can be emptied.")
    # The audit log names the entries deleted, as it does for every other action.
    deleted = session.scalars(
        delete(Entry)
        .where(Entry.status == status)
        .returning(Entry.id)
        .execution_options(synchronize_session=False)
    ).all()
    photos.remove_unused(session)
    record(session, actor, f"empty-{status.value}", deleted, f"{len(deleted)} deleted")
    return len(deleted)


def get_entry(session: Session, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("There is no such entry.")
    return entry


def edit_entry(
    session: Session,
    actor: Actor,
    entry_id: int,
    text: str,
    name: str,
    email: str,
    website: str,
) -> Entry:
    """Change an entry's text and author details; the text is sanitised again."""
    entry = get_entry(session, entry_id)
    if len(text.encode()) > COMMENT_MAX_BYTES:
        raise Refused("The text is too long.", "comment")
    changed = [
        field
        for field, old, new in (
            ("text", entry.body, text),
            ("name", entry.author, name),
            ("email", entry.email, email),
            ("website", entry.website, website),
        )
        if old != new
    ]
    entry.body, entry.author, entry.email, entry.website = text, name, email, website
    entry.body_html = sanitize.comment_html(text)
    entry.updated = utcnow()
    record(session, actor, "edit", [entry.id], "changed: " + (", ".join(changed) or "nothing"))
    return entry


def reply(session: Session, actor: Actor, parent_id: int, text: str) -> Entry:
    """Answer an entry as a moderator: approved at once, and its parent approved too."""
    parent = get_entry(session, parent_id)
    if parent.status in (Status.SPAM, Status.TRASH):
        raise Refused("Move the entry out of spam or trash before replying to it.", "comment")
    if len(text.encode()) > COMMENT_MAX_BYTES:
        raise Refused("The text is too long.", "comment")
    comments.check_reply_depth(session, parent.id, discussion.load(session).thread_depth)
    approved_parent = parent.status == Status.PENDING
    if approved_parent:
        parent.status = Status.APPROVED
        parent.reason = f"approved by {actor.username} with a reply"
        parent.rule = MODERATOR_RULE
        parent.updated = utcnow()
    moderator = session.get(Moderator, actor.moderator_id)
    entry = Entry(
        post_id=parent.post_id,
        parent_id=parent.id,
        type=EntryType.COMMENT,
        status=Status.APPROVED,
        reason=f"reply by {actor.username}",
        rule=MODERATOR_RULE,
        author=moderator.username if moderator else actor.username,
        body=text,
        body_html=sanitize.comment_html(text),
        moderator_id=actor.moderator_id,
        ip_address=actor.ip_address,
    )
    session.add(entry)
    session.flush()
    ids = [parent.id, entry.id] if approved_parent else [entry.id]
    record(session, actor, "reply", ids, "parent approved" if approved_parent else "")
    return entry
