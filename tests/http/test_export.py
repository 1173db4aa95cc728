"""Export (issue 15): `flask export --format wxr|jsonl [--site …] [--post …]` and the
administrators' download stream every post and entry; the WXR goes back in through
`flask import wordpress` without losing a field.
"""

import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Entry, Post, Site
from moderation.rules import wxr_reader
from moderation.rules.imports import ImportedEntry, ImportedThread
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.services import exporting, moderating, posts, sites
from moderation.services.linkbacks import recording
from moderation.services.moderating import Action
from tests.conftest import new_database
from tests.forms import page_form, send
from tests.helpers import TEST_ACTOR, add_comment, csrf_token, seed_many

SITE_URL = "https://comments.example"
BLOG = "https://blog.example"
PAGE = f"{BLOG}/2026/a-page/"
EXPORT_PAGE = "/moderation/export"
PUBLISHED = datetime(2026, 11, 30, 8, 15, 30, 123456, tzinfo=UTC)
# Every field of an entry that a round trip keeps (created: to the second, all WXR holds).
ENTRY_FIELDS = (
    "type",
    "status",
    "reason",
    "author",
    "email",
    "website",
    "ip_address",
    "user_agent",
    "body",
    "body_html",
    "source_url",
    "source_title",
    "mention_kind",
    "published",
)
JSONL_LINKBACK = (
    "type",
    "status",
    "mention_kind",
    "published",
    "source_url",
    "source_title",
    "website",
)


@pytest.fixture
def app(make_app):
    """Our own posts' links are full URLs only with SITE_URL (SPEC §4, own address)."""
    return make_app(SITE_URL=SITE_URL)


@pytest.fixture
def second_database_url(database_url, tmp_path, request):
    """A brand-new database on the test run's backend, dropped afterwards (ask for it
    before `app`: then the apps' engines are disposed of before it goes)."""
    sqlite = database_url.startswith("sqlite")
    postgres = None if sqlite else request.getfixturevalue("postgres_url")
    with new_database(postgres, tmp_path, "second") as url:
        yield url


def fill(app) -> None:
    """Two posts of ours (one closed) and a registered site's page; comments of every
    status with a threaded reply, non-ASCII and HTML; a pingback, a trackback and a
    webmention with its kind, date, h-card URL and page title."""
    with app.app_context():
        session = db.get_session()
        posts.create_post(
            session, "a-post", "Grüße & <Tags>", "<p>The <em>article</em>.</p><script>x</script>"
        )
        closed = posts.create_post(session, "closed", "Closed to all")
        posts.set_post_open(session, TEST_ACTOR, closed.id, False, False)
        sites.add_site(session, BLOG, "The blog")
        page_slug = sites.thread_for(session, PAGE, "A page “elsewhere”").slug
        session.commit()
    first = add_comment(
        app,
        "Ça va? <b>bold</b>, ]]> and <script>alert(1)</script>\n\nhttps://zoe.example/x",
        Status.APPROVED,
        name="Zoë & <Ünïcode> &amp;",
        email="zoe@example.net",
        website="https://zoe.example/?a=1&b=2",
        ip_address="2001:db8::1",
        user_agent="Mozilla/5.0 (Zoë)",
    )
    for number, status in enumerate([Status.PENDING, Status.SPAM, Status.TRASH], start=2):
        parent = {"parent_id": first} if status == Status.PENDING else {}
        add_comment(
            app,
            f"Comment {number}, {status}",
            status,
            name=f"Reader {number}",
            email=f"reader{number}@example.net",
            ip_address=f"192.0.2.{number}",
            **parent,
        )
    add_comment(app, "On the page", Status.APPROVED, slug=page_slug, email="p@example.org")
    with app.app_context():
        session = db.get_session()
        post = posts.get_post(session, "a-post")
        linkbacks = [
            recording.record_linkback(
                session,
                post,
                EntryType.PINGBACK,
                "https://other.example/p?x=1&y=2",
                "Other’s post",
                "[…] a ping […]",
                "198.51.100.1",
                "WordPress/6.7",
            ),
            recording.record_linkback(
                session, post, EntryType.TRACKBACK, "https://tb.example/t", "TB", "An excerpt"
            ),
            recording.record_linkback(
                session,
                post,
                EntryType.WEBMENTION,
                "https://indie.example/reply",
                "Indie Author",
                "A reply from elsewhere",
                "198.51.100.3",
                "Bridgy",
                website="https://indie.example/",
                mention_kind=MentionKind.REPLY,
                published=PUBLISHED,
            ),
        ]
        linkbacks[2].source_title = "The reply’s page"
        moderating.moderate(session, TEST_ACTOR, [linkbacks[0].id], Action.APPROVE)
        moderating.moderate(session, TEST_ACTOR, [linkbacks[2].id], Action.SPAM)
        session.commit()


