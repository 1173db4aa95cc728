"""Linkbacks to the pages of a registered site (issue 13): the first one that succeeds
makes the page's thread; one refused leaves nothing; a page outside every site is refused
as before."""

import xmlrpc.client

import pytest
import requests
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import Job, Post
from moderation.rules.statuses import EntryType, Status
from moderation.services import sites
from tests.helpers import entries, time_passes
from tests.http.linkback.test_pingback import TITLE, fault_of, linking_page

PAGE = "https://blog.example/2026/a-new-page/"


@pytest.fixture
def blog(app) -> int:
    with app.app_context():
        session = db.get_session()
        site = sites.add_site(session, "https://blog.example")
        session.commit()
        return site.id


@pytest.fixture
def endpoint(live_server) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"{live_server}/xmlrpc")


def threads(app) -> list[Post]:
    with app.app_context():
        return list(db.get_session().scalars(select(Post).where(Post.site_id.is_not(None))))


def jobs_of(app, kind: str) -> list[Job]:
    with app.app_context():
        return list(db.get_session().scalars(select(Job).where(Job.kind == kind)))


def test_a_pingback_to_a_page_of_a_registered_site_creates_its_thread(
    app, blog, endpoint, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    endpoint.pingback.ping(source, PAGE + "#comments")
    [post] = threads(app)
    assert (post.url, post.site_id, post.slug) == (PAGE, blog, "blog-example-2026-a-new-page")
    [entry] = entries(app)
    assert (entry.post_id, entry.type, entry.status) == (
        post.id,
        EntryType.PINGBACK,
        Status.PENDING,
    )
    assert entry.source_title == TITLE
    [job] = jobs_of(app, sites.FETCH_TITLE)
    assert job.subject_id == post.id
    # A second source pings the same page a minute later: the same thread.
    time_passes(app)
    other = source_server.page("/other.html", linking_page(PAGE.rstrip("/")))
    endpoint.pingback.ping(other, PAGE)
    assert [p.id for p in threads(app)] == [post.id]
    assert len(entries(app)) == 2


def test_a_refused_pingback_to_such_a_page_leaves_no_thread(app, blog, endpoint, source_server):
    source = source_server.page("/week.html", "<p>No link to the page here.</p>")
    assert fault_of(lambda: endpoint.pingback.ping(source, PAGE)) == 17
    assert threads(app) == []
    assert jobs_of(app, sites.FETCH_TITLE) == []


def test_a_pingback_to_a_page_outside_every_site_is_still_fault_33(
    app, blog, endpoint, source_server
):
    target = "https://elsewhere.example/2026/a-page/"
    source = source_server.page("/week.html", linking_page(target))
    with pytest.raises(xmlrpc.client.Fault) as raised:
        endpoint.pingback.ping(source, target)
    assert raised.value.faultCode == 33
    assert raised.value.faultString == "The target URL is not a post of this site."
    assert threads(app) == [] and source_server.requests == []


def test_a_webmention_to_a_page_of_a_registered_site_creates_its_thread(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = requests.post(
        f"{live_server}/webmention", data={"source": source, "target": PAGE}, timeout=5
    )
    assert answer.status_code == 201, answer.text
    [post] = threads(app)
    assert (post.url, post.site_id) == (PAGE, blog)
