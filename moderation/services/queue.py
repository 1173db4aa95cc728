"""The moderators' queue as they list it: the dashboard's tabs, filters and pages, the
command line's listing, the counts per status, and what "Spam and block" offers.

Every entry is listed here, with its email and IP address: moderators only.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from moderation.infra.models import SEARCHED_COLUMNS, Entry, EntryCount, Post, Site
from moderation.rules import policy, retention
from moderation.rules.statuses import EntryType, Status

PAGE_SIZE = 50
TABS = ("all", "pending", "approved", "spam", "trash")  # "all": pending and approved
ANY = "any"  # every status, spam and trash included: the command line's listing
# The rule filter's options, (value, label); the labels come from the policy.
RULE_CHOICES = tuple((rule.value, policy.LABELS[rule]) for rule in policy.Rule)
RULES = tuple(value for value, _label in RULE_CHOICES)
# What "Spam and block" may add to the disallowed words, as the queue offers it.
BLOCKABLE = {"email": "email", "ip": "IP address", "host": "website host"}


@dataclass(frozen=True)
class QueueFilter:
    tab: str = "all"  # one of TABS, or ANY
    entry_type: EntryType | None = None
    post_id: int | None = None
    site_id: int | None = None
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
    text: str  # as typed
    html: Markup  # as sanitised
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


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def _host(url: str | None) -> str:
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:  # a malformed address: nothing to block by
        return ""
    return host.rstrip(".")


def block_values(
    entry_type: EntryType, email: str, ip_address: str, website: str, source_url: str | None
) -> dict[str, str]:
    """An entry's email, IP address and website host (a linkback's source host), if any.
    An address the maintenance shortened is offered as its range (203.0.113.0/24), the
    only block that still matches anyone."""
    host = _host(source_url if entry_type != EntryType.COMMENT else website)
    try:
        ip = str(ipaddress.ip_address(ip_address.strip())) if ip_address.strip() else ""
    except ValueError:
        ip = ""
    if ip and retention.is_reduced(ip):
        ip = retention.network_of(ip)
    values = {"email": email.strip(), "ip": ip, "host": host}
    return {kind: value for kind, value in values.items() if value}


def kept_count(status: Status):
    """A column: how many entries have `status`, as the database keeps it (EntryCount)."""
    kept = select(EntryCount.entries).where(EntryCount.status == status).scalar_subquery()
    return func.coalesce(kept, 0)


def status_counts(session: Session) -> dict[str, int]:
    """Entries per status, and "all" (pending + approved): one query of the four rows the
    database keeps (EntryCount), whatever the queue's size."""
    counts = {status.value: 0 for status in Status}
    for status, count in session.execute(select(EntryCount.status, EntryCount.entries)):
        counts[status] = count
    counts["all"] = counts["pending"] + counts["approved"]
    return counts


@dataclass(frozen=True)
class FilterChoices:
    posts: list[tuple[int, str]]  # (id, title), by title
    sites: list[tuple[int, str]]  # (id, origin and name), by origin; empty: no site filter


def filter_choices(session: Session) -> FilterChoices:
    """Every post and every site as the queue's filters offer them: one query."""
    posts = select(literal("post").label("kind"), Post.id, Post.title.label("label"), Post.title)
    sites = select(literal("site"), Site.id, Site.origin, Site.name)
    rows = session.execute(union_all(posts, sites).order_by("kind", "label")).all()
    return FilterChoices(
        posts=[(row.id, row.label) for row in rows if row.kind == "post"],
        sites=[
            (row.id, f"{row.title} ({row.label})" if row.title else row.label)
            for row in rows
            if row.kind == "site"
        ],
    )


_COLUMNS = (
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
    Entry.body,
    Entry.body_html,
    Entry.created,
    Entry.parent_id,
    Entry.post_id,
    Entry.moderator_id,
    Post.slug,
    Post.title,
)
# The columns ix_entries_search holds.
_SEARCHED = tuple(getattr(Entry, column) for column in SEARCHED_COLUMNS)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statuses(tab: str) -> list[Status]:
    """The statuses a tab lists."""
    if tab == "all":
        return [Status.PENDING, Status.APPROVED]
    return list(Status) if tab == ANY else [Status(tab)]


