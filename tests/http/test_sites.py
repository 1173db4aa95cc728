"""Sites (issue 13): registered with the command line, holding the threads of their pages,
whose titles a job reads; the queue filtered by site."""

import re

import pytest
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Entry, Job, Post
from moderation.rules import errors
from moderation.rules.limits import SLUG_MAX_CHARS, TITLE_MAX_CHARS
from moderation.services import posts, sites
from tests.helpers import add_comment

ROW = re.compile(r'<li class="row status-\w+" id="entry-(\d+)"')
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def add_site(app, url: str, **options) -> int:
    with app.app_context():
        session = db.get_session()
        site = sites.add_site(session, url, **options)
        session.commit()
        return site.id


def thread(app, url: str, title: str = "") -> Post:
    with app.app_context():
        session = db.get_session()
        post = sites.thread_for(session, url, title)
        session.commit()
        return post


def all_posts(app) -> list[Post]:
    with app.app_context():
        return list(db.get_session().scalars(select(Post).order_by(Post.id)))


# The command line


def test_sites_add_prints_the_origin(runner):
    result = runner.invoke(args=["sites", "add", "HTTPS://Blog.Example:443/"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "https://blog.example"


def test_sites_list_shows_origin_name_query_and_post_count(app, runner):
    add_site(app, "https://blog.example", name="My  blog")
    add_site(app, "https://wp.example", keep_query=True)
    thread(app, "https://blog.example/a/")
    thread(app, "https://blog.example/b/")
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "https://blog.example  My blog  drops the query  2 posts",
        "https://wp.example  -  keeps the query  0 posts",
    ]


def test_sites_add_takes_a_name_and_keep_query(app, runner):
    result = runner.invoke(
        args=["sites", "add", "https://wp.example/", "--name", "WordPress", "--keep-query"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        [site] = sites.all_sites(db.get_session())
        assert (site.origin, site.name, site.keep_query) == (
            "https://wp.example",
            "WordPress",
            True,
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["blog.example"], "http:// or https:// origin"),
        (["ftp://blog.example"], "http:// or https:// origin"),
        (["https://blog.example/blog/"], "origin only, with no path"),
        (["https://blog.example/?p=1"], "origin only, with no path"),
        (["https://blog.example/?"], "origin only, with no path"),
        (["https://blog.example/#top"], "origin only, with no path"),
        (["https://ada:secret@blog.example"], "no user name or password"),
        (["https://blog.example", "--name", "n" * 301], "at most 300 characters"),
        (["https://BLOG.example:443"], "https://blog.example is registered already"),
    ],
)
def test_sites_add_refuses_bad_input_with_exit_status_1(app, runner, arguments, message):
    add_site(app, "https://blog.example")
    result = runner.invoke(args=["sites", "add", *arguments])
    assert result.exit_code == 1
    assert "Error: " in result.output and message in result.output
    with app.app_context():
        assert sites.site_origins(db.get_session()) == ["https://blog.example"]


def test_sites_remove_keeps_the_posts_and_their_entries(app, runner):
    add_site(app, "https://blog.example")
    post = thread(app, "https://blog.example/2026/a-post/")
    entry_id = add_comment(app, "Kept after the site goes.", slug=post.slug)
    result = runner.invoke(args=["sites", "remove", "https://blog.example/"])
    assert result.exit_code == 0, result.output
    assert "https://blog.example removed" in result.output
    with app.app_context():
        session = db.get_session()
        assert sites.all_sites(session) == []
        kept = session.get(Post, post.id)
        assert (kept.url, kept.site_id) == ("https://blog.example/2026/a-post/", None)
        assert session.get(Entry, entry_id) is not None


@pytest.mark.parametrize("url", ["https://blog.example", "not a url"])
def test_sites_remove_of_an_unknown_site_exits_1(runner, url):
    result = runner.invoke(args=["sites", "remove", url])
    assert result.exit_code == 1
    assert f"Error: No site is registered at {url}." in result.output


def test_posts_create_with_a_url_outside_every_site_is_refused(app, runner):
    url = "https://elsewhere.example/2026/a-post/"
    result = runner.invoke(args=["posts", "create", "--slug", "ext", "--title", "T", "--url", url])
    assert result.exit_code == 1
    assert "flask sites add https://elsewhere.example" in result.output
    assert all_posts(app) == []


def test_posts_create_with_a_url_belongs_to_its_site(app, runner):
    site_id = add_site(app, "https://elsewhere.example")
    url = "https://elsewhere.example/2026/A-Post/"
    result = runner.invoke(args=["posts", "create", "--slug", "ext", "--title", "T", "--url", url])
    assert result.exit_code == 0, result.output
    [post] = all_posts(app)
    assert (post.url, post.site_id) == (url, site_id)  # the URL as typed


# Threads


def test_thread_for_creates_the_post_once(app):
    site_id = add_site(app, "https://blog.example")
    first = thread(app, "https://blog.example/2026/hello/", "Hello")
    again = thread(app, "https://Blog.Example:443/2026/hello/?utm_source=feed#comments")
    assert again.id == first.id
    [post] = all_posts(app)
    assert (post.url, post.site_id, post.title) == (
        "https://blog.example/2026/hello/",
        site_id,
        "Hello",
    )
    assert post.slug == "blog-example-2026-hello"


def test_a_site_that_keeps_the_query_has_a_thread_per_query(app):
    add_site(app, "https://wp.example", keep_query=True)
    one = thread(app, "https://wp.example/?p=1#comments")
    two = thread(app, "https://wp.example/?p=2")
    assert one.id != two.id
    assert (one.url, two.url) == ("https://wp.example/?p=1", "https://wp.example/?p=2")
    assert thread(app, "https://wp.example/?p=1").id == one.id


def test_find_thread_finds_a_post_made_with_posts_create(app):
    add_site(app, "https://blog.example")
    with app.app_context():
        session = db.get_session()
        made = posts.create_post(session, "made", "Made", url="https://blog.example/made")
        session.commit()
        assert sites.find_thread(session, "https://blog.example/made#c1").id == made.id
        assert sites.find_thread(session, "https://blog.example/other") is None


def test_thread_slugs_are_unique_and_fit_the_slug_rule(app):
    add_site(app, "https://blog.example")
    made = [
        thread(app, url)
        for url in (
            "https://blog.example/a-b",
            "https://blog.example/a/b",
            "https://blog.example/a--b/",
            "https://blog.example/" + "x" * 400,
            "https://blog.example/" + "x" * 401,
            "https://blog.example/%C3%A9t%C3%A9",
        )
    ]
    slugs = [post.slug for post in made]
    assert slugs[:3] == ["blog-example-a-b", "blog-example-a-b-2", "blog-example-a-b-3"]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.match(slug) and len(slug) <= SLUG_MAX_CHARS for slug in slugs)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("  A   data-title  ", "A data-title"),
        ("t" * 400, "t" * TITLE_MAX_CHARS),
        ("", "https://blog.example/untitled"),
    ],
)
def test_a_new_thread_takes_the_embeds_title_or_its_url_meanwhile(app, title, expected):
    add_site(app, "https://blog.example")
    assert thread(app, "https://blog.example/untitled", title).title == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://elsewhere.example/post", sites.NOT_ON_A_SITE),
        ("http://blog.example/post", sites.NOT_ON_A_SITE),  # another origin
        ("https://blog.example:8443/post", sites.NOT_ON_A_SITE),
        ("javascript:alert(1)", sites.NOT_A_WEB_URL),
        ("/post", sites.NOT_A_WEB_URL),
        ("", sites.NOT_A_WEB_URL),
    ],
)
def test_a_url_outside_every_site_is_refused_and_makes_no_post(app, url, message):
    add_site(app, "https://blog.example")
    with app.app_context():
        session = db.get_session()
        for use in (sites.find_thread, sites.thread_for):
            with pytest.raises(errors.Refused) as refused:
                use(session, url)
            assert (refused.value.message, refused.value.field) == (message, "url")
    assert all_posts(app) == []


