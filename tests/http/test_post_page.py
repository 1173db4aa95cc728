"""The post page: what each reader sees, how it is counted and threaded, and its headers."""

import re
import time

import pytest

from moderation.infra import db
from moderation.rules import policy
from moderation.rules.statuses import EntryType, Status
from moderation.services import accounts, comments, moderating
from moderation.services.linkbacks import recording
from moderation.web import cookies
from tests.conftest import create_moderator
from tests.helpers import (
    TEST_ACTOR,
    add_approved_comment,
    approve,
    entries,
    submit,
    time_passes,
)


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_index_lists_posts_with_their_approved_count(client, app, post, other_post):
    add_approved_comment(app, post)
    submit(client)  # pending: not counted
    page = _page(client.get("/"))
    assert 'href="/posts/a-post/"' in page and 'href="/posts/another-post/"' in page
    assert "1 comment" in page and "0 comments" in page


def test_post_page_shows_the_article_and_the_form(client, post):
    response = client.get("/posts/a-post/")
    assert response.status_code == 200
    page = _page(response)
    assert "<p>The article.</p>" in page
    assert "Leave a Comment" in page
    assert "Your email address will not be published. Required fields are marked" in page
    for label in ("Comment", "Name", "Email"):
        assert f'{label} <span class="required" aria-hidden="true">*</span></label>' in page
    assert ">Website</label>" in page
    assert "Save my name, email, and website in this browser" in page


def test_unknown_post_is_404_with_a_page(client, app):
    response = client.get("/posts/nothing-here/")
    assert response.status_code == 404
    assert "There is no post at this address." in _page(response)


def test_no_thoughts_heading_without_approved_entries(client, post):
    submit(client)
    page = _page(client.get("/posts/a-post/"))
    assert "Your comment is awaiting moderation." in page
    assert "comments-title" not in page and "thoughts on" not in page


@pytest.mark.parametrize(
    ("comments", "linkbacks", "heading"),
    [
        (1, 0, "1 thought on “A Post”"),
        (0, 1, "1 thought on “A Post”"),
        (2, 1, "3 thoughts on “A Post”"),
    ],
)
def test_thoughts_heading_counts_approved_comments_and_linkbacks(
    app, post, comments, linkbacks, heading
):
    for number in range(comments):
        add_approved_comment(app, post, text=f"Comment {number}")
    with app.app_context():
        session = db.get_session()
        ids = [
            recording.record_linkback(
                session, post, EntryType.PINGBACK, f"https://blog.example/{n}", "Blog", "[…]"
            ).id
            for n in range(linkbacks)
        ]
        if ids:
            moderating.set_status(session, TEST_ACTOR, ids, Status.APPROVED)
        session.commit()
    # A fresh client: another reader, with no pending entries of its own.
    assert heading in _page(app.test_client().get("/posts/a-post/"))


def test_linkback_is_shown_as_pingback_with_its_title_and_excerpt(client, app, post):
    with app.app_context():
        session = db.get_session()
        entry = recording.record_linkback(
            session,
            post,
            EntryType.PINGBACK,
            "https://blog.example/post",
            "Some Other Blog's Title",
            "[…] an excerpt […]",
        )
        session.commit()
    approve(app, entry.id)
    page = _page(client.get("/posts/a-post/"))
    assert (
        'Pingback: <a href="https://blog.example/post" rel="nofollow ugc">'
        "Some Other Blog&#39;s Title</a>"
    ) in page
    assert "[…] an excerpt […]" in page


def test_pending_comment_is_visible_to_its_author_alone(app, post):
    author = app.test_client()
    stranger = app.test_client()
    response = submit(author, comment="My pending words")
    assert response.status_code == 303
    own = author.get("/posts/a-post/")
    assert "My pending words" in _page(own)
    assert "Your comment is awaiting moderation." in _page(own)
    assert own.headers["Cache-Control"] == "private, no-store"
    other = stranger.get("/posts/a-post/")
    assert "My pending words" not in _page(other)
    assert "awaiting moderation" not in _page(other)


