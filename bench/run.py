"""Throughput and p99 latency of the real app against a bare Flask "framework ceiling",
and of its comment POST against a "same-stack ceiling".

Run from the repo root: `.venv/bin/python bench/run.py` (or `make bench`). It needs wrk.

1. Creates a temporary instance folder with a SQLite database, migrates it and seeds,
   through moderation.services, a registered site (https://blog.bench) and two posts
   standing for its pages /bench-200/ and /bench-2000/: 200 and 2,000 approved comments,
   with replies. Each post is reachable by slug (its page) and by URL (the API's thread).
2. Serves the app (bench/app_wsgi.py, SITE_URL its own address), bench/ceiling.py and
   bench/same_stack.py, each on a copy of the seeded database, each with gunicorn, 2 sync
   workers, on a free 127.0.0.1 port.
3. Drives them with wrk, scenario by scenario (SCENARIOS: each says what each server is
   asked and which status it must answer): the 200- and 2,000-comment post pages; the
   first page of each thread as JSON (the API's comments_per_page top-level entries with
   their replies; the ceiling dumps the same entries, with the same fields); the app's
   304s to If-None-Match with the ETag (fetched just before each measurement) of the
   200-comment post page and of its thread's JSON, against the ceiling's full page and
   full JSON, and the thread's against the server's floor (an empty 304 before Flask);
   a comment POST against each ceiling. A POST sends the comment form as a browser
   would: before each measurement, a GET of the form's page with a cookie jar gives the
   hidden fields (the same stack's CSRF token; our form has none) and any cookies, and
   every POST of that measurement carries them and the page's Origin. Each runs
   --rounds rounds, app then ceiling in every round, so that a slow spell of the
   machine weighs on both sides of a ratio.
   Every status is counted.
4. Prints the GETs' response sizes, the median round of each server and the median of
   the rounds' app/ceiling ratios against issue 16's targets: 1.0 for the 200-comment
   page and thread JSON, 0.8 for the 2,000-comment ones, 5.0 for the 304s, 0.9 for the
   POST against the same-stack ceiling (the POST against the bare ceiling is shown
   without a target).

The servers are loaded one at a time. Exit status is 0 whatever the verdicts (this is a
measurement, not a test); 1 if the benchmark itself could not run, 130 when interrupted.
Servers and temporary files are removed on every exit path.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from moderation import create_app
from moderation.infra import config, db
from moderation.infra.models import Entry
from moderation.rules import policy
from moderation.rules.statuses import Status
from moderation.services import comments, discussion, moderating, posts, sites
from moderation.services.accounts import Actor
from moderation.web.forms import form_stamp

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
WRK_SCRIPT = BENCH / "wrk_script.lua"

SITE = "https://blog.bench"  # the registered site whose pages the two posts stand for
POSTS = (("bench-200", 200), ("bench-2000", 2_000))  # slug, approved comments
POST_TARGET = "bench-200"  # the comment POSTs go to the smaller post
PAGE_TARGET = 1.0  # issue 16: the 200-comment post page and thread JSON
LONG_PAGE_TARGET = 0.8  # the 2,000-comment ones (issue 16 sets none)
SUBMIT_TARGET = 0.9  # issue 16: the POST against the same-stack ceiling
NOT_MODIFIED_TARGET = 5.0  # issue 16: a 304 against the ceiling's full page (or JSON)
NOISY = 0.10  # warn when other processes took more than this share of the CPUs

SECRET = secrets.token_hex(32)  # both servers' SECRET_KEY: the form's time stamp is signed
# What the reader types. The comment comes last: wrk_script.lua appends a number to it, so
# that no two POSTs are the same comment (a duplicate is refused with 409). The form was
# "shown" a minute ago (the app's time trap holds a comment sent sooner).
TYPED = {
    "name": "Bench Reader",
    "email": "reader@example.com",
    "website": "https://reader.example.net/",
    "comment": "Thanks for the write-up. I walked across on Sunday and the new cycle lane\n"
    "is a real improvement; more at https://example.org/bridge-walk/ if you are curious.",
}
SHOWN = form_stamp(SECRET, time.time() - 60, POST_TARGET)


def page_url(slug: str) -> str:
    """The address on SITE of the page a benchmark post stands for."""
    return f"{SITE}/{slug}/"


def thread_path(slug: str) -> str:
    """The API's thread of that page (the ceiling serves the same path)."""
    return "/api/v1/thread?" + urlencode({"url": page_url(slug)})


