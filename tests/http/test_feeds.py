"""Atom feeds (issue 13, Feeds and Cacheable reads): a post's approved comments and
linkbacks and the site's recent ones, valid for feedparser, linked from the pages, shared
by caches, and never holding an email nor a hash of one (SPEC §3, Comment fields)."""

import hashlib
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from markupsafe import escape

from moderation.infra import db
from moderation.infra.models import Entry
from moderation.rules import atom
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.services import moderating, posts, sites
from moderation.services.linkbacks import recording
from moderation.web import feeds
from tests.helpers import (
    COMMENT,
    TEST_ACTOR,
    add_approved_comment,
    add_comment,
    approve,
    seed_many,
    submit,
)

POST_FEED = "/posts/a-post/comments.atom"
SITE_FEED = "/comments.atom"
ATOM = "{http://www.w3.org/2005/Atom}"
EMAIL = "approved.author@example.org"  # add_approved_comment's
PAGE = "https://blog.example/2026/hello/"
THREAD_FEED = "/feeds/thread.atom"


@pytest.fixture
def app(make_app):
    """The app as deployed behind a host name it trusts: it knows its own address, which
    Atom's absolute ids need (SPEC §4, own address)."""
    return make_app(TRUSTED_HOSTS=["localhost"])


def create_post(app, slug: str = "a-post", title: str = "A Post") -> None:
    with app.app_context():
        session = db.get_session()
        posts.create_post(session, slug, title)
        session.commit()


def parsed(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def add_pingback(app, post, title: str = "Some Other Blog", status=Status.APPROVED) -> int:
    with app.app_context():
        session = db.get_session()
        entry = recording.record_linkback(
            session, post, EntryType.PINGBACK, "https://blog.example/post", title, "[…] ok […]"
        )
        moderating.set_status(session, TEST_ACTOR, [entry.id], status)
        session.commit()
        return entry.id


def test_post_feed_holds_the_approved_entries_newest_first(client, app, post):
    first = add_approved_comment(app, post, text="The first word.")
    pingback = add_pingback(app, post)
    for status in (Status.PENDING, Status.SPAM, Status.TRASH):
        add_comment(app, f"A {status} comment.", status, name=f"{status} author")

    feed = parsed(client.get(POST_FEED))

    assert feed.feed.title == "Comments on “A Post”"
    assert [entry.title for entry in feed.entries] == [
        "Pingback: Some Other Blog",
        "Comment by Approved Author",
    ]
    assert [entry.id for entry in feed.entries] == [
        f"http://localhost/comments/{pingback}",
        f"http://localhost/comments/{first.id}",
    ]
    assert feed.entries[1].content[0].type == "text/html"
    assert "The first word." in feed.entries[1].content[0].value
    assert feed.entries[0].author_detail.href == "https://blog.example/post"
    assert feed.entries[1].published_parsed and feed.entries[1].updated_parsed
    body = client.get(POST_FEED).get_data(as_text=True)
    assert "comment." not in body  # no pending, spam or trash entry, not even its text


def test_post_feed_links_itself_and_the_post_page(client, post):
    feed = parsed(client.get(POST_FEED))
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "self": "http://localhost/posts/a-post/comments.atom",
        "alternate": "http://localhost/posts/a-post/",
    }
    assert feed.feed.id == "http://localhost/posts/a-post/comments.atom"
    assert feed.entries == []


def test_post_feed_of_an_unknown_post_is_404(client, app):
    assert client.get("/posts/nothing-here/comments.atom").status_code == 404


def test_site_feed_names_the_post_of_each_entry(client, app, post, other_post):
    add_approved_comment(app, post, text="On the first post.")
    add_approved_comment(app, other_post, text="On the other post.", name="Bo Reader")
    add_comment(app, "Pending, nowhere.", slug="another-post", name="Pending Person")

    feed = parsed(client.get(SITE_FEED))

    assert feed.feed.title == feeds.SITE_FEED_TITLE
    assert [entry.title for entry in feed.entries] == [
        "Comment by Bo Reader on “Another Post”",
        "Comment by Approved Author on “A Post”",
    ]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": "http://localhost/comments.atom", "alternate": "http://localhost/"}


def test_feeds_hold_at_most_fifty_entries_the_newest(client, app, post):
    ids = seed_many(app, post.id, 60, Status.APPROVED)  # the first is the newest
    for url in (POST_FEED, SITE_FEED):
        feed = parsed(client.get(url))
        assert [entry.id for entry in feed.entries] == [
            f"http://localhost/comments/{entry_id}" for entry_id in ids[:50]
        ]


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_feeds_show_no_email_nor_a_hash_of_it(client, app, post, url):
    add_approved_comment(app, post, website="https://approved.example/")
    body = client.get(url).get_data(as_text=True)
    assert "Approved Author" in body
    for address in (EMAIL, EMAIL.upper()):
        assert address.lower() not in body.lower()
        assert hashlib.md5(address.encode()).hexdigest() not in body  # Gravatar's
        assert hashlib.sha256(address.encode()).hexdigest() not in body
    assert "<email>" not in body


