"""The moderators' queue as they list it: the dashboard's tabs, filters and pages, the
command line's listing, the counts per status, and what "Spam and block" offers.

Every entry is listed here, with its email and IP address: moderators only.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, EntryCount, Post, Site
from moderation.rules import policy, retention
from moderation.rules.statuses import EntryType, Status
from moderation.services import queue_search

PAGE_SIZE = 50
# A filter's matches are counted up to this many (or up to its page, further on): past it
# the page says "1000+", and the count costs the same at 100,000 entries as at 1,000.
COUNTED = 1000
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
    more: bool = False  # more than `total` entries match, and more than `pages` pages


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


def _statuses(tab: str) -> list[Status]:
    """The statuses a tab lists."""
    if tab == "all":
        return [Status.PENDING, Status.APPROVED]
    return list(Status) if tab == ANY else [Status(tab)]


def _filters(wanted: QueueFilter) -> list:
    """What the filter asks beyond its tab and search, as conditions (the site's is on
    Post)."""
    conditions = []
    if wanted.entry_type is not None:
        conditions.append(Entry.type == wanted.entry_type)
    if wanted.post_id is not None:
        conditions.append(Entry.post_id == wanted.post_id)
    if wanted.site_id is not None:
        conditions.append(Post.site_id == wanted.site_id)
    if wanted.rule:
        conditions.append(Entry.rule == wanted.rule)
    return conditions


def _narrowed(wanted: QueueFilter, dialect: str) -> list:
    """What the filter asks beyond its tab, as conditions."""
    search = [queue_search.condition(wanted.search, dialect)] if wanted.search else []
    return [*_filters(wanted), *search]


def _in_tab(tab: str, by_index: bool = True) -> list:
    """The tab's condition on the status. Not by_index: said so that no index answers it,
    for SQLite to read the entries another condition's index narrows to (it would prefer
    ix_entries_status_created, and read the whole tab)."""
    if tab == "all":
        # Said as "neither spam nor trash", which no index answers, so both databases read
        # ix_entries_created_id newest first and stop at the page (SQLite, without
        # ANALYZE, would otherwise read every pending and approved entry, then sort them).
        return [Entry.status.not_in([Status.SPAM, Status.TRASH])]
    if tab == ANY:
        return []
    if by_index:
        return [Entry.status == Status(tab)]
    return [Entry.status.not_in([status for status in Status if status != tab])]


_NEWEST_FIRST = (Entry.created.desc(), Entry.id.desc())


def _listing(wanted: QueueFilter, dialect: str):
    """The entries the filter wants, newest first (its page aside)."""
    query = select(*_COLUMNS).join(Post, Post.id == Entry.post_id)
    conditions = [*_in_tab(wanted.tab), *_narrowed(wanted, dialect)]
    return query.where(*conditions).order_by(*_NEWEST_FIRST)


def _tab_page(tab: str, page: int):
    """A page of a tab, with the tab's total from the counts the database keeps."""
    kept = (
        select(func.coalesce(func.sum(EntryCount.entries), 0))
        .where(EntryCount.status.in_(_statuses(tab)))
        .scalar_subquery()
    )
    query = select(*_COLUMNS, kept.label("total")).join(Post, Post.id == Entry.post_id)
    query = query.where(*_in_tab(tab)).order_by(*_NEWEST_FIRST)
    return query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)