def test_site_for_and_site_origins(app, count_queries):
    blog = add_site(app, "https://blog.example")
    add_site(app, "http://127.0.0.1:8000")
    with app.app_context():
        session = db.get_session()
        assert sites.site_for(session, "https://BLOG.example/any/page?q").id == blog
        assert sites.site_for(session, "https://www.blog.example/") is None
        assert sites.site_for(session, "no url") is None
        with count_queries() as statements:
            origins = sites.site_origins(session)
        assert origins == ["http://127.0.0.1:8000", "https://blog.example"]
        assert len(statements) == 1


# The title job


@pytest.fixture
def fetching_app(make_app):
    """The fetcher may read pages from the local test server, within a short deadline."""
    return make_app(
        LINKBACK_ALLOW_PRIVATE_HOSTS=True,
        LINKBACK_FETCH_TIMEOUT=2.0,
        JOB_MAX_ATTEMPTS=1,
        JOB_RETRY_SECONDS=0.01,
    )


def test_the_title_job_sets_the_title_from_the_page(fetching_app, source_server):
    app = fetching_app
    url = source_server.page(
        "/2026/river.html",
        "<!doctype html><title>\n  The River,   in Spring </title><h1>Elsewhere</h1>",
    )
    add_site(app, source_server.base_url)
    post = thread(app, url, "Meanwhile")
    assert post.title == "Meanwhile"
    assert jobs.run_due_jobs(app) == 1
    with app.app_context():
        session = db.get_session()
        assert session.get(Post, post.id).title == "The River, in Spring"
        [job] = session.scalars(select(Job))
        assert (job.kind, job.subject_id, job.state.value) == ("fetch-title", post.id, "done")
    [request] = source_server.requests
    assert request.path == "/2026/river.html"


