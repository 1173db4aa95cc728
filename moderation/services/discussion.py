"""The Discussion settings: stored in one row, read once per request that needs them."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moderation.infra.models import DiscussionSettings, utcnow
from moderation.rules import policy
from moderation.rules.errors import Refused
from moderation.rules.limits import AUDIT_DETAIL_MAX_CHARS
from moderation.services.accounts import Actor, record

SETTINGS_ID = 1

# What an administrator may set (discussion settings form; block() keeps to the same).
MAX_LINKS_RANGE = (0, 1_000)  # 0: no limit
CLOSE_AFTER_DAYS_RANGE = (0, 36_500)  # 0: never
THREAD_DEPTH_RANGE = (1, 10)  # 1: no replies
COMMENTS_PER_PAGE_RANGE = (1, 500)
WORDS_MAX_LINES = 1_000
WORDS_MAX_CHARS = 50_000
WORD_MAX_CHARS = 200
FIELDS = (
    "hold_all",
    "trust_known_authors",
    "max_links",
    "moderation_words",
    "disallowed_words",
    "close_after_days",
    "thread_depth",
    "comments_per_page",
)
WORD_FIELDS = ("moderation_words", "disallowed_words")
BLOCK_ACTION = "block"
SAVE_ACTION = "settings"


@dataclass(frozen=True)
class Settings:
    """The Discussion settings: the policy's rules, when posts close, and how their
    threads nest and page."""

    rules: policy.Rules = field(default_factory=policy.Rules)
    close_after_days: int = 0  # close comments and pings on posts older than this; 0: never
    thread_depth: int = 5  # replies nest at most this deep (1: no replies)
    comments_per_page: int = 50  # top-level entries per page of a post

    def page_of(self, rank: int) -> int:
        """The page of comments that shows the top-level entry of this rank (from 1)."""
        return (rank - 1) // max(self.comments_per_page, 1) + 1


_STORED = select(DiscussionSettings).where(DiscussionSettings.id == SETTINGS_ID)


def load(session: Session) -> Settings:
    """The settings, or the defaults before an administrator first saves them: one query."""
    return from_row(session.scalar(_STORED))


def from_row(row: DiscussionSettings | None) -> Settings:
    """The settings a stored row holds; the defaults when there is none yet."""
    if row is None:
        return Settings()
    return Settings(
        rules=policy.Rules(
            hold_all=row.hold_all,
            trust_known_authors=row.trust_known_authors,
            max_links=row.max_links,
            moderation_words=policy.word_list(row.moderation_words),
            disallowed_words=policy.word_list(row.disallowed_words),
        ),
        close_after_days=row.close_after_days,
        thread_depth=row.thread_depth,
        comments_per_page=row.comments_per_page,
    )


def _defaults() -> dict[str, bool | int | str]:
    settings = Settings()
    rules = settings.rules
    return {
        "hold_all": rules.hold_all,
        "trust_known_authors": rules.trust_known_authors,
        "max_links": rules.max_links,
        "moderation_words": "\n".join(rules.moderation_words),
        "disallowed_words": "\n".join(rules.disallowed_words),
        "close_after_days": settings.close_after_days,
        "thread_depth": settings.thread_depth,
        "comments_per_page": settings.comments_per_page,
    }


def raw(session: Session) -> dict[str, bool | int | str]:
    """The settings as stored, word lists as typed, for the form; the defaults before any save."""
    row = session.scalar(_STORED)
    if row is None:
        return _defaults()
    return {name: getattr(row, name) for name in FIELDS}


def word_list_problem(text: str) -> str | None:
    """What makes a words setting too large to keep, or None when it fits."""
    if len(text) > WORDS_MAX_CHARS:
        return f"At most {WORDS_MAX_CHARS:,} characters: this list has {len(text):,}."
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > WORDS_MAX_LINES:
        return f"At most {WORDS_MAX_LINES:,} lines: this list has {len(lines):,}."
    for number, line in enumerate(text.splitlines(), 1):
        if len(line.strip()) > WORD_MAX_CHARS:
            return f"Line {number} is longer than {WORD_MAX_CHARS} characters."
    return None


def _locked_row(session: Session) -> DiscussionSettings:
    """Row id 1, created with the defaults when absent, locked until the caller commits.

    The INSERT comes first so two first saves cannot both create it, and on SQLite it
    takes the write lock before the row is read: no save or block works on a stale copy.
    """
    values = {"id": SETTINGS_ID, **_defaults(), "updated": utcnow()}
    dialect = _INSERT_OR_IGNORE.get(session.get_bind().dialect.name)
    if dialect is not None:
        session.execute(dialect.insert(DiscussionSettings).values(values).on_conflict_do_nothing())
    elif session.get(DiscussionSettings, SETTINGS_ID) is None:
        session.add(DiscussionSettings(**values))
        session.flush()
    return session.scalars(
        select(DiscussionSettings)
        .where(DiscussionSettings.id == SETTINGS_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


_INSERT_OR_IGNORE = {"postgresql": postgresql, "sqlite": sqlite}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _describe(name: str, old: bool | int | str, new: bool | int | str) -> str:
    """One change for the audit log: "hold_all: on → off", "max_links: 2 → 3"."""
    if isinstance(old, bool):
        return f"{name}: {'on' if old else 'off'} → {'on' if new else 'off'}"
    if isinstance(old, int):
        return f"{name}: {old} → {new}"
    before, after = _lines(str(old)), _lines(str(new))
    added = [line for line in after if line not in before]
    removed = [line for line in before if line not in after]
    if not (added or removed):
        return f"{name}: reordered or reformatted"
    parts = [f"+{line}" for line in added] + [f"−{line}" for line in removed]
    return f"{name}: " + ", ".join(parts)


def _detail(changes: list[str]) -> str:
    detail = "; ".join(changes)
    if len(detail) > AUDIT_DETAIL_MAX_CHARS:
        return detail[: AUDIT_DETAIL_MAX_CHARS - 1] + "…"
    return detail


def save(session: Session, actor: Actor, values: Mapping[str, bool | int | str]) -> list[str]:
    """Store the settings given (any of FIELDS) and log what changed; return the changes.

    The values come validated (the settings form); word lists are kept as typed, with
    one kind of line break. The caller commits.
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"no such settings: {', '.join(sorted(unknown))}")
    row = _locked_row(session)
    changes = []
    for name in FIELDS:
        if name not in values:
            continue
        old, new = getattr(row, name), values[name]
        if name in WORD_FIELDS:
            new = str(new).replace("\r\n", "\n").replace("\r", "\n")
        if new != old:
            changes.append(_describe(name, old, new))
            setattr(row, name, new)
    if changes:
        record(session, actor, SAVE_ACTION, (), _detail(changes))
    return changes


def block(
    session: Session, actor: Actor, words: Iterable[str], entry_ids: Iterable[int] = ()
) -> list[str]:
    """Add words to the disallowed words, each once, and log it; return those added.

    A word the list already matches is not added (policy.already_matched: the same
    word in any case, a part of it, or a range that holds an address). Refused when the
    list would outgrow what the settings form accepts.
    """
    row = _locked_row(session)
    present = _lines(row.disallowed_words)
    added: list[str] = []
    for word in (word.strip() for word in words):
        if word and not policy.already_matched(present + added, word):
            added.append(word)
    if not added:
        return []
    kept = row.disallowed_words.rstrip("\n")
    text = "\n".join([kept, *added]) if kept else "\n".join(added)
    problem = word_list_problem(text)
    if problem is not None:
        raise Refused(f"The disallowed words are full. {problem}", "disallowed_words")
    row.disallowed_words = text
    detail = _detail([f"disallowed_words: +{', +'.join(added)}"])
    record(session, actor, BLOCK_ACTION, entry_ids, detail)
    return added
