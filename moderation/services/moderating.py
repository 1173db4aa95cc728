"""The moderators' actions on entries: approve, unapprove, spam, not spam, trash,
restore, hold and delete; spam and block; empty spam or trash; edit; reply.

moderate() is the one audited way to move chosen entries, for the dashboard and the
command line alike (set_status, spam_and_block and the demo go through it): one
statement over all of them (a bulk action on 500 entries is one UPDATE) and one line of
the audit log. A reply approves its pending parent with that same statement, logged as
part of the reply's own line. Emptying, editing and replying are one audit line each.
The moderators' listing is services/queue.py.
"""

from collections.abc import Collection
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Moderator, utcnow
from moderation.rules import policy, sanitize
from moderation.rules.errors import NotFound, Refused
from moderation.rules.limits import COMMENT_MAX_BYTES
from moderation.rules.statuses import EntryType, Status
from moderation.services import comments, discussion, events
from moderation.services.accounts import Actor, record
from moderation.services.linkbacks import photos
from moderation.services.queue import BLOCKABLE, block_values

MODERATOR_RULE = policy.Rule.MODERATOR.value  # a moderator set the status


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


def moderate(
    session: Session, actor: Actor, ids: Collection[int], action: Action, via: str = ""
) -> int:
    """Apply an action to the chosen entries in one statement and log it; return how many
    it moved. `via` says how, when not the dashboard or the command line ("from email")."""
    chosen = sorted(set(ids))
    if not chosen:
        return 0
    count = _move(session, chosen, action, f"{action.value} by {actor.username}")
    detail = f"{count} of {len(chosen)} changed" + (f", {via}" if via else "")
    record(session, actor, action.value, chosen, detail)
    return count


def _move(session: Session, ids: list[int], action: Action, reason: str) -> int:
    """The one statement of an action over the chosen entries, each given `reason` (the
    caller logs it); return how many it moved."""
    applies_to, new_status = ACTIONS[action]
    where = [Entry.id.in_(ids)]
    if applies_to is not None:
        where.append(Entry.status.in_(applies_to))
    if new_status is None:
        # Replies to a deleted entry stay, as replies to nothing (the FK sets NULL).
        moved = session.scalars(delete(Entry).where(*where).returning(Entry.id)).all()
        photos.remove_unused(session)  # a webmention author's photo goes with its last entry
    else:
        moved = session.scalars(
            update(Entry)
            .where(*where)
            .values(status=new_status, reason=reason, rule=MODERATOR_RULE, updated=utcnow())
            .returning(Entry.id)
            .execution_options(synchronize_session=False)
        ).all()
    events.moved(session, moved, new_status)
    return len(moved)


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

    The next entry from them is then spam too (the disallowed words of the Discussion
    settings, issue 6). Return how many entries moved (0: it was spam already), the
    values added and those already on the list. The values are the entry's own, never
    what a form sends.
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
    deleted = delete_entries(session, Entry.status == status)
    record(session, actor, f"empty-{status.value}", deleted, f"{len(deleted)} deleted")
    return len(deleted)


def delete_entries(session: Session, *where) -> list[int]:
    """Delete the entries that match for good, with what follows every deletion: the
    photos no entry holds any more go, and webhooks hear of each. Return their ids."""
    deleted = session.scalars(
        delete(Entry).where(*where).returning(Entry.id).execution_options(synchronize_session=False)
    ).all()
    photos.remove_unused(session)
    events.moved(session, deleted, None)
    return sorted(deleted)


def get_entry(session: Session, entry_id: int) -> Entry:
    """The entry with this id, whatever its status; NotFound when there is none."""
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
    if approved_parent:  # moved as moderate() moves it; logged below, as part of the reply
        _move(session, [parent.id], Action.APPROVE, f"approved by {actor.username} with a reply")
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
    events.arrived(session, entry.id, entry.status)
    ids = [parent.id, entry.id] if approved_parent else [entry.id]
    record(session, actor, "reply", ids, "parent approved" if approved_parent else "")
    return entry