@pytest.mark.parametrize(
    ("body", "status"),
    [("<title>Not found</title>", 404), ("<p>No title here.</p>", 200)],
)
def test_the_title_stays_when_the_page_gives_none(fetching_app, source_server, body, status):
    app = fetching_app
    url = source_server.page("/gone.html", body, status=status)
    add_site(app, source_server.base_url)
    post = thread(app, url, "Meanwhile")
    jobs.run_due_jobs(app)
    with app.app_context():
        assert db.get_session().get(Post, post.id).title == "Meanwhile"


def test_the_title_stays_when_the_page_cannot_be_fetched(fetching_app, source_server):
    app = fetching_app
    add_site(app, source_server.base_url)
    post = thread(app, source_server.url("/broken"), "Meanwhile")
    source_server.handle("/broken", lambda handler: handler.connection.close())
    jobs.run_due_jobs(app)
    with app.app_context():
        session = db.get_session()
        assert session.get(Post, post.id).title == "Meanwhile"
        [job] = session.scalars(select(Job))
        assert job.state.value == "failed"


def test_a_thread_not_committed_leaves_no_post_and_no_job(app):
    add_site(app, "https://blog.example")
    with app.app_context():
        session = db.get_session()
        sites.thread_for(session, "https://blog.example/refused-comment")
        session.rollback()
        assert session.scalars(select(Post)).all() == []
        assert session.scalars(select(Job)).all() == []


# The dashboard


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


def test_the_queue_filters_by_site(app, moderator, post, count_queries):
    blog = add_site(app, "https://blog.example", name="Blog")
    news = add_site(app, "https://news.example")
    on_blog = add_comment(app, "On the blog", slug=thread(app, "https://blog.example/a").slug)
    on_news = add_comment(app, "On the news", slug=thread(app, "https://news.example/b").slug)
    ours = add_comment(app, "On our own post")
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert '<select name="site">' in page
    assert f'<option value="{blog}">Blog (https://blog.example)</option>' in page
    assert f'<option value="{news}">https://news.example</option>' in page
    with count_queries() as statements:
        listed = _listed(moderator.get("/moderation/", query_string={"site": blog}))
    assert listed == [on_blog]
    assert len(statements) <= 4, statements
    assert _listed(moderator.get("/moderation/", query_string={"site": news})) == [on_news]
    assert _listed(moderator.get("/moderation/")) == [ours, on_news, on_blog]
    assert _listed(moderator.get("/moderation/", query_string={"site": "x"})) == [
        ours,
        on_news,
        on_blog,
    ]
    page = moderator.get("/moderation/", query_string={"site": blog}).get_data(as_text=True)
    assert f'<option value="{blog}" selected>' in page


def test_the_queue_offers_no_site_filter_without_sites(moderator, post):
    assert 'name="site"' not in moderator.get("/moderation/").get_data(as_text=True)


def test_the_posts_list_shows_the_site_of_a_post(app, moderator, post):
    add_site(app, "https://blog.example")
    thread(app, "https://blog.example/a", "Elsewhere")
    page = moderator.get("/moderation/posts").get_data(as_text=True)
    assert "on https://blog.example" in page
    assert page.count("on https://") == 1  # our own post has no site
