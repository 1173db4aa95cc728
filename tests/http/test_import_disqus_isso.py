"""`flask import disqus FILE.xml` and `flask import isso FILE.db` (issue 15): a Disqus
export written as Disqus writes it, and a database made with Isso's own tables, brought in
with their threads, parents, statuses and dates; a second run adds nothing, a dry run
writes nothing, a broken Disqus file is refused with its line, and an Isso thread's path
is placed on the site Isso served."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import Entry, Post
from moderation.rules.statuses import ImportSystem, Status
from moderation.services import sites
from tests.imports import counts

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"
SITE = "https://blog.example"

# origin id: status, parent's origin id, date (UTC), author. Disqus's ids are unique across
# Disqus; Isso's are each database's own, so they carry the site's origin.
DISQUS = {
    "9001": (Status.APPROVED, None, datetime(2019, 5, 2, 9, 15), "Alice"),
    "9002": (Status.APPROVED, "9001", datetime(2019, 5, 2, 10, 20, 30), "Jürgen Groß"),
    "9003": (Status.APPROVED, "9002", datetime(2019, 5, 3, 7, 0), "Alice"),  # a reply's reply
    "9004": (Status.TRASH, None, datetime(2019, 5, 4, 18, 45), "Bob"),
    "9005": (Status.SPAM, None, datetime(2019, 6, 11, 3, 0), "Pills"),
    "9006": (Status.APPROVED, None, datetime(2019, 6, 12, 21, 5, 9), "Guest"),
}
ISSO = {
    f"{SITE}#1": (Status.APPROVED, None, datetime(2024, 1, 1, 10, 0, 0, 250000), "Alice"),
    f"{SITE}#2": (Status.APPROVED, f"{SITE}#1", datetime(2024, 1, 1, 11, 0), "Jürgen Groß"),
    f"{SITE}#3": (Status.PENDING, f"{SITE}#1", datetime(2024, 1, 1, 12, 0), "Carol"),
    f"{SITE}#4": (Status.TRASH, None, datetime(2024, 1, 1, 13, 0), "Anonymous"),  # a placeholder
    f"{SITE}#5": (Status.APPROVED, f"{SITE}#4", datetime(2024, 1, 1, 14, 0), "Erin"),
    f"{SITE}#6": (Status.APPROVED, None, datetime(2024, 2, 1, 12, 0), "Frank"),
    f"{SITE}#7": (Status.PENDING, f"{SITE}#6", datetime(2024, 2, 1, 13, 0), "Anonymous"),
}
# system: its imported entries, its posts (slug, URL, comments open)
EXPECTED = {
    "disqus": (
        DISQUS,
        [
            ("cafe-au-lait-notes", f"{SITE}/2019/06/cafe/", False),  # closed in Disqus
            ("hello-world", f"{SITE}/2019/05/hello-world/", True),
        ],
    ),
    "isso": (
        ISSO,
        [
            ("hello-world", f"{SITE}/2024/hello/", True),
            ("uber-cafe", f"{SITE}/2024/%C3%BCber-caf%C3%A9/", True),
        ],
    ),
}
SUMMARY = {
    "disqus": "Imported from Disqus (disqus.xml): 2 threads (2 new posts), {} entries "
    "imported, {} skipped as already there, 0 refused.\n",
    "isso": "Imported from Isso (comments.db): 2 threads (2 new posts), {} entries "
    "imported, {} skipped as already there, 0 refused.\n",
}
SYSTEMS = ["disqus", "isso"]


def isso_database(directory: Path) -> Path:
    """An Isso database made with Isso's own CREATE TABLE statements (tests/data)."""
    path = directory / "comments.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((DATA / "isso.sql").read_text(encoding="utf-8"))
    connection.close()
    return path


def source(system: str, directory: Path) -> Path:
    return DATA / "disqus.xml" if system == "disqus" else isso_database(directory)


def import_file(runner, system: str, path: Path, *options: str):
    return runner.invoke(args=["import", system, str(path), *options])


@pytest.fixture
def site(app):
    """The site the old system served, registered."""
    with app.app_context():
        sites.add_site(db.get_session(), SITE)
        db.get_session().commit()


