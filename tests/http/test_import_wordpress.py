"""`flask import wordpress FILE.xml` (issue 15): a real WXR 1.2 export, as WordPress's
exporter writes it, brought in with its threads, statuses, types and dates; a second run
adds nothing, a dry run writes nothing, a hostile or broken file is refused with its line,
and a run that stopped resumes after its last committed batch."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Entry, ImportRun, Post, utcnow
from moderation.rules import wxr_reader
from moderation.rules.statuses import EntryType, ImportSystem, Status
from moderation.services import sites
from moderation.web.cli_imports import run_import
from tests.imports import counts

EXPORT = Path(__file__).resolve().parents[1] / "data" / "imports" / "wordpress.xml"
BLOG = "https://blog.example"  # the export's <wp:base_blog_url>: its comment ids are its own
EMAILS = (
    "zoe@reader.example",
    "owner@blog.example",
    "spam@spam.example",
    "binned@reader.example",
    "waiting@reader.example",
    "early@reader.example",
    "late@reader.example",
)
# WordPress comment id (its origin id is BLOG#id): type, status, parent's comment id,
# date (GMT), author
EXPECTED = {
    "11": (EntryType.COMMENT, Status.APPROVED, None, datetime(2023, 5, 2, 9, 15), "Zoë Ångström"),
    "12": (EntryType.COMMENT, Status.APPROVED, "11", datetime(2023, 5, 2, 10, 0), "admin"),
    "13": (
        EntryType.PINGBACK,
        Status.APPROVED,
        "11",
        datetime(2023, 5, 3, 6, 0),
        "Another Blog » A reply to Hello world",
    ),
    "14": (EntryType.TRACKBACK, Status.APPROVED, None, datetime(2023, 5, 4, 6, 0), "Third Blog"),
    "15": (EntryType.COMMENT, Status.SPAM, None, datetime(2023, 5, 5, 6, 0), "Cheap Pills"),
    "16": (EntryType.COMMENT, Status.TRASH, None, datetime(2023, 5, 6, 6, 0), "Binned"),
    "17": (EntryType.COMMENT, Status.PENDING, "12", datetime(2023, 5, 7, 10, 0), "Waiting Reader"),
    "18": (EntryType.COMMENT, Status.APPROVED, "19", datetime(2023, 5, 8, 8, 0), "Early Reply"),
    "19": (EntryType.COMMENT, Status.APPROVED, None, datetime(2023, 5, 8, 9, 0), "Late Parent"),
}
SUMMARY = (
    "Imported from WordPress (wordpress.xml): 2 threads (2 new posts), 9 entries "
    "imported, 0 skipped as already there, 1 refused.\n"
    "  refused 1: comment type 'review' is not a comment or linkback\n"
)


def import_file(runner, path: Path, *options: str):
    return runner.invoke(args=["import", "wordpress", str(path), *options])


def imported(app, blog: str = BLOG) -> dict[str, tuple]:
    """The entries imported from the blog, by their WordPress comment id (their origin id
    is blog#id): type, status, parent's comment id, date (naive UTC), author."""
    prefix = f"{blog}#"
    with app.app_context():
        session = db.get_session()
        rows = session.scalars(
            select(Entry).where(
                Entry.origin == ImportSystem.WORDPRESS,
                Entry.origin_id.startswith(prefix, autoescape=True),
            )
        )
        by_id = {entry.id: entry for entry in rows}
        return {
            entry.origin_id.removeprefix(prefix): (
                entry.type,
                entry.status,
                by_id[entry.parent_id].origin_id.removeprefix(prefix) if entry.parent_id else None,
                entry.created.astimezone(UTC).replace(tzinfo=None),
                entry.author,
            )
            for entry in by_id.values()
        }


def test_an_export_comes_in_with_its_threads_statuses_types_parents_and_dates(app, runner):
    started = utcnow()
    result = import_file(runner, EXPORT)
    finished = utcnow()
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY
    assert imported(app) == EXPECTED  # created: the original dates
    with app.app_context():
        session = db.get_session()
        posts = session.execute(
            select(Post.slug, Post.url, Post.site_id, Post.comments_open, Post.pings_open)
        ).all()
        zoe = session.scalar(select(Entry).where(Entry.origin_id == f"{BLOG}#11"))
        assert (zoe.email, zoe.ip_address, zoe.website, zoe.rule, zoe.reason) == (
            "zoe@reader.example",
            "203.0.113.7",
            "https://zoe.example",
            "import",
            "imported from WordPress",
        )
        assert "<script" not in zoe.body_html and "<strong>a fine post</strong>" in zoe.body_html
        assert zoe.body.endswith('<script>alert("owned")</script>')  # kept as written
        pingback = session.scalar(select(Entry).where(Entry.origin_id == f"{BLOG}#13"))
        assert pingback.source_url == "https://another.example/2023/05/reply/"
        # Updated: the import's time (replies' too, linked to their parents after), so the
        # nightly purge gives imported spam and trash PURGE_AFTER_DAYS from now.
        updated = session.scalars(select(Entry.updated)).all()
        assert started <= min(updated) and max(updated) <= finished
    assert sorted(posts) == [
        ("about", "https://blog.example/about/", None, False, False),
        ("hello-world", "https://blog.example/2023/05/hello-world/", None, True, True),
    ]
    assert counts(app)["jobs"] == 0  # nothing fetched, nobody notified


def test_a_second_run_imports_nothing_and_skips_every_entry(app, runner):
    import_file(runner, EXPORT)
    result = import_file(runner, EXPORT)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Imported from WordPress (wordpress.xml): 2 threads (0 new posts), 0 entries "
        "imported, 9 skipped as already there, 1 refused.\n"
    )
    assert counts(app) == {
        "entries": 9,
        "posts": 2,
        "import_runs": 1,
        "audit_log": 2,
        "jobs": 0,
    }
    with app.app_context():
        lines = db.get_session().execute(select(AuditEvent.username, AuditEvent.action)).all()
    assert lines == [("cli", "import-wordpress")] * 2