@dataclass(frozen=True)
class Call:
    """What one server is asked in a scenario, and the status every answer must have."""

    path: str
    expected: int = 200
    # A POST of the comment form on this page (fetched with its cookies before each
    # measurement, see prepare), TYPED into it; else a GET.
    form_page: str | None = None
    # Send If-None-Match with the ETag of the full answer, fetched just before each
    # measurement (a thread's ETag also changes with its form stamp's era).
    revalidate: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    target: float | None  # the app/ceiling ratio of requests/s it should reach, if any
    app: Call
    ceiling: Call
    against: str = "ceiling"  # the server it compares the app with: "ceiling" or "stack"

    @classmethod
    def same(cls, name: str, target: float | None, call: Call, against="ceiling") -> "Scenario":
        """The same request to both servers."""
        return cls(name, target, call, call, against)

    def call(self, server: str) -> Call:
        return self.app if server == "app" else self.ceiling

    def runs_on(self, server: str) -> bool:
        return server in ("app", self.against)


COMMENT_POST = Call(f"/posts/{POST_TARGET}/comments", 303, form_page=f"/posts/{POST_TARGET}/")
SCENARIOS = (
    Scenario.same("GET post, 200 comments", PAGE_TARGET, Call("/posts/bench-200/")),
    Scenario.same("GET post, 2,000 comments", LONG_PAGE_TARGET, Call("/posts/bench-2000/")),
    # Our 304 against the ceiling's full page: what a revalidating cache saves.
    Scenario(
        "GET post, 304",
        NOT_MODIFIED_TARGET,
        app=Call("/posts/bench-200/", 304, revalidate=True),
        ceiling=Call("/posts/bench-200/"),
    ),
    # The first page of the thread, as the API serves it (comments_per_page top-level
    # entries with their replies), against the ceiling's plain JSON of the same entries.
    Scenario.same("GET thread JSON, 200 comments", PAGE_TARGET, Call(thread_path("bench-200"))),
    Scenario.same(
        "GET thread JSON, 2,000 comments", LONG_PAGE_TARGET, Call(thread_path("bench-2000"))
    ),
    # And the thread's 304 against the ceiling's full JSON.
    Scenario(
        "GET thread JSON, 304",
        NOT_MODIFIED_TARGET,
        app=Call(thread_path("bench-200"), 304, revalidate=True),
        ceiling=Call(thread_path("bench-200")),
    ),
    # Issue 2's comparison, kept for the record: the bare INSERT does no checks at all.
    Scenario.same("POST comment, bare ceiling", None, COMMENT_POST),
    # What any comment POST on our stack must do (bench/same_stack.py).
    Scenario.same("POST comment, same stack", SUBMIT_TARGET, COMMENT_POST, against="stack"),
    # How near our 304 comes to the least any app on the same server can answer: an
    # empty 304, before Flask. Last: the 100,000 connections of its rounds (sync workers
    # take one per request) left the next scenario's ceiling slower, and its ratio higher.
    Scenario(
        "GET thread JSON 304, the server's floor",
        None,
        app=Call(thread_path("bench-200"), 304, revalidate=True),
        ceiling=Call("/not-modified", 304),
    ),
)
NAME_WIDTH = max(len(scenario.name) for scenario in SCENARIOS)


@dataclass
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    expected: int
    bytes: int = 0
    other_cpu: float | None = None  # share of all CPUs used by processes not in the benchmark

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> int:
        return sum(n for code, n in self.statuses.items() if code != self.expected)

    @property
    def non_2xx_3xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if not 200 <= code < 400)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.unexpected == 0