def imported(app, system: str) -> dict[str, tuple]:
    """Each imported entry by its original id: status, parent's original id, date (naive
    UTC), author."""
    with app.app_context():
        rows = db.get_session().scalars(select(Entry).where(Entry.origin == ImportSystem(system)))
        by_id = {entry.id: entry for entry in rows}
        return {
            entry.origin_id: (
                entry.status,
                by_id[entry.parent_id].origin_id if entry.parent_id else None,
                entry.created.astimezone(UTC).replace(tzinfo=None),
                entry.author,
            )
            for entry in by_id.values()
        }


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_export_comes_in_with_its_threads_parents_statuses_and_dates(
    app, runner, site, tmp_path, system
):
    entries, posts = EXPECTED[system]
    result = import_file(runner, system, source(system, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY[system].format(len(entries), 0)
    assert imported(app, system) == entries
    with app.app_context():
        rows = db.get_session().execute(
            select(Post.slug, Post.url, Post.comments_open, Post.site_id.is_not(None))
        )
        assert sorted(rows) == [(*post, True) for post in posts]  # the site's threads
    assert counts(app)["jobs"] == 0  # nothing fetched, nobody notified


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_second_run_imports_nothing(app, runner, site, tmp_path, system):
    path = source(system, tmp_path)
    import_file(runner, system, path)
    before = counts(app)
    result = import_file(runner, system, path)
    assert result.exit_code == 0, result.output
    entries = len(EXPECTED[system][0])
    assert result.stdout == SUMMARY[system].format(0, entries).replace("2 new", "0 new")
    assert counts(app) == before | {"audit_log": 2}


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_dry_run_counts_and_writes_nothing(app, runner, site, tmp_path, system):
    result = import_file(runner, system, source(system, tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    entries = len(EXPECTED[system][0])
    assert result.stdout == SUMMARY[system].format(entries, 0).replace(
        "Imported", "Would import"
    ) + ("Dry run: nothing was written.\n")
    assert counts(app) | {"posts": 0} == dict.fromkeys(counts(app), 0)


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (
            lambda export: export[: export.index(b'<parent dsq:id="9001"/>') + 10],
            "line 97: the file ends before its XML is complete (truncated?).",
        ),
        (
            lambda export: export.replace(
                b"<disqus ", b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>\n<disqus ', 1
            ),
            "line 2: a DOCTYPE",
        ),
    ],
)
def test_a_truncated_or_hostile_disqus_file_is_refused_with_its_line_and_nothing_written(
    app, runner, tmp_path, damage, error
):
    path = tmp_path / "disqus.xml"
    path.write_bytes(damage((DATA / "disqus.xml").read_bytes()))
    result = import_file(runner, "disqus", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"Error: {error}")
    assert result.stderr.endswith("Nothing was written.\n")
    assert counts(app) | {"import_runs": 0} == dict.fromkeys(counts(app), 0)


@pytest.mark.parametrize(
    ("registered", "options", "error"),
    [
        ([], [], "Name the site Isso served with --site ORIGIN (sites: none is registered)."),
        (
            [SITE, "https://other.example"],
            [],
            "Name the site Isso served with --site ORIGIN (sites: https://blog.example, "
            "https://other.example).",
        ),
        ([SITE], ["--site", "https://other.example"], "no site is registered at"),
    ],
)
def test_an_isso_import_is_refused_until_it_knows_the_site(
    app, runner, tmp_path, registered, options, error
):
    with app.app_context():
        for origin in registered:
            sites.add_site(db.get_session(), origin)
        db.get_session().commit()
    result = import_file(runner, "isso", isso_database(tmp_path), *options)
    assert result.exit_code == 2
    assert error in " ".join(result.stderr.split())
    assert counts(app)["entries"] == counts(app)["import_runs"] == 0


@pytest.mark.parametrize(
    ("system", "shown", "hidden"),
    [
        # Disqus's HTML, sanitised; the deleted and the spam post not shown.
        (
            "disqus",
            ["<b>bold</b>", "Grüße aus Köln", "Replying to the reply."],
            ["I take it back", "Cheap pills", "<script"],
        ),
        # Isso's Markdown kept as typed, not rendered; the pending reply not shown.
        (
            "isso",
            ["Hello **world**", "Grüße aus Köln — *danke*!"],
            ["Held for a moderator", "<script"],
        ),
    ],
)
def test_imported_comments_show_on_the_page_threaded_without_email(
    app, runner, tmp_path, system, shown, hidden
):
    with app.app_context():
        sites.add_site(db.get_session(), SITE)
        sites.add_site(db.get_session(), "https://other.example")
        db.get_session().commit()
    options = ["--site", f"{SITE}/any/page"] if system == "isso" else []
    assert import_file(runner, system, source(system, tmp_path), *options).exit_code == 0
    page = app.test_client().get("/posts/hello-world/").get_data(as_text=True)
    assert [text for text in shown if text not in page] == []
    assert [text for text in hidden if text in page] == []
    assert "@example" not in page  # no commenter's email
    with app.app_context():
        ids = dict(db.get_session().execute(select(Entry.origin_id, Entry.id)).all())
    top, reply = ("9001", "9002") if system == "disqus" else (f"{SITE}#1", f"{SITE}#2")
    soup = BeautifulSoup(page, "html.parser")
    assert (
        soup.find(id=f"comment-{ids[top]}")
        .select_one("ol.children")
        .find(id=f"comment-{ids[reply]}")
    )