def test_authors_view_of_a_pending_comment_ends_after_ten_minutes(app, post, monkeypatch):
    author = app.test_client()
    submit(author, comment="Soon hidden")
    later = time.time() + cookies.OWN_ENTRY_SECONDS + 1
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    assert "Soon hidden" not in _page(author.get("/posts/a-post/"))


def test_a_forged_own_entries_cookie_shows_nothing(app, post):
    submit(app.test_client(), comment="Someone else's words")
    [entry] = entries(app)
    intruder = app.test_client()
    intruder.set_cookie("own_entries", f"[[{entry.id},{int(time.time())}]]")
    assert "Someone else" not in _page(intruder.get("/posts/a-post/"))


def test_approved_comment_is_public_and_loses_the_pending_note(app, post):
    author = app.test_client()
    submit(author, comment="Now public")
    [entry] = entries(app)
    approve(app, entry.id)
    assert "Now public" in _page(app.test_client().get("/posts/a-post/"))
    assert "awaiting moderation" not in _page(author.get("/posts/a-post/"))


@pytest.mark.parametrize("status", ["spam", "trash"])
def test_spam_and_trash_are_never_shown(app, post, status):
    author = app.test_client()
    submit(author, comment="Unwanted words")
    [entry] = entries(app)
    with app.app_context():
        session = db.get_session()
        moderating.set_status(session, TEST_ACTOR, [entry.id], Status(status))
        session.commit()
    assert "Unwanted words" not in _page(author.get("/posts/a-post/"))


def test_replies_are_threaded_under_their_parent_with_a_reply_link(client, app, post):
    parent = add_approved_comment(app, post, text="The parent")
    reply = add_approved_comment(app, post, text="The reply", parent_id=parent.id)
    page = _page(client.get("/posts/a-post/"))
    assert f'id="comment-{parent.id}" class="entry depth-0 comment"' in page
    assert f'id="comment-{reply.id}" class="entry depth-1 comment"' in page
    assert page.index("The parent") < page.index("The reply")
    assert f'href="/posts/a-post/?replytocom={parent.id}#respond"' in page


def test_reply_link_prefills_the_parent_and_names_who_is_answered(client, app, post):
    parent = add_approved_comment(app, post, name="Grace")
    page = _page(client.get(f"/posts/a-post/?replytocom={parent.id}"))
    assert "Reply to Grace" in page
    assert f'name="parent" type="hidden" value="{parent.id}"' in page
    assert "Cancel reply" in page


@pytest.mark.parametrize("replytocom", ["999", "abc", ""])
def test_reply_prefill_ignores_unknown_parents(client, post, replytocom):
    page = _page(client.get(f"/posts/a-post/?replytocom={replytocom}"))
    assert "Leave a Comment" in page
    assert 'name="parent" type="hidden" value=""' in page


def test_author_name_links_to_website_with_nofollow_ugc(client, app, post):
    add_approved_comment(app, post, name="Linus", website="https://linus.example/")
    page = _page(client.get("/posts/a-post/"))
    assert '<a href="https://linus.example/" rel="nofollow ugc">Linus</a>' in page


def test_remember_me_cookie_is_set_only_when_ticked_and_prefills_the_form(app, post):
    forgetful = app.test_client()
    assert submit(forgetful).status_code == 303
    assert forgetful.get_cookie("comment_author") is None
    assert "ada.reader@example.net" not in _page(forgetful.get("/posts/a-post/"))

    remembering = app.test_client()
    time_passes(app)  # the same reader, from another browser, later
    assert submit(remembering, remember="y", comment="Another thought.").status_code == 303
    cookie = remembering.get_cookie("comment_author")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    response = remembering.get("/posts/a-post/")
    page = _page(response)
    assert 'value="ada.reader@example.net"' in page
    assert 'value="Ada Reader"' in page
    assert 'id="remember" name="remember" type="checkbox" value="y"' in page and "checked" in page
    assert response.headers["Cache-Control"] == "private, no-store"

    time_passes(app)
    # The box comes ticked now; unticking it forgets.
    assert submit(remembering, remember=None, comment="A third thought.").status_code == 303
    assert remembering.get_cookie("comment_author") is None


