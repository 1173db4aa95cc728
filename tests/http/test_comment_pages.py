"""Pages of comments: top-level entries per page, oldest first, with their replies; page
links; permalinks and /comments/<id> that land on the right page; closed by age."""

import re
from datetime import timedelta

import pytest

from moderation.infra import db
from moderation.infra.models import Post, utcnow
from moderation.rules import errors, policy
from moderation.rules.statuses import EntryType, Status
from moderation.services import places, posts
from moderation.web.rendering import entry_url, page_links
from tests.forms import send
from tests.helpers import (
    COMMENT,
    add_approved_comment,
    add_comment,
    comment_form,
    entries,
    save_settings,
    seed_many,
    submit,
)


def _page(response) -> str:
    return response.get_data(as_text=True)


def _seeded(number: int) -> str:
    """The text of tests.helpers.seed_many's comment `number` (0 is the newest)."""
    return f"<p>Seeded comment {number}</p>"


@pytest.fixture
def seven(app, post) -> list[int]:
    """Seven approved comments, three a page: pages hold numbers 6-4, 3-1 and 0."""
    save_settings(app, comments_per_page=3)
    return seed_many(app, post.id, 7, Status.APPROVED)


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", [6, 5, 4], [3, 2, 1, 0]),
        ("?cpage=1", [6, 5, 4], [3, 2, 1, 0]),
        ("?cpage=2", [3, 2, 1], [6, 5, 4, 0]),
        ("?cpage=3", [0], [6, 5, 4, 3, 2, 1]),
    ],
)
def test_top_level_comments_are_split_into_pages_oldest_first(client, seven, query, shown, hidden):
    page = _page(client.get(f"/posts/a-post/{query}"))
    positions = [page.index(_seeded(number)) for number in shown]
    assert positions == sorted(positions)
    assert not [number for number in hidden if _seeded(number) in page]


@pytest.mark.parametrize("query", ["", "?cpage=2", "?cpage=3"])
def test_the_heading_counts_every_approved_entry_on_every_page(client, seven, query):
    assert "7 thoughts on “A Post”" in _page(client.get(f"/posts/a-post/{query}"))


def test_replies_go_on_the_page_of_their_top_level_entry(client, app, post):
    save_settings(app, comments_per_page=2)
    first = add_approved_comment(app, post, text="First words")
    add_approved_comment(app, post, text="Second words")
    add_approved_comment(app, post, text="Third words")
    reply = add_approved_comment(app, post, text="A late reply", parent_id=first.id)
    add_approved_comment(app, post, text="A reply to the reply", parent_id=reply.id)
    one, two = _page(client.get("/posts/a-post/")), _page(client.get("/posts/a-post/?cpage=2"))
    assert "First words" in one and "A late reply" in one and "A reply to the reply" in one
    assert one.index("First words") < one.index("A late reply") < one.index("Second words")
    assert "Third words" in two and "A late reply" not in two
    assert "5 thoughts on" in one and "5 thoughts on" in two


@pytest.mark.parametrize(("comments", "paged"), [(1, False), (3, False), (4, True), (7, True)])
def test_page_links_appear_only_when_there_is_more_than_one_page(
    client, app, post, comments, paged
):
    save_settings(app, comments_per_page=3)
    seed_many(app, post.id, comments, Status.APPROVED)
    page = _page(client.get("/posts/a-post/"))
    assert ('<nav class="comment-pages" aria-label="Comment pages">' in page) is paged


@pytest.mark.parametrize(
    ("query", "older", "newer", "current"),
    [
        ("", None, "/posts/a-post/?cpage=2#comments", "1"),
        ("?cpage=2", "/posts/a-post/#comments", "/posts/a-post/?cpage=3#comments", "2"),
        ("?cpage=3", "/posts/a-post/?cpage=2#comments", None, "3"),
    ],
)
def test_page_links_lead_to_older_and_newer_comments(client, seven, query, older, newer, current):
    page = _page(client.get(f"/posts/a-post/{query}"))
    [nav] = re.findall(r'<nav class="comment-pages".*?</nav>', page, re.S)
    assert (f'href="{older}">← Older comments</a>' in nav) is (older is not None)
    assert (f'href="{newer}">Newer comments →</a>' in nav) is (newer is not None)
    assert ("Older comments" in nav) is (older is not None)
    assert ("Newer comments" in nav) is (newer is not None)
    assert f'<span class="current" aria-current="page">{current}</span>' in nav
    numbered = re.findall(r'<li><a href="([^"]+)">(\d)</a></li>', nav)
    assert sorted(number for _, number in numbered) == sorted({"1", "2", "3"} - {current})


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
    ],
)
def test_page_links_name_the_first_the_last_and_the_pages_around(page, pages, links):
    assert page_links(page, pages) == links