def test_an_entry_link_leads_to_its_place_on_the_post_page(client, app, post):
    entry = add_approved_comment(app, post)
    link = parsed(client.get(POST_FEED)).entries[0].link
    target = urlsplit(link)
    assert (target.scheme, target.netloc) == ("http", "localhost")
    place = client.get(target.path)
    assert place.status_code == 302
    assert place.headers["Location"] == f"/posts/a-post/#comment-{entry.id}"
    page = client.get(place.headers["Location"]).get_data(as_text=True)
    assert f'id="comment-{entry.id}"' in page


def test_markup_in_a_comment_stays_the_sanitised_html_escaped_in_xml(client, app, post):
    text = (
        'Look <script>alert("x")</script> <b onclick="steal()">bold</b> '
        '<a href="javascript:x">a</a>'
    )
    entry_id = add_comment(app, text, Status.APPROVED)
    with app.app_context():
        stored = db.get_session().get(Entry, entry_id).body_html
    assert "<script>" not in stored and "onclick" not in stored and "javascript:" not in stored

    body = client.get(POST_FEED).get_data()

    content = ElementTree.fromstring(body).find(f"{ATOM}entry/{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == stored  # the sanitised HTML, as text: escaped once in the XML
    assert len(content) == 0  # no element of markup inside <content>
    assert b"<script" not in body and b"<b " not in body


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_feeds_are_public_reads_with_no_cookie(client, app, post, url):
    add_approved_comment(app, post)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response.cache_control.public
    assert response.cache_control.max_age == app.config["PAGE_MAX_AGE"]
    assert response.headers["ETag"].startswith('W/"')
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary  # one copy for every reader


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_a_reader_with_a_pending_comment_gets_the_shared_feed_without_it(client, app, post, url):
    """The feed shows no one's own pending entry, so it stays public even for its author
    (who holds the pending-entry and remember-me cookies)."""
    assert submit(client, remember="y").status_code == 303
    response = client.get(url)
    assert parsed(response).entries == []
    assert response.cache_control.public and not response.cache_control.no_store
    assert "Set-Cookie" not in response.headers
    assert COMMENT["email"] not in response.get_data(as_text=True)


def test_a_moderator_gets_the_feed_without_a_cookie(moderator, app, post):
    response = moderator.get(POST_FEED)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_feeds_answer_304_until_an_entry_is_approved(client, app, post, url):
    add_approved_comment(app, post)
    first = client.get(url)
    tag = first.headers["ETag"]

    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert "Set-Cookie" not in again.headers

    pending = add_comment(app, "Held for now.", name="Later Reader")
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    approve(app, pending)
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert "Comment by Later Reader" in changed.get_data(as_text=True)


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_a_feed_takes_two_queries_and_its_304_one(client, app, post, count_queries, url):
    seed_many(app, post.id, 20, Status.APPROVED)
    add_pingback(app, post)
    with count_queries() as counted:
        tag = client.get(url).headers["ETag"]
    assert len(counted) <= 2, counted
    with count_queries() as counted:
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert len(counted) == 1, counted


def test_the_post_page_links_its_feed_and_the_site_feed(client, post):
    page = client.get("/posts/a-post/").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Comments on “A Post”" '
        'href="/posts/a-post/comments.atom">'
    ) in page
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Recent comments" '
        'href="/comments.atom">'
    ) in page
    # The post's own feed first: a reader subscribes to the first one it finds.
    assert page.index("/posts/a-post/comments.atom") < page.index('href="/comments.atom"')


def test_the_index_links_the_site_feed(client, post):
    page = client.get("/").get_data(as_text=True)
    assert 'type="application/atom+xml" title="Recent comments" href="/comments.atom"' in page
    assert "/posts/a-post/comments.atom" not in page


@pytest.mark.parametrize("url", [POST_FEED, SITE_FEED])
def test_without_its_own_address_the_site_serves_no_feed_and_links_none(make_app, url):
    """Atom's ids are absolute: with neither SITE_URL nor TRUSTED_HOSTS, 503 naming them."""
    app = make_app(SITE_URL=None, TRUSTED_HOSTS=None)
    client = app.test_client()
    create_post(app)
    response = client.get(url)
    assert response.status_code == 503
    assert "SITE_URL" in response.get_data(as_text=True)
    assert "application/atom+xml" not in client.get("/posts/a-post/").get_data(as_text=True)
    assert "application/atom+xml" not in client.get("/").get_data(as_text=True)