def test_security_headers_on_every_page(client, post):
    for path in ("/", "/posts/a-post/", "/posts/missing/"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_post_page_has_no_inline_script(client, app, post):
    add_approved_comment(app, post)
    page = _page(client.get("/posts/a-post/"))
    assert "<script" not in page.lower()
    assert " style=" not in page.lower()


def test_post_page_with_500_comments_takes_at_most_3_queries(app, post, count_queries):
    with app.app_context():
        session = db.get_session()
        first = [
            comments.submit_comment(
                session,
                post.slug,
                comments.Submission(
                    policy.Facts(f"Comment {n}", f"Author {n}", f"a{n}@example.org", "", "", "")
                ),
            ).id
            for n in range(500)
        ]
        moderating.set_status(session, TEST_ACTOR, first, Status.APPROVED)
        session.commit()
    client = app.test_client()
    with count_queries() as statements:
        response = client.get("/posts/a-post/")
    assert response.status_code == 200
    assert "500 thoughts on" in _page(response)
    assert len(statements) <= 3, statements


def test_avatars_are_images_named_by_pattern_and_cached_for_good(client, app, post):
    add_approved_comment(app, post, email="pictured@example.org")
    page = _page(client.get("/posts/a-post/"))
    [src] = re.findall(r'<img class="avatar" src="([^"]+)"', page)
    response = client.get(src)
    assert response.status_code == 200
    assert response.content_type == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("name", ["zzzz-1", "8000-1", "0000-999", "x"])
def test_an_avatar_that_is_not_a_pattern_is_404(client, name):
    assert client.get(f"/avatars/{name}.svg").status_code == 404


def test_a_cached_thread_serves_readers_with_two_queries(app, post, count_queries):
    add_approved_comment(app, post)
    client = app.test_client()
    client.get("/posts/a-post/")
    with count_queries() as statements:
        assert "1 thought on" in _page(client.get("/posts/a-post/"))
    assert len(statements) == 2, statements


def test_an_approval_shows_at_once_even_on_a_cached_thread(app, post):
    reader = app.test_client()
    add_approved_comment(app, post, text="First words")
    assert "1 thought on" in _page(reader.get("/posts/a-post/"))
    submit(app.test_client(), comment="Second words")
    pending = next(e for e in entries(app) if e.body == "Second words")
    approve(app, pending.id)
    page = _page(reader.get("/posts/a-post/"))
    assert "2 thoughts on" in page and "Second words" in page


def test_a_change_made_by_another_process_shows_at_once(make_app, post):
    reader_app, moderator_app = make_app(), make_app()  # two processes, one database
    add_approved_comment(reader_app, post, text="Soon gone")
    reader = reader_app.test_client()
    assert "Soon gone" in _page(reader.get("/posts/a-post/"))
    [entry] = entries(moderator_app)
    with moderator_app.app_context():
        session = db.get_session()
        moderating.set_status(session, TEST_ACTOR, [entry.id], Status.TRASH)
        session.commit()
    assert "Soon gone" not in _page(reader.get("/posts/a-post/"))


def test_a_moderators_reply_is_threaded_and_marked_on_the_public_page(app, post):
    parent = add_approved_comment(app, post, text="A question")
    moderator = create_moderator(app, "editor")
    with app.app_context():
        session = db.get_session()
        actor = accounts.Actor(moderator.id, "editor", "192.0.2.9")
        moderating.reply(session, actor, parent.id, "An answer")
        session.commit()
    page = _page(app.test_client().get("/posts/a-post/"))
    assert "2 thoughts on" in page
    assert page.index("A question") < page.index("An answer")
    assert 'class="entry depth-1 comment"' in page
    assert '<span class="badge">Moderator</span>' in page