def snapshot(app) -> tuple[list[dict], list[dict]]:
    """Every post and entry, named by their place (posts by id, entries by post then id)
    rather than by id: an import gives new ids."""
    with app.app_context():
        session = db.get_session()
        origins = dict(session.execute(select(Site.id, Site.origin)).all())
        all_posts = session.scalars(select(Post).order_by(Post.id)).all()
        place = {post.id: number for number, post in enumerate(all_posts)}
        all_entries = sorted(
            session.scalars(select(Entry)), key=lambda entry: (place[entry.post_id], entry.id)
        )
        rank = {entry.id: number for number, entry in enumerate(all_entries)}
        return [
            {
                # Our own post's slug is its address; a thread's is made anew from its title.
                "slug": post.slug if post.url is None else None,
                "url": post.url,
                "title": post.title,
                "body": post.body,
                "body_html": post.body_html,
                "site": origins.get(post.site_id),
                "comments_open": post.comments_open,
                "pings_open": post.pings_open,
                "created": post.created.replace(microsecond=0),
            }
            for post in all_posts
        ], [
            {
                "post": place[entry.post_id],
                "parent": rank.get(entry.parent_id),
                "created": entry.created.replace(microsecond=0),
                **{name: getattr(entry, name) for name in ENTRY_FIELDS},
            }
            for entry in all_entries
        ]


def test_wxr_round_trip_into_an_empty_database_keeps_every_field(
    second_database_url, app, runner, make_app, tmp_path
):
    fill(app)
    exported = tmp_path / "export.xml"
    result = runner.invoke(args=["export", "--format", "wxr", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    second = make_app(DATABASE_URL=second_database_url, SITE_URL=SITE_URL)
    with second.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        sites.add_site(session, BLOG, "The blog")  # as its administrator would, first
        session.commit()

    imported = second.test_cli_runner().invoke(args=["import", "wordpress", str(exported)])

    assert imported.exit_code == 0, imported.output
    before, after = snapshot(app), snapshot(second)
    assert after[0] == before[0]
    assert len(after[1]) == len(before[1]) == 8
    lost = [
        (number, name, was[name], now[name])
        for number, (was, now) in enumerate(zip(before[1], after[1], strict=True))
        for name in was
        if now[name] != was[name]
    ]
    assert lost == []


def test_jsonl_gives_each_post_then_its_entries_with_parent_ids_and_every_field(app, runner):
    fill(app)

    result = runner.invoke(args=["export", "--format", "jsonl"])

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    # Whose each line is: a post's own id, an entry's post_id. Each post comes once, its
    # own line first.
    owners = [line["id"] if line["kind"] == "post" else line["post_id"] for line in lines]
    firsts = [owners.index(owner) for owner in dict.fromkeys(owners)]
    assert owners == sorted(owners)
    assert [lines[first]["kind"] for first in firsts] == ["post"] * 3
    assert [line["kind"] for line in lines].count("post") == 3
    assert [line["url"] for line in lines if line["kind"] == "post"] == [
        f"{SITE_URL}/posts/a-post/",
        f"{SITE_URL}/posts/closed/",
        PAGE,
    ]
    entries = {line["body"]: line for line in lines if line["kind"] == "entry"}
    first = next(line for body, line in entries.items() if body.startswith("Ça va?"))
    assert entries["Comment 2, pending"]["parent_id"] == first["id"]
    assert (first["email"], first["user_agent"], first["ip_address"]) == (
        "zoe@example.net",
        "Mozilla/5.0 (Zoë)",
        "2001:db8::1",
    )
    assert datetime.fromisoformat(first["created"]).utcoffset().total_seconds() == 0
    webmention = entries["A reply from elsewhere"]
    assert {name: webmention[name] for name in JSONL_LINKBACK} == {
        "type": "webmention",
        "status": "spam",
        "mention_kind": "reply",
        "published": "2026-11-30T08:15:30.123456+00:00",
        "source_url": "https://indie.example/reply",
        "source_title": "The reply’s page",
        "website": "https://indie.example/",
    }


@pytest.mark.parametrize(
    ("options", "threads", "entries"),
    [
        ([], [f"{SITE_URL}/posts/a-post/", f"{SITE_URL}/posts/closed/", PAGE], 8),
        (["--site", BLOG + "/any/page"], [PAGE], 1),
        (["--post", "closed"], [f"{SITE_URL}/posts/closed/"], 0),
    ],
)
def test_site_and_post_options_choose_the_threads(app, runner, options, threads, entries):
    fill(app)

    result = runner.invoke(args=["export", "--format", "wxr", *options])

    items = list(wxr_reader.read(io.BytesIO(result.stdout.encode())))
    assert [item.url for item in items if isinstance(item, ImportedThread)] == threads
    assert len([item for item in items if isinstance(item, ImportedEntry)]) == entries


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--site", "https://unknown.example/"],
            "No site is registered at https://unknown.example",
        ),
        (["--post", "no-such-post"], "There is no post at this address."),
    ],
)
def test_an_unknown_site_or_post_is_an_error_and_writes_nothing(app, runner, options, message):
    result = runner.invoke(args=["export", "--format", "jsonl", *options])

    assert (result.exit_code, result.stdout) == (1, "")
    assert message in result.stderr