@pytest.mark.parametrize(
    "cpage", ["4", "0", "00", "-1", "abc", "", "1.5", "٣", "2 ", "9" * 5000, "99999999999"]
)
def test_a_page_of_comments_that_does_not_exist_is_404(client, seven, cpage):
    response = client.get("/posts/a-post/", query_string={"cpage": cpage})
    assert response.status_code == 404


@pytest.mark.parametrize(("cpage", "status"), [("1", 200), ("2", 404)])
def test_a_post_without_comments_has_a_first_page_only(client, post, cpage, status):
    assert client.get(f"/posts/a-post/?cpage={cpage}").status_code == status


@pytest.mark.parametrize(("number", "page"), [(6, 1), (3, 2), (0, 3)])
def test_the_permalink_of_an_entry_names_its_page(client, seven, number, page):
    entry_id = seven[number]
    query = "" if page == 1 else f"?cpage={page}"
    html = _page(client.get(f"/posts/a-post/{query}"))
    assert f'<a class="permalink" href="/posts/a-post/{query}#comment-{entry_id}">' in html


@pytest.mark.parametrize(
    ("number", "location"),
    [(6, "/posts/a-post/#comment-{id}"), (3, "/posts/a-post/?cpage=2#comment-{id}"),
     (0, "/posts/a-post/?cpage=3#comment-{id}")],
)  # fmt: skip
def test_comment_address_redirects_to_the_page_that_shows_it(client, seven, number, location):
    entry_id = seven[number]
    response = client.get(f"/comments/{entry_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == location.format(id=entry_id)


def test_a_reply_address_lands_on_the_page_of_its_top_level_entry(client, app, post):
    save_settings(app, comments_per_page=1)
    first = add_approved_comment(app, post, text="First")
    add_approved_comment(app, post, text="Second")
    reply = add_approved_comment(app, post, text="Late reply to the first", parent_id=first.id)
    response = client.get(f"/comments/{reply.id}")
    assert response.headers["Location"] == f"/posts/a-post/#comment-{reply.id}"


@pytest.mark.parametrize("status", [Status.PENDING, Status.SPAM, Status.TRASH])
def test_comment_address_of_an_unpublished_entry_is_404_for_the_public(client, post, status):
    entry_id = add_comment(client.application, "Not for the public", status)
    assert client.get(f"/comments/{entry_id}").status_code == 404


@pytest.mark.parametrize("entry_id", ["999999", "2147483647", "2147483648", "99999999999999"])
def test_comment_address_of_an_unknown_entry_is_404(client, post, entry_id):
    assert client.get(f"/comments/{entry_id}").status_code == 404


def test_the_readers_own_pending_comment_shows_on_the_page_where_it_lands(app, post):
    save_settings(app, comments_per_page=3)
    seed_many(app, post.id, 6, Status.APPROVED)  # two full pages: a new one starts page 3
    author, stranger = app.test_client(), app.test_client()
    assert submit(author, comment="My words, pending").status_code == 303
    [own] = [entry.id for entry in entries(app) if entry.status == Status.PENDING]
    with app.test_request_context():
        assert entry_url(places.landing_place(db.get_session(), own)) == (
            f"/posts/a-post/?cpage=3#comment-{own}"
        )
    assert "My words, pending" in _page(author.get("/posts/a-post/?cpage=3"))
    assert "My words, pending" not in _page(author.get("/posts/a-post/"))
    assert author.get(f"/comments/{own}").headers["Location"] == (
        f"/posts/a-post/?cpage=3#comment-{own}"
    )
    assert stranger.get("/posts/a-post/?cpage=3").status_code == 404
    assert stranger.get(f"/comments/{own}").status_code == 404


def test_a_pending_reply_lands_on_the_page_of_its_top_level_entry(app, post):
    save_settings(app, comments_per_page=1)
    first = add_approved_comment(app, post, text="First")
    add_approved_comment(app, post, text="Second")
    pending = add_comment(app, "A pending reply", parent_id=first.id)
    with app.test_request_context():
        path = entry_url(places.landing_place(db.get_session(), pending))
    assert path == f"/posts/a-post/#comment-{pending}"


@pytest.mark.parametrize("status", [Status.SPAM, Status.TRASH])
def test_the_permalink_of_an_entry_shown_nowhere_is_its_posts_first_page(app, post, status):
    entry_id = add_comment(app, "Unwanted", status)
    with app.test_request_context():
        assert entry_url(places.landing_place(db.get_session(), entry_id)) == "/posts/a-post/"


def test_the_permalink_of_an_unknown_entry_is_not_found(app, post):
    with app.app_context(), pytest.raises(errors.NotFound):
        places.landing_place(db.get_session(), 999999)


@pytest.mark.parametrize(
    ("query", "reply_href", "cancel_href"),
    [
        ("", "/posts/a-post/?replytocom={id}#respond", "/posts/a-post/#respond"),
        (
            "?cpage=2",
            "/posts/a-post/?cpage=2&amp;replytocom={id}#respond",
            "/posts/a-post/?cpage=2#respond",
        ),
    ],
)
def test_the_reply_form_stays_on_the_page_of_the_comment_answered(
    client, seven, query, reply_href, cancel_href
):
    answered = seven[6] if not query else seven[3]
    href = reply_href.format(id=answered)
    assert f'href="{href}"' in _page(client.get(f"/posts/a-post/{query}"))
    page = _page(client.get(href.replace("&amp;", "&").removesuffix("#respond")))
    assert "Reply to Seeded Reader" in page
    assert f'name="parent" type="hidden" value="{answered}"' in page
    assert f'href="{cancel_href}">Cancel reply</a>' in page


@pytest.mark.parametrize("query", ["", "?cpage=5", "?cpage=10"])
def test_a_page_of_500_comments_takes_at_most_3_queries(app, post, count_queries, query):
    seed_many(app, post.id, 500, Status.APPROVED)  # 50 a page by default: 10 pages
    client = app.test_client()
    with count_queries() as statements:
        response = client.get(f"/posts/a-post/{query}")
    assert response.status_code == 200
    page = _page(response)
    assert "500 thoughts on" in page
    assert page.count('<li id="comment-') == 50
    assert len(statements) <= 3, statements


def test_the_readers_own_page_takes_at_most_3_queries(app, post, count_queries):
    seed_many(app, post.id, 120, Status.APPROVED)
    author = app.test_client()
    submit(author, comment="Mine")
    with count_queries() as statements:
        assert "Mine" in _page(author.get("/posts/a-post/?cpage=3"))
    assert len(statements) <= 3, statements


def test_a_change_of_comments_per_page_shows_at_once(client, app, post):
    seed_many(app, post.id, 4, Status.APPROVED)
    assert _seeded(0) in _page(client.get("/posts/a-post/"))  # all four, and now cached
    save_settings(app, comments_per_page=2)
    page = _page(client.get("/posts/a-post/"))
    assert _seeded(3) in page and _seeded(0) not in page
    assert _seeded(0) in _page(client.get("/posts/a-post/?cpage=2"))


def _aged_post(app, slug: str, days: int) -> None:
    """A post with an approved comment, then made `days` old."""
    with app.app_context():
        session = db.get_session()
        posts.create_post(session, slug, f"Aged {days} days")
        session.commit()
    add_comment(app, "Said before the close", Status.APPROVED, slug)
    with app.app_context():
        session = db.get_session()
        posts.get_post(session, slug).created = utcnow() - timedelta(days=days)
        session.commit()


@pytest.mark.parametrize(
    ("close_after_days", "age_days", "open_"),
    [(0, 400, True), (14, 30, False), (14, 13, True), (14, 0, True), (1, 2, False)],
)
def test_comments_close_on_posts_older_than_the_setting(
    client, app, close_after_days, age_days, open_
):
    _aged_post(app, "aged", age_days)
    save_settings(app, close_after_days=close_after_days)
    page = _page(client.get("/posts/aged/"))
    assert ('<form class="comment-form"' in page) is open_
    assert ("Comments are closed." in page) is not open_
    assert ('class="reply"' in page) is open_
    assert "Said before the close" in page


@pytest.mark.parametrize(
    ("flag", "close_after_days", "age_days", "open_"),
    [(True, 0, 99, True), (False, 0, 0, False), (True, 7, 8, False), (True, 7, 6, True)],
)
def test_comments_open_combines_the_posts_flag_and_its_age(flag, close_after_days, age_days, open_):
    now = utcnow()
    post = Post(slug="p", title="P", comments_open=flag, created=now - timedelta(days=age_days))
    assert policy.is_open(post, EntryType.COMMENT, close_after_days, now) is open_


def test_a_comment_with_nobody_listening_is_stored_in_three_statements(
    client, app, post, count_queries, clock
):
    """The post (with whether a webhook or a moderator would hear of it), the flood
    check and the INSERT: telling nobody costs no query of its own."""
    form = comment_form(client)
    clock.advance(30)  # a reader's typing
    with count_queries() as statements:
        response = send(client, form, **COMMENT)
    assert response.status_code == 303
    assert len(statements) == 3, statements
    assert "webhooks" in statements[0] and "moderators" in statements[0]
