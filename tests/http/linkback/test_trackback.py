"""TrackBack 1.2 over real HTTP: the RDF discovery block, each error and its XML, the
charset, and verification of the source by the job queue (unlike WordPress)."""

import re
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import urlencode

import pytest
import requests

from moderation.infra import jobs
from moderation.rules.statuses import EntryType, Status
from moderation.services.linkbacks import recording
from tests.helpers import approve, entries
from tests.http.linkback.dashboard import act, close_pings

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def ping_url(target) -> str:
    """The TrackBack URL, read from the RDF block on the post page."""
    page = requests.get(target, timeout=5).text
    [about] = re.findall(r'rdf:about="([^"]+)"', page)
    [ping] = re.findall(r'trackback:ping="([^"]+)"', page)
    assert about == target
    return ping


def send(ping_url: str, charset: str = "utf-8", **fields) -> requests.Response:
    return requests.post(
        ping_url,
        data=urlencode(fields, encoding=charset),
        headers={"Content-Type": f"{FORM}; charset={charset}"},
        timeout=5,
    )


def answer(response: requests.Response) -> tuple[str, str | None]:
    """The <error> and <message> of a TrackBack response."""
    assert response.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "response"
    return root.findtext("error"), root.findtext("message")


def linking(target: str) -> str:
    return f'<html><title>Blog</title><p>See <a href="{target}">this post</a>.</p></html>'


def test_a_trackback_is_queued_verified_and_shown_once_approved(
    app, ping_url, target, source_server
):
    source = source_server.page("/entry", linking(target))
    response = send(
        ping_url, url=source, title="A Reply Post", excerpt="Some words", blog_name="Other Blog"
    )
    assert response.status_code == 200
    assert answer(response) == ("0", None)
    [entry] = entries(app)
    assert (entry.type, entry.status, entry.author, entry.body) == (
        EntryType.TRACKBACK,
        Status.PENDING,
        "A Reply Post",
        "Some words",
    )
    assert "being verified" in entry.reason
    assert "A Reply Post" not in requests.get(target, timeout=5).text
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.reason) == (Status.PENDING, recording.HELD_FOR_MODERATOR)
    approve(app, entry.id)
    page = requests.get(target, timeout=5).text
    assert f'Trackback: <a href="{source}" rel="nofollow ugc">A Reply Post</a>' in page
    assert "Some words" in page


def test_a_trackback_whose_page_does_not_link_to_the_post_is_spam(
    app, ping_url, source_server, moderator
):
    source = source_server.page("/entry", "<html><title>Spam</title><p>Buy now</p></html>")
    assert answer(send(ping_url, url=source, title="Cheap pills")) == ("0", None)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason) == (
        Status.SPAM,
        "no-link",
        "spam: the source does not link to the post",
    )
    spam = "/moderation/?status=spam&rule={}"
    assert "Cheap pills" in moderator.get(spam.format("no-link")).get_data(as_text=True)
    assert "Cheap pills" not in moderator.get(spam.format("links")).get_data(as_text=True)


# The moderator acts before the verification job runs; each action, from the tab that
# shows its button.
DECISIONS = [
    [("approve", "all")],
    [("spam", "all")],
    [("trash", "all")],
    [("spam", "all"), ("not-spam", "spam")],
    [("trash", "all"), ("restore", "trash")],
]
DECISION_IDS = ["-then-".join(action for action, _ in steps) for steps in DECISIONS]


@pytest.mark.parametrize(
    "status", [200, 503], ids=["source-without-link", "source-failing-until-given-up"]
)
@pytest.mark.parametrize("decision", DECISIONS, ids=DECISION_IDS)
def test_a_moderators_decision_stands_when_the_verification_job_runs_later(
    app, ping_url, source_server, moderator, decision, status
):
    page = "<html><title>Words</title><p>No link.</p></html>"
    source = source_server.page("/entry", page, status=status)
    assert answer(send(ping_url, url=source, title="Decided by hand")) == ("0", None)
    [entry] = entries(app)
    for action, tab in decision:
        act(moderator, entry.id, action, tab)
    [decided] = entries(app)
    # Left to itself, the job would mark it spam (no link), or say it could not verify it.
    jobs.run_due_jobs(app)
    time.sleep(0.05)  # JOB_RETRY_SECONDS is 0.01, and the second attempt is the last
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason) == (
        decided.status,
        "moderator",
        decided.reason,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "The url parameter is required."),
        ({"url": ""}, "The url parameter is required."),
        ({"url": "javascript:alert(1)"}, "The url parameter must be an absolute http"),
    ],
)
def test_a_ping_without_a_good_url_is_error_1(app, ping_url, fields, message):
    error, text = answer(send(ping_url, **fields))
    assert error == "1" and message in text
    assert entries(app) == []


def test_an_unknown_post_is_404_and_error_1(live_server, post):
    response = send(f"{live_server}/posts/no-such-post/trackback", url="http://blog.example/")
    assert response.status_code == 404
    assert answer(response) == ("1", "There is no post at this address.")


def test_trackbacks_closed_is_error_1(app, ping_url, moderator, post):
    close_pings(moderator, post)
    error, text = answer(send(ping_url, url="http://blog.example/entry"))
    assert (error, text) == ("1", "Sorry, trackbacks are closed for this item.")


def test_a_second_ping_from_the_same_url_is_error_1(app, ping_url, source_server, target):
    source = source_server.page("/entry", linking(target))
    assert answer(send(ping_url, url=source)) == ("0", None)
    assert answer(send(ping_url, url=source + "#again")) == (
        "1",
        "We already have a ping from that URL for this post.",
    )
    assert len(entries(app)) == 1


@pytest.mark.parametrize("charset", ["iso-8859-1", "shift_jis", "utf-8"])
def test_the_charset_of_the_ping_is_honoured(app, ping_url, charset):
    title = {"iso-8859-1": "Café crème", "shift_jis": "日本語のタイトル", "utf-8": "Ünïcödé ✓"}[
        charset
    ]
    assert answer(send(ping_url, charset, url="http://blog.example/e", title=title))[0] == "0"
    [entry] = entries(app)
    assert entry.author == title


def test_long_titles_and_excerpts_are_cut(app, ping_url):
    send(ping_url, url="http://blog.example/e", title="t" * 400, excerpt="e" * 400)
    [entry] = entries(app)
    assert len(entry.author) <= 250 and len(entry.body) <= 253


def test_a_long_title_is_cut_to_an_author_names_245_bytes(app, ping_url):
    send(ping_url, url="http://blog.example/e", title="é" * 250)
    [entry] = entries(app)
    assert entry.author == "é" * 122


def test_a_body_over_64_kib_is_413(ping_url):
    assert send(ping_url, url="http://blog.example/e", excerpt="x" * 70_000).status_code == 413