# --------------------------------------------------------------------------- seeding

TEXTS = (
    "Walked across it this morning. The new cycle lane is a big improvement.",
    "Does anyone know whether the lights will be on all night,\nor only until midnight?",
    "The stonework looks wonderful. They matched the old sandstone so well that you\n"
    "cannot tell the new blocks from the original ones.\n\n"
    "Well done to the masons.",
    "There is a photo series of the repairs at https://example.org/photos/bridge/ "
    "for anyone who missed it.",
    "4.2 million seems a lot, but a new bridge would have cost <em>far</em> more.",
    "I still think cars should be allowed at night. The bypass adds ten minutes.",
    "Six weeks late is nothing for a job like this; the river was high all spring.",
    "Is the footway wide enough for prams and bikes at the same time?",
)


def _submission(rng: random.Random, index: int, parent_id: int | None) -> comments.Submission:
    person = index % 150  # a few commenters write many comments, as on a real site
    facts = policy.Facts(
        text=rng.choice(TEXTS) + f"\n\n(comment {index})",
        name=f"Reader {person}",
        email=f"reader{person}@example.com",
        website=f"https://reader{person}.example.net/" if person % 3 == 0 else "",
        ip_address=f"192.0.2.{person % 250}",
        user_agent="moderation-bench",
    )
    return comments.Submission(facts, parent_id)


def seed_post(session, slug: str, count: int, rng: random.Random) -> None:
    """One post with `count` approved comments: 70% top level, 20% replies, 10% nested.
    It stands for a page of SITE, so its thread is also the API's thread of that page."""
    post = posts.create_post(
        session,
        slug,
        f"Benchmark post with {count:,} comments",
        "<p>The stone bridge over the river reopened on Saturday.</p>" * 5,
        url=page_url(slug),
    )
    levels = (int(count * 0.7), int(count * 0.2))
    sizes = (*levels, count - sum(levels))
    parents: list[int] = []
    index = 0
    for size in sizes:
        ids = []
        for _ in range(size):
            parent_id = rng.choice(parents) if parents else None
            stored = comments.submit_comment(session, post.slug, _submission(rng, index, parent_id))
            ids.append(stored.id)
            index += 1
        # A reply needs an approved parent (SPEC §3, Comment fields), so approve each level
        # before the next.
        moderating.set_status(session, Actor(None, "bench", ""), ids, Status.APPROVED)
        parents = ids


def seed(url: str) -> tuple[list[str], int]:
    """Migrate and seed the database; return a description of what was seeded, and the
    Discussion setting comments_per_page (the ceiling's JSON pages by it too). The
    services run in an app context: they read its configuration (our own address)."""
    engine = db.make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "JOB_WORKERS": 0})
    try:
        with app.app_context():
            db.upgrade(engine)
            make_session = sessionmaker(engine, expire_on_commit=False)
            rng = random.Random(20261127)
            with make_session.begin() as session:
                sites.add_site(session, SITE, "Benchmark blog")
            for slug, count in POSTS:
                with make_session.begin() as session:  # one transaction per post
                    seed_post(session, slug, count, rng)
            lines = []
            with make_session() as session:
                per_page = discussion.load(session).comments_per_page
                for slug, _ in POSTS:
                    post = posts.get_post(session, slug)
                    rows = session.execute(
                        select(Entry.id, Entry.parent_id, Entry.status).where(
                            Entry.post_id == post.id
                        )
                    ).all()
                    parent = {row.id: row.parent_id for row in rows}

                    def depth(entry_id: int, parent=parent) -> int:
                        level = 0
                        while parent[entry_id] is not None:
                            entry_id, level = parent[entry_id], level + 1
                        return level

                    approved = sum(1 for row in rows if row.status == Status.APPROVED)
                    replies = sum(1 for row in rows if row.parent_id is not None)
                    lines.append(
                        f"/posts/{slug}/ ({post.url}): {approved:,} approved comments of "
                        f"{len(rows):,} rows, {replies:,} of them replies, deepest reply level "
                        f"{max(map(depth, parent), default=0)}"
                    )
                lines.append(
                    f"site {SITE} registered; the thread JSON's first page: {per_page} top-level "
                    "entries with their replies (comments_per_page)"
                )
            return lines, per_page
    finally:
        engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (WAL included) through SQLite's backup API."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    etag: str | None
    cookies: list[str]  # name=value of each Set-Cookie


