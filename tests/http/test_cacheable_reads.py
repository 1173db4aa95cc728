"""The reads a CDN or a reverse proxy may keep (issue 16): a reader's GET sets no cookie,
a post's page is public with an ETag and a 304, and a reader with a pending comment of
their own gets it at once, kept by no one."""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import update

from moderation.infra import db
from moderation.infra.models import DataRequest, Entry, Post, utcnow
from moderation.rules.statuses import Status
from moderation.services import data_requests, sites
from tests.forms import send
from tests.helpers import (
    COMMENT,
    add_comment,
    approve,
    comment_form,
    entries,
    save_settings,
    submit,
)

BLOG = "https://blog.example"


@pytest.fixture
def app(make_app):
    return make_app(SITE_URL="http://localhost", PAGE_MAX_AGE=120)


@pytest.fixture
def thread(app, post) -> str:
    """A registered site's page with an approved comment, and our post with one too."""
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, BLOG, "A blog")
        found = sites.thread_for(session, f"{BLOG}/a-page/", "A page")
        session.commit()
        slug = found.slug
    add_comment(app, "On the blog.", Status.APPROVED, slug)
    add_comment(app, "On our post.", Status.APPROVED)
    return f"{BLOG}/a-page/"


def _reader_gets(app, thread: str, key: str) -> list[str]:
    """Every public GET a reader may make."""
    [entry] = [each for each in entries(app) if each.body == "On our post."]
    return [
        "/",
        "/posts/a-post/",
        f"/posts/a-post/?replytocom={entry.id}",
        "/posts/a-post/comments.atom",
        f"/feeds/thread.atom?url={thread}",
        "/comments.atom",
        "/privacy",
        "/your-data",
        f"/your-data/{key}",
        f"/comments/{entry.id}",
        f"/embed/thread?url={thread}",
        f"/api/v1/thread?url={thread}",
        f"/api/v1/counts?url={thread}",
        "/embed.js",
        "/no-such-page",
    ]


def test_no_reader_get_sets_a_cookie(app, thread):
    key = secrets.token_urlsafe(32)  # a mailed Your data link's
    with app.app_context():
        session = db.get_session()
        email = "ada.reader@example.net"
        session.add(
            DataRequest(key_digest=data_requests.digest(key), email=email, created=utcnow())
        )
        session.commit()
    client = app.test_client()
    for path in _reader_gets(app, thread, key):
        response = client.get(path)
        assert response.status_code in (200, 302, 404), path
        assert response.headers.getlist("Set-Cookie") == [], path
        response.close()
    assert client.get("/no-such-page").status_code == 404


def test_the_post_page_is_public_with_an_etag_and_no_cookie(client, post):
    response = client.get("/posts/a-post/")
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert response.cache_control.public
    assert response.cache_control.max_age == 120
    assert response.cache_control.s_maxage == 120
    assert "Cookie" in response.vary
    tag, weak = response.get_etag()
    assert tag and weak