def _narrowed(wanted: QueueFilter, dialect: str) -> list:
    """What the filter asks beyond its tab, as conditions (the site's is on Post)."""
    conditions = []
    if wanted.entry_type is not None:
        conditions.append(Entry.type == wanted.entry_type)
    if wanted.post_id is not None:
        conditions.append(Entry.post_id == wanted.post_id)
    if wanted.site_id is not None:
        conditions.append(Post.site_id == wanted.site_id)
    if wanted.rule:
        conditions.append(Entry.rule == wanted.rule)
    if wanted.search:
        pattern = f"%{_escape_like(wanted.search)}%"
        if dialect == "postgresql":  # substrings through ix_entries_search (pg_trgm)
            found = [column.ilike(pattern, escape="\\") for column in _SEARCHED]
        else:
            # SQLite reads each row. Its LIKE ignores the case of ASCII letters, as its
            # lower() does (the only case it knows), and is 2.5 times faster without it.
            found = [column.like(pattern, escape="\\") for column in _SEARCHED]
        conditions.append(or_(*found))
    return conditions


def _listing(wanted: QueueFilter, dialect: str, *columns):
    """The entries the filter wants, newest first (its page aside)."""
    query = select(*_COLUMNS, *columns).join(Post, Post.id == Entry.post_id)
    if wanted.tab == "all":
        # Said as "neither spam nor trash", which no index answers, so both databases read
        # ix_entries_created_id newest first and stop at the page (SQLite, without
        # ANALYZE, would otherwise read every pending and approved entry, then sort them).
        query = query.where(Entry.status.not_in([Status.SPAM, Status.TRASH]))
    elif wanted.tab != ANY:
        query = query.where(Entry.status == Status(wanted.tab))
    return query.where(*_narrowed(wanted, dialect)).order_by(Entry.created.desc(), Entry.id.desc())


def _total(wanted: QueueFilter, dialect: str):
    """How many entries the filter wants, as a column of the page's one query: a tab's
    from the counts the database keeps; a filter's counted through its index."""
    narrowed = _narrowed(wanted, dialect)
    if not narrowed:
        return (
            select(func.coalesce(func.sum(EntryCount.entries), 0))
            .where(EntryCount.status.in_(_statuses(wanted.tab)))
            .scalar_subquery()
        )
    if wanted.search:
        # The matches are read for the page anyway: counting them beside it reads them once.
        return func.count().over()
    counted = select(func.count()).select_from(Entry).where(*narrowed)
    if wanted.site_id is not None:
        counted = counted.join(Post, Post.id == Entry.post_id)
    if wanted.tab != ANY:
        counted = counted.where(Entry.status.in_(_statuses(wanted.tab)))
    # Counted apart from the page's rows: not correlated with the outer Entry.
    return counted.correlate(None).scalar_subquery()


def _row(row) -> QueueRow:
    return QueueRow(
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
        text=row.body,
        html=Markup(row.body_html),
        created=row.created,
        parent_id=row.parent_id,
        post_id=row.post_id,
        post_slug=row.slug,
        post_title=row.title,
        by_moderator=row.moderator_id is not None,
    )


def queue_page(session: Session, wanted: QueueFilter) -> QueuePage:
    """One page of the queue, newest first, with the filtered total: one query."""
    page = max(wanted.page, 1)
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        _listing(wanted, dialect, _total(wanted, dialect).label("total"))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    total = rows[0].total if rows else 0
    return QueuePage(
        rows=[_row(row) for row in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def queue_rows(session: Session, wanted: QueueFilter) -> list[QueueRow]:
    """Every entry the filter wants, newest first, unpaged: one query."""
    dialect = session.get_bind().dialect.name
    return [_row(row) for row in session.execute(_listing(wanted, dialect))]