def test_a_second_blog_with_the_same_comment_ids_comes_in_whole(app, runner, tmp_path):
    other = tmp_path / "other.xml"
    other.write_bytes(EXPORT.read_bytes().replace(b"https://blog.example", b"https://b2.example"))
    import_file(runner, EXPORT)

    result = import_file(runner, other)

    assert result.exit_code == 0, result.output
    assert ", 9 entries imported, 0 skipped as already there" in result.stdout
    assert imported(app, "https://b2.example") == imported(app) == EXPECTED
    assert counts(app)["entries"] == 18


def test_ids_that_the_blogs_address_makes_too_long_are_refused(app, runner, tmp_path):
    path = tmp_path / "long.xml"
    address = f"<wp:base_blog_url>{BLOG}/{'x' * 240}<".encode()  # 264 characters with #11
    path.write_bytes(EXPORT.read_bytes().replace(f"<wp:base_blog_url>{BLOG}<".encode(), address))

    result = import_file(runner, path)

    assert result.exit_code == 0, result.output
    assert (
        "  refused 9: an id (with its blog's or site's address) longer than 255 characters\n"
        in result.stdout
    )
    assert counts(app)["entries"] == 0


def test_a_dry_run_counts_and_writes_nothing(app, runner):
    result = import_file(runner, EXPORT, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY.replace("Imported", "Would import") + (
        "Dry run: nothing was written.\n"
    )
    assert set(counts(app).values()) == {0}


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rss><channel><title>&c;</title></channel></rss>
"""


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (lambda export: BOMB, "Error: line 2: a DOCTYPE"),
        (
            lambda export: export.replace(
                b"<rss", b'<!DOCTYPE rss SYSTEM "http://x.example/">\n<rss'
            ),
            "Error: line 20: a DOCTYPE",
        ),
        (
            lambda export: export[: export.index(b"<wp:comment_id>19")],
            "Error: line 225: the file ends",
        ),
    ],
)
def test_a_hostile_or_broken_file_is_refused_with_its_line_and_nothing_written(
    app, runner, tmp_path, damage, error
):
    path = tmp_path / "export.xml"
    path.write_bytes(damage(EXPORT.read_bytes()))
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(error)
    assert result.stderr.endswith("Nothing was written.\n")
    assert counts(app) | {"import_runs": 0} == dict.fromkeys(counts(app), 0)


def test_a_file_broken_midway_keeps_the_batches_before_the_break(app, runner, tmp_path):
    path = tmp_path / "export.xml"
    export = EXPORT.read_bytes()
    path.write_bytes(export[: export.index(b"<wp:post_id>2<")])  # in the second post
    result = import_file(runner, path, "--batch-size", "3")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: line 262: the file ends before its XML is complete (truncated?). The first 9 "
        "items are imported and kept; nothing of the batch after them was written. Once the "
        "file is fixed, a new run skips the entries already imported."
    )
    # Items 1-9: the thread and comments 11 to 18; 18 waits for its parent, 19.
    assert sorted(imported(app)) == [str(n) for n in range(11, 19)]
    with app.app_context():
        run = db.get_session().scalar(select(ImportRun))
        assert (run.position, run.imported, run.finished) == (9, 8, None)


class PowerCut(Exception):
    """The process stops in the middle of a batch."""


def cut_after(count: int):
    """The WordPress reader, stopping at item `count` as a killed process would."""

    def read(source):
        for index, item in enumerate(wxr_reader.read(source)):
            if index == count:
                raise PowerCut
            yield item

    return read


def test_a_run_that_stopped_resumes_after_its_last_committed_batch(app, runner):
    with app.app_context(), pytest.raises(PowerCut):
        run_import(ImportSystem.WORDPRESS, EXPORT, cut_after(10), dry_run=False, batch_size=3)
    assert sorted(imported(app)) == [str(n) for n in range(11, 19)]  # 3 batches of 3 items
    result = import_file(runner, EXPORT, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    # The whole file counted once: the first 9 items were not read into the database again
    # (the post of the first thread was made before the stop).
    assert result.stdout == SUMMARY.replace("2 new posts", "1 new posts")
    assert imported(app) == EXPECTED  # 18's parent, 19, came after the stop
    assert counts(app)["audit_log"] == 1


def test_threads_are_our_own_post_or_a_registered_sites_page(make_app, tmp_path):
    app = make_app(SITE_URL="https://comments.example")
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, "https://blog.example")
        own = Post(slug="greetings", title="Greetings", body="", body_html="")
        session.add(own)
        session.commit()
    path = tmp_path / "export.xml"
    path.write_bytes(
        EXPORT.read_bytes()
        .replace(
            b"<link>https://blog.example/2023/05/hello-world/</link>",
            b"<link>https://comments.example/posts/greetings/</link>",
        )
        .replace(b"https://blog.example/about/", b"https://BLOG.example/about/?utm_source=x")
    )
    result = import_file(app.test_cli_runner(), path)
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.get_session()
        posts = session.execute(select(Post.slug, Post.url, Post.site_id.is_not(None))).all()
        on_own = session.scalars(
            select(Entry.origin_id).join(Post).where(Post.slug == "greetings")
        ).all()
    assert sorted(posts) == [
        ("about", "https://blog.example/about/", True),  # its canonical URL, as the embed's
        ("greetings", None, False),
    ]
    assert len(on_own) == 9
    assert counts(app)["jobs"] == 0  # the site's thread title comes from the file


@pytest.mark.parametrize(
    ("link", "slug"),
    [
        ("https://comments.example/posts/welcome/", "welcome"),  # the permalink's
        ("https://comments.example/posts/Welcome!/", "hello-world"),  # not ours: the file's
    ],
)
def test_a_thread_at_our_own_permalink_that_no_post_has_becomes_our_own_post(
    make_app, tmp_path, link, slug
):
    app = make_app(SITE_URL="https://comments.example")
    path = tmp_path / "export.xml"
    path.write_bytes(
        EXPORT.read_bytes().replace(
            b"<link>https://blog.example/2023/05/hello-world/</link>",
            f"<link>{link}</link>".encode(),
        )
    )
    assert import_file(app.test_cli_runner(), path).exit_code == 0
    with app.app_context():
        session = db.get_session()
        post = session.scalar(select(Post).where(Post.slug == slug))
        assert (post.url, post.site_id, post.title) == (None, None, "Hello world!")
        assert post.body.startswith("<!-- wp:paragraph -->")  # as the file has it
        assert len(session.scalars(select(Entry.id).where(Entry.post_id == post.id)).all()) == 9
    page = app.test_client().get(f"/posts/{slug}/").get_data(as_text=True)
    assert "<p>Welcome to WordPress. This is your first post.</p>" in page
    assert "wp:paragraph" not in page  # sanitised as `posts create` does it


def test_imported_entries_show_on_the_page_and_feeds_threaded_and_without_email(make_app):
    app = make_app(SITE_URL="https://comments.example")
    with app.app_context():
        sites.add_site(db.get_session(), "https://blog.example")
        db.get_session().commit()
    assert import_file(app.test_cli_runner(), EXPORT).exit_code == 0
    client = app.test_client()
    page = client.get("/posts/hello-world/").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one(".comments-title").get_text() == "6 thoughts on “Hello world!”"
    assert "Waiting Reader" not in page and "Cheap Pills" not in page and "Binned" not in page
    assert '<script>alert("owned")' not in page
    with app.app_context():
        ids = dict(db.get_session().execute(select(Entry.origin_id, Entry.id)).all())
    late_parent = soup.find(id=f"comment-{ids[f'{BLOG}#19']}")
    assert late_parent.select_one("ol.children").find(id=f"comment-{ids[f'{BLOG}#18']}")
    public = [
        page,
        client.get("/posts/hello-world/comments.atom").get_data(as_text=True),
        client.get("/comments.atom").get_data(as_text=True),
        client.get(
            "/api/v1/thread", query_string={"url": "https://blog.example/2023/05/hello-world/"}
        ).get_data(as_text=True),
    ]
    assert all("Late Parent" in text for text in public)
    assert not [email for email in EMAILS for text in public if email in text]
