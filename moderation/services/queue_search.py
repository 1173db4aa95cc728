"""The queue's search: which entries a term finds, and through which index (migration
0014): the term within the searched columns, or an email or IP address typed whole.

Moderators only, as the queue itself (services/queue.py).
"""

import functools
import ipaddress
import re

from sqlalchemy import and_, func, literal_column, select, table

from moderation.infra.models import SEARCHED_COLUMNS, Entry

# Between two searched columns in the text searched (and in ix_entries_search, migration
# 0014): a control character that the search removes from the term, so that no match
# spans two columns.
_SEPARATOR = "\x1f"
# Narrows a search on SQLite (migration 0014): an FTS5 table of trigrams, rowid = id.
_TRIGRAMS = table("entries_search")
# The trigrams of a term that narrow it there, at most: each is a look-up, and a few
# already narrow a term to the entries that hold it (the LIKE then decides).
_TRIGRAMS_LOOKED_UP = 8
# Past this many entries holding a term's trigrams, SQLite reads the queue newest first
# instead, until it has the matches it counts: a common term has them near the top, and
# reading an entry in order costs less than looking one up by its id (3 µs against 5).
FEW_CANDIDATES = 10_000
# A term that is a whole email address: no space, one @, a domain of two labels or more.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def clean(typed: str) -> str:
    """The term a search looks for: what was typed, without the separator."""
    return typed.replace(_SEPARATOR, "")


def _searched_text(dialect: str):
    """The searched columns of an entry, joined by the separator, as ix_entries_search
    holds them on PostgreSQL (a different expression would not use it)."""
    separator = literal_column("chr(31)" if dialect == "postgresql" else "char(31)")
    columns = [
        func.coalesce(Entry.source_url, literal_column("''"))
        if name == "source_url"
        else getattr(Entry, name)
        for name in SEARCHED_COLUMNS
    ]
    return functools.reduce(lambda text, column: text + separator + column, columns)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def trigrams_match(term: str) -> str:
    """The FTS5 query that finds the entries holding the term's trigrams (up to
    _TRIGRAMS_LOOKED_UP of them, spread over the term): each quoted, so taken literally."""
    trigrams = list(dict.fromkeys(term[start : start + 3] for start in range(len(term) - 2)))
    if len(trigrams) > _TRIGRAMS_LOOKED_UP:
        last = len(trigrams) - 1
        step = last / (_TRIGRAMS_LOOKED_UP - 1)
        trigrams = [trigrams[round(n * step)] for n in range(_TRIGRAMS_LOOKED_UP)]
    return " AND ".join('"' + trigram.replace('"', '""') + '"' for trigram in trigrams)


def whole_address(term: str):
    """An email or IP address typed whole: the entries from it, through the indexes of the
    flood rule (ix_entries_email_created, ix_entries_ip_created); else None."""
    try:
        ip = ipaddress.ip_address(term)
    except ValueError:
        pass
    else:
        return Entry.ip_address.in_(sorted({term, str(ip)}))
    if _EMAIL.fullmatch(term):
        return Entry.email.in_(sorted({term, term.lower()}))  # as typed, or in lower case
    return None


def found(term: str, dialect: str):
    """The entries with the term in one of the searched columns, ignoring the case of
    ASCII letters (on PostgreSQL, of every letter): through ix_entries_search (pg_trgm)
    on PostgreSQL; SQLite's LIKE reads every row it is given."""
    pattern = f"%{_escape_like(term)}%"
    if dialect == "postgresql":
        return _searched_text(dialect).ilike(pattern, escape="\\")
    # SQLite's LIKE ignores the case of ASCII letters, as its lower() does (the only case
    # it knows).
    return _searched_text(dialect).like(pattern, escape="\\")


def trigram_term(typed: str, dialect: str) -> str | None:
    """The term, if the trigrams narrow it (SQLite, three characters or more, not an
    address typed whole); they ignore case as LIKE does, and more."""
    term = clean(typed)
    if dialect != "sqlite" or len(term) < 3 or whole_address(term) is not None:
        return None
    return term


def candidates(term: str):
    """SQLite: the ids of the entries holding the term's trigrams (stale ones aside, a
    superset of those the LIKE finds)."""
    match = literal_column("entries_search").match(trigrams_match(term))
    return select(literal_column("rowid").label("id")).select_from(_TRIGRAMS).where(match)


def condition(typed: str, dialect: str):
    """The entries a search finds, as a condition: those from an email or IP address
    typed whole, else those with the term in one of the searched columns (found),
    narrowed first by the trigrams on SQLite."""
    term = clean(typed)
    whole = whole_address(term)
    if whole is not None:
        return whole
    if trigram_term(term, dialect) is None:
        return found(term, dialect)
    return and_(Entry.id.in_(candidates(term)), found(term, dialect))
