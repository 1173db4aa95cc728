"""Linkbacks to the pages of a registered site (issue 13): the first one that succeeds
makes the page's thread (a webmention's once its source is verified, never on arrival);
one refused leaves nothing; a page outside every site is refused as before."""

import xmlrpc.client

import pytest
import requests
from sqlalchemy import delete, event, select

from moderation.infra import db, jobs
from moderation.infra.models import Job, JobState, Mention, Post
from moderation.rules.statuses import EntryType, MentionState, Status
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


def test_a_pingback_to_a_page_with_no_thread_writes_nothing_while_its_source_is_read(
    app, blog, endpoint, source_server
):
    """The thread is made once the source is verified: no write (and on SQLite no write
    lock) is held while a slow source keeps the fetch waiting."""
    written: list[str] = []
    during_fetch: list[list[str]] = []

    def watch(connection, cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            written.append(statement)

    def serve(handler) -> None:
        during_fetch.append(list(written))
        body = linking_page(PAGE).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    source = source_server.handle("/week.html", serve)
    engine = app.extensions["moderation.engine"]
    event.listen(engine, "before_cursor_execute", watch)
    try:
        endpoint.pingback.ping(source, PAGE)
    finally:
        event.remove(engine, "before_cursor_execute", watch)

    assert during_fetch == [[]]
    assert len(threads(app)) == 1 and len(entries(app)) == 1


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


def send_webmention(live_server: str, source: str, target: str = PAGE) -> requests.Response:
    return requests.post(
        f"{live_server}/webmention", data={"source": source, "target": target}, timeout=5
    )


def status_of(response: requests.Response) -> dict:
    return requests.get(response.headers["Location"], timeout=5).json()


def mentions(app) -> list[Mention]:
    with app.app_context():
        return list(db.get_session().scalars(select(Mention).order_by(Mention.id)))


def test_a_webmention_to_a_page_of_a_registered_site_creates_its_thread(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source)
    assert answer.status_code == 201, answer.text
    assert threads(app) == []  # made once the source is found to link to the page
    jobs.run_due_jobs(app)
    [post] = threads(app)
    assert (post.url, post.site_id) == (PAGE, blog)


def test_a_webmention_to_a_page_with_no_thread_makes_none_on_arrival(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source, PAGE + "#comments")
    assert answer.status_code == 201, answer.text
    assert threads(app) == [] and jobs_of(app, sites.FETCH_TITLE) == []
    assert source_server.requests == []  # nothing fetched during the request
    [mention] = mentions(app)
    assert (mention.post_id, mention.target) == (None, PAGE + "#comments")
    assert status_of(answer)["status"] == "queued"


def test_a_verified_webmention_makes_the_thread_with_its_entry_pending(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source)
    assert jobs.run_due_jobs(app) == 1
    [post] = threads(app)
    assert (post.url, post.site_id, post.slug) == (PAGE, blog, "blog-example-2026-a-new-page")
    [entry] = entries(app)
    assert (entry.post_id, entry.type, entry.status) == (
        post.id,
        EntryType.WEBMENTION,
        Status.PENDING,
    )
    [mention] = mentions(app)
    assert (mention.post_id, mention.entry_id) == (post.id, entry.id)
    [job] = jobs_of(app, sites.FETCH_TITLE)
    assert (job.subject_id, job.state) == (post.id, JobState.QUEUED)
    assert status_of(answer)["status"] == "verified"


@pytest.mark.parametrize(
    "body",
    ["<p>No link to the page here.</p>", '<a href="https://blog.example/2026/other/">near</a>'],
)
def test_a_webmention_whose_source_does_not_link_never_makes_a_thread(
    app, blog, live_server, source_server, body
):
    source = source_server.page("/week.html", body)
    answer = send_webmention(live_server, source)
    assert answer.status_code == 201, answer.text
    jobs.run_due_jobs(app)
    status = status_of(answer)
    assert status["status"] == "rejected"
    assert "does not link to the target" in status["summary"]
    assert threads(app) == [] and entries(app) == []
    assert jobs_of(app, sites.FETCH_TITLE) == []
    [mention] = mentions(app)
    assert mention.post_id is None


def test_made_up_webmentions_to_many_pages_leave_no_post_and_fetch_no_page(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", "<p>Nothing here links anywhere.</p>")
    pages = [f"https://blog.example/made-up/{n}/" for n in range(3)]
    answers = [send_webmention(live_server, source, page) for page in pages]
    assert [answer.status_code for answer in answers] == [201] * 3
    assert threads(app) == [] and jobs_of(app, sites.FETCH_TITLE) == []
    jobs.run_due_jobs(app)
    assert threads(app) == [] and jobs_of(app, sites.FETCH_TITLE) == []
    assert [m.state for m in mentions(app)] == [MentionState.REJECTED] * 3


def test_an_existing_thread_receives_webmentions_as_before(app, blog, live_server, source_server):
    with app.app_context():
        session = db.get_session()
        thread = sites.thread_for(session, PAGE, "A new page")
        session.commit()
        thread_id = thread.id
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source)
    assert answer.status_code == 201, answer.text
    [mention] = mentions(app)
    assert mention.post_id == thread_id  # known on arrival, as for any post
    jobs.run_due_jobs(app)
    assert [p.id for p in threads(app)] == [thread_id]
    [entry] = entries(app)
    assert (entry.post_id, entry.status) == (thread_id, Status.PENDING)
    assert len(jobs_of(app, sites.FETCH_TITLE)) == 1  # the thread's own, from thread_for


def test_an_existing_thread_closed_to_pings_refuses_webmentions(app, blog, live_server):
    with app.app_context():
        session = db.get_session()
        sites.thread_for(session, PAGE).pings_open = False
        session.commit()
    answer = send_webmention(live_server, "https://elsewhere.example/a")
    assert answer.status_code == 400
    assert "does not accept webmentions" in answer.text
    assert mentions(app) == []


def test_a_webmention_to_a_page_outside_every_site_is_still_refused(app, blog, live_server):
    answer = send_webmention(live_server, "https://elsewhere.example/a", "https://other.example/p")
    assert answer.status_code == 400
    assert "The target is not a post on this site." in answer.text
    assert mentions(app) == [] and threads(app) == []


def test_a_webmention_sent_twice_before_its_thread_exists_makes_one_thread_and_entry(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    first = send_webmention(live_server, source)
    second = send_webmention(live_server, source)
    jobs.run_due_jobs(app)
    [post] = threads(app)
    [entry] = entries(app)
    assert [(m.post_id, m.entry_id) for m in mentions(app)] == [(post.id, entry.id)] * 2
    assert status_of(first)["status"] == status_of(second)["status"] == "verified"
    assert len(jobs_of(app, sites.FETCH_TITLE)) == 1


def test_a_webmention_waiting_when_its_site_is_removed_is_rejected(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source)
    with app.app_context():
        session = db.get_session()
        sites.remove_site(session, "https://blog.example")
        session.commit()
    jobs.run_due_jobs(app)
    status = status_of(answer)
    assert status["status"] == "rejected"
    assert "no longer on a site" in status["summary"]
    with app.app_context():
        assert db.get_session().scalars(select(Post)).all() == []


def test_deleting_a_thread_made_by_a_webmention_deletes_its_mention_and_entry(
    app, blog, live_server, source_server
):
    source = source_server.page("/week.html", linking_page(PAGE))
    answer = send_webmention(live_server, source)
    jobs.run_due_jobs(app)
    [post] = threads(app)
    with app.app_context():
        session = db.get_session()
        session.execute(delete(Post).where(Post.id == post.id))
        session.commit()
    assert mentions(app) == [] and entries(app) == []
    assert requests.get(answer.headers["Location"], timeout=5).status_code == 404
