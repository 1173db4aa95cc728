"""The dashboard at scale: the queue's pages at 1,000 and at 100,000 entries.

Run from the repo root: `.venv/bin/python bench/dashboard_scale.py [--backend
sqlite|postgresql|both] [--database-url URL] [--requests N]`.

1. For each backend, migrates a new database (a temporary SQLite file; on PostgreSQL a
   database created beside the one of --database-url and dropped afterwards) and fills it
   in bulk: 1,000 posts, entries of every status, type and rule, 2,000 distinct authors,
   each with an email and an IP address. One in ten of the first 1,000 entries is by the
   author searched for, on the post filtered by, with the word searched for: so each
   search and filter fills its page at 1,000 entries as at 100,000, and the ratio
   measures the database, not the rendering of 50 rows against that of none.
2. Drives the real app in-process with Flask's test client, logged in as a moderator
   through the login form (CSRF on), at 1,000 entries and again at 100,000.
3. Times each page (the median of --requests requests) and counts its SQL statements,
   then prints a table with the targets: each page in constant queries, and no page of
   100,000 entries slower than 3x the same page of 1,000 entries.

A measurement on a shared machine: figures are noisy. The exit status is 1 if a target
failed. Temporary databases are removed on every exit path.
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from own_database import postgres_database  # noqa: E402 (bench/, beside this script)

from moderation import create_app  # noqa: E402 (after the path)
from moderation.infra import db  # noqa: E402
from moderation.infra.models import Entry, Post, utcnow  # noqa: E402
from moderation.rules import policy  # noqa: E402
from moderation.rules.statuses import EntryType, Status  # noqa: E402
from moderation.services import accounts, queue  # noqa: E402
from tests.forms import page_form, send, submit_form  # noqa: E402

POSTS = 1_000
AUTHORS = 2_000
SIZES = (1_000, 100_000)
BATCH = 10_000
BULK = 500
MAX_RATIO = 3.0
PASSWORD = "bench password, long enough"
STATUSES = list(Status)
TYPES = list(EntryType)
RULES = [rule.value for rule in policy.Rule]
# Words of the texts: 200 made-up ones, two in each text, so that one is in about 1 % of them.
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "du")
WORDS = [f"{a}{b}{c}" for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES[:2]]
AUTHOR = 123  # the author, email and IP searched for
REGULAR = 10  # one in this many of the first 1,000 entries is theirs (_entry)


def _ip(author: int) -> str:
    return f"10.{author // 250 + 1}.{author % 250 + 1}.9"


def _entry(number: int, post_ids: list[int], now) -> dict:
    # A regular: 100 of the first 1,000 entries are by the author searched for, on post-7
    # (filtered by), with the word searched for.
    regular = number < SIZES[0] and number % REGULAR == 0
    author = AUTHOR if regular else number % AUTHORS
    word = WORDS[AUTHOR % 200] if regular else WORDS[number % 200]
    # The post, status, type and rule of neighbours differ, so that each combination
    # occurs, and each author's entries have every status.
    return {
        "post_id": post_ids[7 if regular else (number * 7) % POSTS],
        "type": TYPES[(number // len(STATUSES)) % len(TYPES)],
        "status": STATUSES[(number + number // AUTHORS) % len(STATUSES)],
        "reason": "seeded",
        "rule": RULES[(number // 3) % len(RULES)],
        "author": f"Reader {author:04d}",
        "email": f"reader{author:04d}@example.net",
        "website": f"https://reader{author:04d}.example/",
        "source_url": f"https://blog{number}.example/a-reply" if number % 4 else None,
        "body": f"Comment {number} on {word} and {WORDS[(number // 200) % 200]}.",
        "body_html": f"<p>Comment {number}.</p>",
        "ip_address": _ip(author),
        "user_agent": "bench",
        "created": now - timedelta(seconds=number),
        "updated": now,
    }


def fill(session, entries: int, start: int) -> None:
    """Add entries numbered start..entries-1 (posts first, if there are none yet)."""
    post_ids = list(session.scalars(select(Post.id).order_by(Post.id)))
    now = utcnow()
    if not post_ids:
        rows = [{"slug": f"post-{n}", "title": f"Post {n}", "created": now} for n in range(POSTS)]
        post_ids = list(session.scalars(insert(Post).returning(Post.id), rows))
    for first in range(start, entries, BATCH):
        numbers = range(first, min(entries, first + BATCH))
        session.execute(insert(Entry), [_entry(number, post_ids, now) for number in numbers])
        session.commit()
    if session.bind.dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


@dataclass
class Figure:
    queries: int
    ms: float


def _pages(post_id: int) -> dict[str, str]:
    """Each page measured: its name and address."""
    pages = {"queue page": "/moderation/"}
    pages |= {f"tab {tab}": f"/moderation/?status={tab}" for tab in queue.TABS}
    pages |= {
        "search author": f"/moderation/?q=Reader+{AUTHOR:04d}",
        "search email": f"/moderation/?q=reader{AUTHOR:04d}%40example.net",
        "search IP": f"/moderation/?q={_ip(AUTHOR)}",
        "search word": f"/moderation/?q={WORDS[AUTHOR % 200]}",
        "filter post": f"/moderation/?post={post_id}",
        "filter rule": f"/moderation/?rule={policy.Rule.LINKS.value}",
    }
    return pages


@contextlib.contextmanager
def counted(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.extensions["moderation.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure(app, request, repeats: int) -> Figure:
    """The median time of `repeats` calls of request() (after one to warm up), and the
    statements of one."""
    request()
    with counted(app) as statements:
        request()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    return Figure(len(statements), statistics.median(times))


def _get(client, url: str):
    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return request


def _bulk(app, client):
    """A POST of the queue's bulk form as rendered, with 500 entries ticked: approve, then
    unapprove them, in turn (the first approval takes some from spam and the trash)."""
    form = page_form(client, "/moderation/?status=pending", "form#bulk")
    with app.app_context():
        ids = db.get_session().scalars(select(Entry.id).order_by(Entry.id).limit(BULK))
        ids = [str(entry_id) for entry_id in ids]
    actions = iter(("approve", "unapprove") * 10_000)

    def request():
        response = send(client, form, ids=ids, action=next(actions))
        assert response.status_code == 303, response.get_data(as_text=True)[:500]

    return request


def run(url: str, repeats: int) -> dict[int, dict[str, Figure]]:
    """Migrate, fill and measure each size in turn."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "JOB_WORKERS": 0})
    figures: dict[int, dict[str, Figure]] = {}
    with app.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        accounts.create_moderator(session, "bench", PASSWORD, True)
        session.commit()
    client = app.test_client()
    response = submit_form(
        client, "/moderation/login", "form.login", username="bench", password=PASSWORD
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    filled = 0
    for size in SIZES:
        started = time.monotonic()
        with app.app_context():
            fill(db.get_session(), size, filled)
            post_id = db.get_session().scalar(select(Post.id).where(Post.slug == "post-7"))
        filled = size
        print(f"  {size:,} entries in {time.monotonic() - started:.1f} s", file=sys.stderr)
        requests = {name: _get(client, page) for name, page in _pages(post_id).items()}
        requests[f"bulk action ({BULK})"] = _bulk(app, client)
        figures[size] = {name: measure(app, request, repeats) for name, request in requests.items()}
    app.extensions["moderation.engine"].dispose()
    return figures


def report(backend: str, figures: dict[int, dict[str, Figure]]) -> bool:
    """Print the table; return whether every target passed."""
    small, large = (figures[size] for size in SIZES)
    print(f"\n{backend}: median of the requests, queries per request")
    print("| page | queries 1k | queries 100k | ms 1k | ms 100k | ratio | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    passed = True
    for name, before in small.items():
        after = large[name]
        ratio = after.ms / before.ms
        ok = after.queries == before.queries and ratio <= MAX_RATIO
        passed &= ok
        print(
            f"| {name} | {before.queries} | {after.queries} | {before.ms:.1f} | {after.ms:.1f}"
            f" | {ratio:.2f}x | {'pass' if ok else 'FAIL'} |"
        )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--requests", type=int, default=15)
    arguments = parser.parse_args()
    passed = True
    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            print("sqlite", file=sys.stderr)
            passed &= report("SQLite", run(f"sqlite:///{folder}/bench.db", arguments.requests))
    if arguments.backend in ("postgresql", "both"):
        with postgres_database(arguments.database_url, "bench_dashboard") as url:
            print("postgresql", file=sys.stderr)
            passed &= report("PostgreSQL", run(url, arguments.requests))
    print(
        f"\ntargets: constant queries, 100k <= {MAX_RATIO:.0f}x 1k: {'pass' if passed else 'FAIL'}"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