@dataclass(frozen=True)
class Prepared:
    """What a call sends besides a plain GET of its path (see prepare)."""

    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # a form-encoded POST of this body; else a GET


def request(port: int, path: str, prepared: Prepared | None = None) -> Answer:
    """One request of the path, as prepared (else a plain GET)."""
    prepared = prepared or Prepared()
    headers = dict(prepared.headers)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if prepared.body is None:
            connection.request("GET", path, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request("POST", path, prepared.body, headers)
        response = connection.getresponse()
        return Answer(
            response.status,
            response.read(),
            response.getheader("Content-Type", ""),
            response.getheader("ETag"),
            [cookie.split(";", 1)[0] for cookie in response.msg.get_all("Set-Cookie") or ()],
        )
    finally:
        connection.close()


def prepare(port: int, call: Call) -> Prepared:
    """What the call sends now. A revalidating call: If-None-Match with the ETag the
    server gives its full answer now. A form's POST: what a browser sends after a GET of
    the form's page with a cookie jar: the page's cookies, the form's hidden fields (the
    CSRF token) and TYPED, its own Origin; and the form stamp of a minute ago."""
    if call.revalidate:
        full = request(port, call.path)
        if full.status != 200 or not full.etag:
            raise RuntimeError(f"GET {call.path}: {full.status} with no ETag to revalidate with")
        return Prepared({"If-None-Match": full.etag})
    if call.form_page is None:
        return Prepared()
    page = request(port, call.form_page)
    if page.status != 200:
        raise RuntimeError(f"GET {call.form_page}: {page.status}, not the form's page")
    form = BeautifulSoup(page.body, "html.parser").select_one("form.comment-form")
    hidden = (
        {}
        if form is None
        else {tag["name"]: tag.get("value", "") for tag in form.select("input[type=hidden][name]")}
    )
    if "shown" in hidden:
        hidden["shown"] = SHOWN
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if page.cookies:
        headers["Cookie"] = "; ".join(page.cookies)
    return Prepared(headers, urlencode({**hidden, **TYPED}))


def entry_ids(answer: Answer) -> list[int] | None:
    """The ids of a thread JSON's entries, replies included (the app nests replies in
    their parents, the ceiling lists them flat); None for any other answer."""
    if answer.status != 200 or not answer.content_type.startswith("application/json"):
        return None
    ids: list[int] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            ids.append(entry["id"])
            walk(entry.get("replies", []))

    walk(json.loads(answer.body).get("entries", []))
    return ids


class Server:
    """gunicorn, 2 sync workers, on a free 127.0.0.1 port; stopped on exit."""

    def __init__(self, name: str, module: str, env: Callable[[int], dict[str, str]], workdir: Path):
        self.name = name  # "app" or "ceiling": the side of each Scenario it is asked
        self.module = module
        self.env = env  # of its port: the app's SITE_URL names it
        self.log = workdir / f"{name}.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.port = free_port()
        command = [
            str(VENV_BIN / "gunicorn"),
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{self.port}",
            f"--chdir={BENCH}",
            "--log-level=warning",
            self.module,
        ]
        with open(self.log, "wb") as log:
            # A session of its own: a Ctrl-C reaches us, and we stop it in order.
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env(self.port),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ fails
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                request(self.port, SCENARIOS[0].call(self.name).path)
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server did not answer in 30 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()  # the gunicorn master stops its workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session, started above
            process.wait()


# --------------------------------------------------------------------------- load


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_cpu() -> float | None:
    """CPU seconds every process has spent in user and system mode (Linux), else None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    return sum(int(value) for value in fields[1:4]) / CLOCK_TICKS  # user, nice, system


def group_cpu(pgid: int) -> float:
    """CPU seconds of the live processes in one process group (a server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            rest = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[2]) == pgid:
            total += int(rest[11]) + int(rest[12])  # utime, stime
    return total / CLOCK_TICKS


def own_cpu() -> float:
    """CPU seconds of this process and its finished children (wrk)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def wrk(port: int, call: Call, seconds: float, args, pgid: int, prepared: Prepared) -> Measurement:
    command = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        "--latency",
        f"--script={WRK_SCRIPT}",
        f"http://127.0.0.1:{port}{call.path}",
    ]
    env = {
        **os.environ,
        "BENCH_POST_BODY": prepared.body or "",
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in prepared.headers.items()),
        "BENCH_RUN": secrets.token_hex(4),  # numbers the comments apart from other runs'
    }
    before = (time.monotonic(), machine_cpu(), group_cpu(pgid), own_cpu())
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    after = (time.monotonic(), machine_cpu(), group_cpu(pgid), own_cpu())
    other_cpu = None
    if before[1] is not None and after[1] is not None:
        ours = (after[2] - before[2]) + (after[3] - before[3])
        capacity = (after[0] - before[0]) * (os.cpu_count() or 1)
        other_cpu = max(0.0, (after[1] - before[1] - ours) / capacity)
    if args.verbose:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    return Measurement(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses={int(code): n for code, n in data["statuses"].items()},
        socket_errors={k: v for k, v in data["errors"].items() if k != "status"},
        expected=call.expected,
        bytes=data["bytes"],
        other_cpu=other_cpu,
    )


@dataclass
class Run:
    name: str
    page_bytes: dict[str, int] = field(default_factory=dict)  # body of the first answer
    entries: dict[str, list[int]] = field(default_factory=dict)  # thread JSON's entry ids
    rounds: dict[str, list[Measurement]] = field(default_factory=dict)  # one per round
    problems: list[str] = field(default_factory=list)

    def median(self, scenario: str) -> Measurement:
        """The round with the median throughput."""
        ordered = sorted(self.rounds[scenario], key=lambda result: result.rps)
        return ordered[len(ordered) // 2]


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def first_look(server: Server, run: Run) -> None:
    """One request of each scenario: the status checked, the body's size and a thread
    JSON's entries kept."""
    for number, scenario in enumerate(SCENARIOS):
        if not scenario.runs_on(server.name):
            continue
        call = scenario.call(server.name)
        prepared = prepare(server.port, call)
        if prepared.body is not None:  # a comment of its own, as wrk_script.lua numbers them
            prepared = replace(prepared, body=f"{prepared.body}+%23first-{number}")
        answer = request(server.port, call.path, prepared)
        if answer.status != call.expected:
            run.problems.append(
                f"{scenario.name}: first request got {answer.status}, not {call.expected}"
            )
        run.page_bytes[scenario.name] = len(answer.body)
        ids = entry_ids(answer)
        if ids is not None:
            run.entries[scenario.name] = ids


def same_entries(app: Run, ceiling: Run) -> None:
    """The ceiling's thread JSON must hold the entries of the app's page, no fewer."""
    for name, ids in app.entries.items():
        bare = ceiling.entries.get(name)
        if bare is not None and sorted(bare) != sorted(ids):
            app.problems.append(
                f"{name}: the app's page holds {len(ids)} entries, the ceiling's {len(bare)} "
                f"({len(set(ids) ^ set(bare))} differ): the ratio compares unequal work"
            )


def measure(servers: list[Server], args) -> dict[str, Run]:
    """Each scenario, round after round, on the app and its ceiling in turn: a slow spell
    of the machine then weighs on both sides of a ratio, not on one."""
    runs = {server.name: Run(server.name) for server in servers}
    for server in servers:
        first_look(server, runs[server.name])
    same_entries(runs["app"], runs["ceiling"])
    for scenario in SCENARIOS:
        pair = [server for server in servers if scenario.runs_on(server.name)]
        for server in pair:
            if args.warmup > 0:
                call = scenario.call(server.name)
                prepared = prepare(server.port, call)
                wrk(server.port, call, args.warmup, args, server.process.pid, prepared)
        for number in range(1, args.rounds + 1):
            for server in pair:
                run, call = runs[server.name], scenario.call(server.name)
                prepared = prepare(server.port, call)
                result = wrk(server.port, call, args.duration, args, server.process.pid, prepared)
                if call.revalidate and prepared != prepare(server.port, call):
                    run.problems.append(
                        f"{scenario.name}: the ETag changed during round {number} (a thread's "
                        "form stamp era ends every COMMENT_FORM_MAX_SECONDS / 4); rerun"
                    )
                run.rounds.setdefault(scenario.name, []).append(result)
                print(
                    f"  round {number} {server.name:<8} {scenario.name:<{NAME_WIDTH}} "
                    f"{result.rps:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
                    f"p99 {result.p99_ms:7.1f} ms  "
                    f"statuses {dict(sorted(result.statuses.items()))}  "
                    f"socket errors {result.errors}  other CPU {percent(result.other_cpu)}",
                    flush=True,
                )
    return runs


def ratio(app: Run, ceiling: Run, scenario: str) -> float:
    """The median of the rounds' app/ceiling ratios."""
    ratios = sorted(
        mine.rps / bare.rps if bare.rps else 0.0
        for mine, bare in zip(app.rounds[scenario], ceiling.rounds[scenario], strict=True)
    )
    return ratios[len(ratios) // 2]


# --------------------------------------------------------------------------- report


def report(runs: dict[str, Run], seeded: list[str], args) -> None:
    app = runs["app"]
    print()
    print("Seeded (SQLite, one database per server, same rows):")
    for line in seeded:
        print(f"  {line}")
    print(
        f"Load: wrk, {args.threads} thread(s), {args.connections} connections, "
        f"{args.warmup:g} s warm-up, then {args.rounds} round(s) of {args.duration:g} s on "
        "each server in turn; gunicorn 2 sync workers each, one server loaded at a time; "
        f"{os.cpu_count()} CPUs. Figures: the median round; ratio: the median of the rounds'."
    )
    print("Response sizes of the GETs: body (whole response with headers, from wrk):")
    for scenario in SCENARIOS:
        if scenario.app.form_page is not None:
            continue
        sides = []
        for run in (app, runs[scenario.against]):
            call, mine = scenario.call(run.name), run.median(scenario.name)
            wire = mine.bytes / mine.requests if mine.requests else 0
            status = "" if call.expected == 200 else f", {call.expected}"
            sides.append(f"{run.name} {run.page_bytes[scenario.name]:,} B ({wire:,.0f} B{status})")
        ids = app.entries.get(scenario.name)
        held = "" if ids is None else f"; {len(ids)} entries"
        print(f"  {scenario.name:<{NAME_WIDTH}}  {' / '.join(sides)}{held}")
    print()
    header = (
        "scenario",
        "app req/s",
        "app p99 ms",
        "ceiling",
        "ceiling req/s",
        "ceiling p99 ms",
        "ratio",
        "target",
        "verdict",
    )
    rows = []
    for scenario in SCENARIOS:
        ceiling = runs[scenario.against]
        mine, bare = app.median(scenario.name), ceiling.median(scenario.name)
        share = ratio(app, ceiling, scenario.name)
        if scenario.target is None:
            verdict = "(no target)"
        else:
            verdict = "PASS" if share >= scenario.target else "FAIL"
        valid = all(result.valid for run in (app, ceiling) for result in run.rounds[scenario.name])
        if not valid:
            verdict = "FAIL (bad statuses)"
        rows.append(
            (
                scenario.name,
                f"{mine.rps:.1f}",
                f"{mine.p99_ms:.1f}",
                "same stack" if scenario.against == "stack" else "bare",
                f"{bare.rps:.1f}",
                f"{bare.p99_ms:.1f}",
                f"{share:.2f}",
                "—" if scenario.target is None else f"{scenario.target:.1f}",
                verdict,
            )
        )
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(cells) -> str:
        return (
            "| "
            + " | ".join(
                str(cell).ljust(width) if i in (0, 3, 8) else str(cell).rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))
    print()
    print("Status check (every response counted by wrk):")
    for run in runs.values():
        for scenario in SCENARIOS:
            if not scenario.runs_on(run.name):
                continue
            call = scenario.call(run.name)
            results = run.rounds[scenario.name]
            answered = sum(result.requests for result in results)
            expected = sum(result.statuses.get(call.expected, 0) for result in results)
            errors = sum(result.errors for result in results)
            print(
                f"  {run.name:<8} {scenario.name:<{NAME_WIDTH}} {answered:>7,} responses in "
                f"{len(results)} round(s), expected {call.expected}: {expected:,}, "
                f"unexpected: {sum(result.unexpected for result in results)}, "
                f"non-2xx/3xx: {sum(result.non_2xx_3xx for result in results)}, "
                f"socket errors: {errors}"
            )
        for problem in run.problems:
            print(f"  {run.name}: {problem}")
    shares = [
        result.other_cpu
        for run in runs.values()
        for results in run.rounds.values()
        for result in results
        if result.other_cpu is not None
    ]
    if shares:
        print(
            f"Other processes on the machine used {min(shares):.0%}-{max(shares):.0%} "
            "of the CPUs during the measurements."
        )
        if max(shares) > NOISY:
            print(
                f"WARNING: more than {NOISY:.0%} of the CPUs went to other processes during "
                "some measurements; those numbers understate both servers. Rerun on a quiet "
                "machine before trusting the ratios."
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "seeded": seeded,
                    "args": vars(args),
                    **{
                        run.name: {k: [vars(r) for r in v] for k, v in run.rounds.items()}
                        for run in runs.values()
                    },
                },
                indent=2,
            )
        )