def test_export_reads_posts_and_entries_in_batches_not_one_by_one(
    app, runner, count_queries, monkeypatch
):
    monkeypatch.setattr(exporting, "POST_BATCH", 2)
    with app.app_context():
        session = db.get_session()
        made = [posts.create_post(session, f"post-{n}", f"Post {n}") for n in range(3)]
        session.commit()
        post_ids = [post.id for post in made]
    for post_id in post_ids:
        seed_many(app, post_id, 40)

    with count_queries() as statements:
        result = runner.invoke(args=["export", "--format", "jsonl"])

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len([line for line in lines if line["kind"] == "entry"]) == 120
    reads = [each for each in statements if each.lstrip().upper().startswith("SELECT")]
    # Two batches of posts (2 + 1), the entries of each batch in one streamed query.
    assert sum("FROM posts" in each for each in reads) == 2
    assert sum("FROM entries" in each for each in reads) == 2


def test_an_administrator_downloads_the_export_and_the_audit_log_records_it(app, logged_in):
    fill(app)
    admin = logged_in("boss", admin=True)
    assert 'href="/moderation/export"' in admin.get("/moderation/").get_data(as_text=True)
    form = page_form(admin, EXPORT_PAGE, "form.export")

    response = send(admin, form, export_format="jsonl", site=BLOG)

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="comments-')
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    assert "no-store" in response.headers["Cache-Control"]
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [(line["kind"], line.get("body")) for line in lines[1:]] == [("entry", "On the page")]
    as_rendered = send(admin, form)  # WXR, every post: the form's defaults
    items = list(wxr_reader.read(io.BytesIO(as_rendered.get_data())))
    assert len([item for item in items if isinstance(item, ImportedEntry)]) == 8
    with app.app_context():
        logged = db.get_session().scalars(select(AuditEvent).where(AuditEvent.action == "export"))
        details = [(event.username, event.detail) for event in logged]
    assert details == [
        ("boss", f"exported the threads of {BLOG} as jsonl"),
        ("boss", "exported every post as wxr"),
    ]


def test_a_moderator_who_is_not_an_administrator_cannot_export(app, logged_in):
    admin = logged_in("boss", admin=True)
    plain = logged_in("plain")
    form = page_form(admin, EXPORT_PAGE, "form.export")

    assert plain.get(EXPORT_PAGE).status_code == 403
    assert 'href="/moderation/export"' not in plain.get("/moderation/").get_data(as_text=True)
    response = send(plain, form, csrf_token=csrf_token(plain, "/moderation/"))
    assert response.status_code == 403
    assert "Content-Disposition" not in response.headers