def test_site_url_makes_the_feeds_addresses(make_app):
    app = make_app(SITE_URL="https://news.example/comments")
    client = app.test_client()
    create_post(app)
    entry_id = add_comment(app, "Hello.", Status.APPROVED)
    feed = parsed(client.get(POST_FEED))
    assert feed.feed.id == "https://news.example/comments/posts/a-post/comments.atom"
    assert feed.entries[0].id == f"https://news.example/comments/comments/{entry_id}"


@pytest.fixture
def thread(app):
    """A registered site and the thread of one of its pages, created as its first comment
    creates it (services.sites.thread_for)."""
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, "https://blog.example")
        post = sites.thread_for(session, PAGE, "Hello, world")
        session.commit()
        return post


def test_a_url_thread_has_the_feed_of_its_post(client, app, thread):
    entry_id = add_comment(app, "On the blog's page.", Status.APPROVED, slug=thread.slug)
    add_comment(app, "Still pending.", slug=thread.slug, name="Pending Person")
    # Spelled as a reader's browser may have it: the thread is the canonical URL.
    asked = client.get(THREAD_FEED, query_string={"url": "HTTPS://Blog.example:443/2026/hello/#c"})

    feed = parsed(asked)

    same = parsed(client.get(f"/posts/{thread.slug}/comments.atom"))
    assert feed.feed.title == same.feed.title == "Comments on “Hello, world”"
    assert feed.feed.id == same.feed.id
    assert [entry.id for entry in feed.entries] == [f"http://localhost/comments/{entry_id}"]
    assert [entry.id for entry in same.entries] == [f"http://localhost/comments/{entry_id}"]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["alternate"] == PAGE  # the page on the blog, not ours
    self_link = urlsplit(links["self"])
    assert self_link._replace(query="").geturl() == "http://localhost/feeds/thread.atom"
    assert parse_qs(self_link.query) == {"url": [PAGE]}
    assert asked.cache_control.public and "Set-Cookie" not in asked.headers
    assert (
        client.get(THREAD_FEED, query_string={"url": PAGE}).headers["ETag"] == asked.headers["ETag"]
    )


def test_a_url_thread_feed_answers_304_on_a_few_queries(client, app, thread, count_queries):
    add_comment(app, "On the blog's page.", Status.APPROVED, slug=thread.slug)
    with count_queries() as counted:
        tag = client.get(THREAD_FEED, query_string={"url": PAGE}).headers["ETag"]
    assert len(counted) <= 4, counted  # the site, the post, the version, the entries
    with count_queries() as counted:
        again = client.get(THREAD_FEED, query_string={"url": PAGE}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert len(counted) <= 3, counted


def test_a_page_with_no_thread_yet_has_no_feed(client, app, thread):
    response = client.get(THREAD_FEED, query_string={"url": "https://blog.example/other/"})
    assert response.status_code == 404
    assert feeds.NO_THREAD in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://elsewhere.example/2026/hello/", sites.NOT_ON_A_SITE),
        ("", sites.NOT_A_WEB_URL),
        ("not a url", sites.NOT_A_WEB_URL),
    ],
)
def test_a_url_outside_every_site_is_refused_with_the_reason(client, app, thread, url, reason):
    response = client.get(THREAD_FEED, query_string={"url": url})
    assert response.status_code == 400
    assert escape(reason) in response.get_data(as_text=True)  # as the error page shows it


@pytest.mark.parametrize(
    ("entry_type", "kind", "post_title", "title"),
    [
        (EntryType.COMMENT, None, "", "Comment by Ada"),
        (EntryType.PINGBACK, None, "", "Pingback: Ada"),
        (EntryType.TRACKBACK, None, "", "Trackback: Ada"),
        (EntryType.WEBMENTION, None, "", "Mention: Ada"),
        (EntryType.WEBMENTION, MentionKind.MENTION, "", "Mention: Ada"),
        (EntryType.WEBMENTION, MentionKind.REPLY, "", "Reply by Ada"),
        (EntryType.WEBMENTION, MentionKind.LIKE, "", "Liked by Ada"),
        (EntryType.WEBMENTION, MentionKind.REPOST, "", "Reposted by Ada"),
        (EntryType.WEBMENTION, MentionKind.BOOKMARK, "", "Bookmark: Ada"),
        (EntryType.COMMENT, None, "A Post", "Comment by Ada on “A Post”"),
    ],
)
def test_an_entry_is_titled_as_the_post_page_introduces_it(entry_type, kind, post_title, title):
    assert atom.entry_title(entry_type, kind, "Ada", post_title) == title


def test_a_linkback_title_with_characters_xml_cannot_hold_still_makes_a_feed(client, app, post):
    add_pingback(app, post, title="Tab\tand\x0bvertical\x1ftab")
    feed = parsed(client.get(POST_FEED))
    assert feed.entries[0].title == "Pingback: Tab\tand\ufffdvertical\ufffdtab"