def test_the_post_page_answers_304_until_a_moderator_changes_its_thread(app, client, post):
    first = client.get("/posts/a-post/")
    etag = first.headers["ETag"]

    again = client.get("/posts/a-post/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.cache_control.public and again.cache_control.s_maxage == 120
    assert "Cookie" in again.vary

    approve(app, add_comment(app, "Now approved.", Status.PENDING))
    changed = client.get("/posts/a-post/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Now approved." in changed.get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    [
        lambda app: save_settings(app, comments_per_page=1),
        lambda app: save_settings(app, thread_depth=1),
        lambda app: save_settings(app, close_after_days=1),
    ],
    ids=["comments-per-page", "thread-depth", "closed-after-a-day"],
)
def test_a_settings_change_that_redraws_the_page_changes_its_tag(app, client, post, change):
    with app.app_context():
        session = db.get_session()  # old enough for close_after_days=1 to close it
        session.execute(update(Post).values(created=utcnow() - timedelta(days=3)))
        session.commit()
    add_comment(app, "First.", Status.APPROVED)
    add_comment(app, "Second.", Status.APPROVED, email="b@example.net")
    etag = client.get("/posts/a-post/").headers["ETag"]
    change(app)
    assert client.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 200


def test_the_304_takes_two_queries(app, client, post, count_queries):
    etag = client.get("/posts/a-post/").headers["ETag"]
    with count_queries() as statements:
        response = client.get("/posts/a-post/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert len(statements) == 2  # the post with its thread's version, the settings


def test_the_author_of_a_pending_comment_sees_it_at_once_kept_by_no_one(app, post, clock):
    reader = app.test_client()
    etag = reader.get("/posts/a-post/").headers["ETag"]

    sent = submit(reader, comment="Mine, pending.")
    assert sent.status_code == 303
    for headers in ({}, {"If-None-Match": etag}):
        page = reader.get("/posts/a-post/", headers=headers)
        assert page.status_code == 200
        assert "Mine, pending." in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in page.headers

    # Everyone else still gets the shared page, unchanged, without it.
    other = app.test_client()
    assert other.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 304


def test_remembered_details_make_the_page_private(app, post, clock):
    reader = app.test_client()
    submit(reader, remember="y")
    reader.delete_cookie("own_entries")  # ten minutes on: only the remembered details
    page = reader.get("/posts/a-post/")
    assert COMMENT["email"] in page.get_data(as_text=True)  # prefilled for them alone
    assert page.headers["Cache-Control"] == "private, no-store"


def test_a_kept_copy_never_holds_a_form_too_old_to_send(app, client, post, clock):
    """The tag changes as the form's stamp ages, so a cache refetches in time."""
    etag = client.get("/posts/a-post/").headers["ETag"]
    clock.advance(app.config["COMMENT_FORM_MAX_SECONDS"] / 2)
    assert client.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 200


def test_a_comment_sent_from_a_cached_copy_of_the_page_is_taken(app, post, clock):
    """A CDN's copy was drawn for another reader, with no session: its form still works."""
    cdn = app.test_client()
    form = comment_form(cdn)
    reader = app.test_client()
    clock.advance(30)
    response = send(reader, form, **COMMENT)
    assert response.status_code == 303
    assert len(entries(app)) == 1


def _stamp(page) -> str:
    return comment_form_stamp(page.get_data(as_text=True))


def comment_form_stamp(html: str) -> str:
    [stamp] = re.findall(r'name="shown" type="hidden" value="([^"]+)"', html)
    return stamp


def test_a_kept_page_gives_each_reader_a_stamp_made_for_them(app, client, post, clock):
    """The time trap counts from when this reader was shown the form, not from when the
    page was first drawn."""
    first = client.get("/posts/a-post/")
    clock.advance(5)
    second = client.get("/posts/a-post/")
    assert second.headers["ETag"] == first.headers["ETag"]  # the same kept page
    assert _stamp(second) != _stamp(first)
    assert second.get_data(as_text=True).replace(_stamp(second), "") == first.get_data(
        as_text=True
    ).replace(_stamp(first), "")


def test_a_kept_thread_gives_each_reader_a_stamp_made_for_them(app, client, thread, clock):
    path = f"/api/v1/thread?url={thread}"
    first = client.get(path).get_json()
    clock.advance(5)
    second = client.get(path).get_json()
    assert second["form"]["stamp"] != first["form"]["stamp"]
    assert {**second, "form": None} == {**first, "form": None}
    assert [entry["html"] for entry in second["entries"]] == ["<p>On the blog.</p>"]


def _confirmed_tag(client, path: str, **headers) -> str:
    """The tag of `path`, once the app itself has answered its revalidation with 304."""
    etag = client.get(path, headers=headers).headers["ETag"]
    assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304
    return etag


@pytest.mark.parametrize(
    "path", ["/posts/a-post/", f"/api/v1/thread?url={BLOG}/a-page/"], ids=["post", "thread"]
)
def test_a_confirmed_revalidation_is_confirmed_again_without_a_query(
    client, thread, path, count_queries
):
    etag = _confirmed_tag(client, path)
    confirmed = client.get(path, headers={"If-None-Match": etag})
    with count_queries() as statements:
        again = client.get(path, headers={"If-None-Match": etag})
    assert statements == []
    assert again.status_code == 304
    assert again.get_data() == b""
    assert sorted(again.headers.items()) == sorted(confirmed.headers.items())
    assert again.cache_control.public and "Content-Security-Policy" in again.headers


def test_a_commit_in_this_process_ends_the_moment_at_once(app, client, post):
    etag = _confirmed_tag(client, "/posts/a-post/")
    approve(app, add_comment(app, "Now approved.", Status.PENDING))
    changed = client.get("/posts/a-post/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Now approved." in changed.get_data(as_text=True)


def test_a_change_from_another_process_shows_after_revalidate_seconds(
    app, client, post, clock, count_queries
):
    etag = _confirmed_tag(client, "/posts/a-post/")
    _elsewhere(app, update(Post).values(title="Retitled elsewhere"))
    assert client.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 304

    clock.advance(app.config["REVALIDATE_SECONDS"])
    with count_queries() as statements:
        later = client.get("/posts/a-post/", headers={"If-None-Match": etag})
    assert later.status_code == 200 and statements
    assert "Retitled elsewhere" in later.get_data(as_text=True)


def test_a_reader_with_a_cookie_or_another_tag_is_answered_by_the_app(client, post, count_queries):
    etag = _confirmed_tag(client, "/posts/a-post/")
    client.set_cookie("unrelated", "1")
    with count_queries() as with_cookie:
        assert client.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 304
    client.delete_cookie("unrelated")
    with count_queries() as other_tag:
        assert client.get("/posts/a-post/", headers={"If-None-Match": 'W/"x"'}).status_code == 200
    assert with_cookie and other_tag


def test_an_answer_that_varies_on_origin_is_kept_for_that_origin_alone(
    client, thread, count_queries
):
    path = f"/api/v1/thread?url={BLOG}/a-page/"
    etag = _confirmed_tag(client, path, Origin=BLOG)
    with count_queries() as statements:
        same = client.get(path, headers={"Origin": BLOG, "If-None-Match": etag})
    assert same.status_code == 304 and statements == []
    assert same.headers["Access-Control-Allow-Origin"] == BLOG

    other = client.get(path, headers={"If-None-Match": etag})
    assert other.status_code == 304
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_kept_thread_is_answered_without_a_query_for_a_moment(
    app, client, thread, clock, count_queries
):
    with app.app_context():
        slug = sites.find_thread(db.get_session(), thread).slug
    add_comment(app, "Held.", Status.PENDING, slug)
    path = f"/api/v1/thread?url={thread}"
    first = client.get(path).get_json()
    clock.advance(1 / 2)
    with count_queries() as statements:
        again = client.get(path)
    assert statements == []
    assert again.get_json()["form"]["stamp"] != first["form"]["stamp"]  # made for this one

    _elsewhere(app, update(Entry).where(Entry.body == "Held.").values(status=Status.APPROVED))
    assert client.get(path).get_json()["count"] == first["count"]
    clock.advance(app.config["REVALIDATE_SECONDS"])
    assert client.get(path).get_json()["count"] == first["count"] + 1


def test_revalidate_seconds_0_leaves_every_revalidation_to_the_app(make_app, post):
    app = make_app(SITE_URL="http://localhost", REVALIDATE_SECONDS=0)
    client = app.test_client()
    etag = _confirmed_tag(client, "/posts/a-post/")
    _elsewhere(app, update(Post).values(title="Retitled elsewhere"))
    assert client.get("/posts/a-post/", headers={"If-None-Match": etag}).status_code == 200


def _elsewhere(app, statement) -> None:
    """Change the database as another process would (a second worker, the command line):
    through an engine of its own, so nothing commits in this app's."""
    engine = db.make_engine(app.config["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(statement)
    engine.dispose()