def _ways(wanted: QueueFilter, dialect: str, reach: int) -> list[tuple[list, object]]:
    """The ways to find a filter's first reach + 1 matches, each (conditions, how many it
    reads): one, for the database to plan; one per status for a post's or a rule's. On
    SQLite a search by trigrams has two, and the count of the entries holding its
    trigrams (up to FEW_CANDIDATES) gives one of them 0 to read, which reads nothing:
    their ids, or the queue in order."""
    term = queue_search.trigram_term(wanted.search, dialect)
    statuses = _statuses(wanted.tab)
    if not wanted.search and (wanted.post_id is not None or wanted.rule) and len(statuses) > 1:
        # (post_id or rule, status, created) holds each status's entries newest first: each
        # read apart up to reach + 1, rather than all of the post's or rule's, then sorted.
        return [([Entry.status == status, *_filters(wanted)], reach + 1) for status in statuses]
    if term is None:
        # On SQLite an address's index narrows more than the tab's (ix_entries_status_created).
        address = queue_search.whole_address(queue_search.clean(wanted.search)) is not None
        tab = _in_tab(wanted.tab, by_index=not (dialect == "sqlite" and address))
        return [([*tab, *_narrowed(wanted, dialect)], reach + 1)]
    few_candidates = queue_search.FEW_CANDIDATES
    candidates = queue_search.candidates(term).limit(few_candidates).cte("candidates")
    few = select(func.count() < few_candidates).select_from(candidates).scalar_subquery()
    found = queue_search.found(term, dialect)
    narrowed = [*_in_tab(wanted.tab, by_index=False), *_filters(wanted)]
    narrowed += [Entry.id.in_(select(candidates.c.id)), found]
    read_in_order = [*_in_tab(wanted.tab), *_filters(wanted), found]
    return [
        (narrowed, case((few, reach + 1), else_=0)),
        (read_in_order, case((few, 0), else_=reach + 1)),
    ]


def _filtered_page(wanted: QueueFilter, dialect: str, page: int, reach: int):
    """A page of a filter, with how many entries it wants up to reach + 1: the first
    reach + 1 matches, newest first, are found once (the database chooses how: through
    the filter's index, or reading the queue newest first until it has them), then
    counted, and the page's rows read from them alone."""
    found = []
    for conditions, limit in _ways(wanted, dialect, reach):
        matched = select(Entry.id, Entry.created).where(*conditions)
        if wanted.site_id is not None:
            matched = matched.join(Post, Post.id == Entry.post_id)
        found.append(matched.order_by(*_NEWEST_FIRST).limit(limit))
    if len(found) == 1:
        matches = found[0].cte("matches")
    else:  # each way ordered and limited in its own subquery, as SQLite wants it; their
        # count passes reach as soon as one of them does (each reads reach + 1 at most)
        matches = union_all(*(select(way.subquery()) for way in found)).cte("matches")
    newest_first = (matches.c.created.desc(), matches.c.id.desc())
    shown = select(matches).order_by(*newest_first)
    shown = shown.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).subquery("shown")
    counted = select(func.count()).select_from(matches).scalar_subquery()
    return (
        select(*_COLUMNS, counted.label("total"))
        .select_from(shown)
        .join(Entry, Entry.id == shown.c.id)
        .join(Post, Post.id == Entry.post_id)
        .order_by(shown.c.created.desc(), shown.c.id.desc())
    )


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


def _reach(page: int) -> int:
    """How many matches of a filter are counted, at most, for its page."""
    return max(COUNTED, page * PAGE_SIZE)


def _page_query(wanted: QueueFilter, dialect: str):
    """The one query of a page: its rows, each with the total."""
    page = max(wanted.page, 1)
    if not _narrowed(wanted, dialect):
        return _tab_page(wanted.tab, page)
    return _filtered_page(wanted, dialect, page, _reach(page))


def queue_page(session: Session, wanted: QueueFilter) -> QueuePage:
    """One page of the queue, newest first, with the total: one query. A tab's total is
    exact; a filter's is counted up to COUNTED (or to its page), and past it `more` says so."""
    page = max(wanted.page, 1)
    dialect = session.get_bind().dialect.name
    rows = session.execute(_page_query(wanted, dialect)).all()
    counted = rows[0].total if rows else 0
    more = bool(_narrowed(wanted, dialect)) and counted > _reach(page)
    total = _reach(page) if more else counted
    return QueuePage(
        rows=[_row(row) for row in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)) + more,
        more=more,
    )


def queue_rows(session: Session, wanted: QueueFilter) -> list[QueueRow]:
    """Every entry the filter wants, newest first, unpaged: one query."""
    dialect = session.get_bind().dialect.name
    return [_row(row) for row in session.execute(_listing(wanted, dialect))]