# --------------------------------------------------------------------------- main


def server_env(database: Path, secret: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in config.PARSERS}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY=secret,
        RATELIMIT_ENABLED="false",
        COMMENT_FLOOD_SECONDS="0",  # every POST comes from 127.0.0.1
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up, discarded")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per scenario and server, alternated"
    )
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--verbose", action="store_true", help="show wrk's own output")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a check that it runs, not a measurement: 2 rounds of 2 s, 1 s of warm-up",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 2, 1, 2
    args.connections = max(args.connections, args.threads)
    args.rounds = max(args.rounds, 1)
    return args


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _raise_interrupt)  # clean up on kill as on Ctrl-C
    workdir = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    try:
        instance = workdir / "instance"
        instance.mkdir()
        app_db, ceiling_db = instance / "moderation.db", instance / "ceiling.db"
        stack_db = instance / "stack.db"
        started = time.monotonic()
        seeded, per_page = seed(f"sqlite:///{app_db}")
        copy_database(app_db, ceiling_db)
        copy_database(app_db, stack_db)
        print(f"Seeded in {time.monotonic() - started:.1f} s:", *seeded, sep="\n  ", flush=True)

        def app_env(port: int) -> dict[str, str]:
            # The API draws absolute avatar URLs: it needs the app's own address.
            return server_env(app_db, SECRET, SITE_URL=f"http://127.0.0.1:{port}")

        def ceiling_env(_port: int) -> dict[str, str]:
            return server_env(ceiling_db, SECRET, BENCH_PER_PAGE=str(per_page))

        def stack_env(_port: int) -> dict[str, str]:
            return server_env(stack_db, SECRET)

        with (
            Server("app", "app_wsgi:app", app_env, workdir) as app_server,
            Server("ceiling", "ceiling:app", ceiling_env, workdir) as bare,
            Server("stack", "same_stack:app", stack_env, workdir) as stack,
        ):
            runs = measure([app_server, bare, stack], args)
        report(runs, seeded, args)
        print(f"\nTotal time {time.monotonic() - started:.0f} s.")
        return 0
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped, temporary files removed.", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print("bench: could not complete the measurement.", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
