"""Webmention over real HTTP: discovery, the checks on receipt, verification by the job
queue, h-entry replies and reactions, updates and deletes, and the status URL.

Sources come from a real server on 127.0.0.1 (so private hosts are allowed here); the
sender is `requests`, with the endpoint discovered from the post page. Jobs are run by
`jobs.run_due_jobs`, the same code the worker pool runs, so each test is deterministic.
"""

import hashlib
import re
import time

import pytest
import requests
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Mention
from moderation.rules.statuses import EntryType, MentionKind, Status
from tests.conftest import REDIS_URL
from tests.helpers import approve, entries, save_settings
from tests.http.linkback.dashboard import act, close_pings, queue_row

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def endpoint(target) -> str:
    """The endpoint, discovered from the post page's Link header (Webmention §3.1.2)."""
    page = requests.get(target, timeout=5)
    [link] = re.findall(r'<link rel="webmention" href="([^"]+)">', page.text)
    assert page.links["webmention"]["url"] == link
    return link


def send(endpoint: str, source: str, target: str) -> requests.Response:
    return requests.post(
        endpoint, data={"source": source, "target": target}, timeout=5, allow_redirects=False
    )


def status_of(response: requests.Response) -> dict:
    return requests.get(response.headers["Location"], timeout=5).json()


def page_of(target: str) -> str:
    return requests.get(target, timeout=5).text


def linking(
    target: str, tag: str = '<a href="{target}">this piece</a>', title: str = "Blog"
) -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><p>I liked "
        + tag.format(target=target)
        + " a lot, and wrote about it here.</p></body></html>"
    )


H_ENTRY = """<!doctype html><html><head><title>{title}</title></head><body>
<article class="h-entry">
  <span class="p-author h-card"><img class="u-photo" src="{photo}" alt=""
    ><a class="p-name u-url" href="{url}">{name}</a></span>
  <a class="{property}" href="{target}">in reply</a>
  <div class="e-content">{content}</div>
  <time class="dt-published" datetime="{published}">Nov 20</time>
</article></body></html>"""


def h_entry(
    target: str,
    photo: str,
    prop: str = "u-in-reply-to",
    content: str = "",
    *,
    name: str = "Ana Writer",
    url: str = "https://ana.example/",
    title: str = "Reply page",
    published: str = "2026-11-20T10:00:00+00:00",
) -> str:
    return H_ENTRY.format(
        target=target,
        photo=photo,
        property=prop,
        content=content,
        name=name,
        url=url,
        title=title,
        published=published,
    )


def mentions(app) -> list[Mention]:
    with app.app_context():
        return list(db.get_session().scalars(select(Mention).order_by(Mention.id)))


def test_the_post_page_names_one_absolute_endpoint_in_a_header_and_a_link(target, live_server):
    page = requests.get(target, timeout=5)
    assert page.headers["Link"] == f'<{live_server}/webmention>; rel="webmention"'
    assert page.text.count('rel="webmention"') == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"target": "{target}"}, "The source parameter is missing."),
        ({"source": "http://blog.example/a"}, "The target parameter is missing."),
        ({"source": "not a url", "target": "{target}"}, "The source must be an absolute"),
        ({"source": "ftp://blog.example/a", "target": "{target}"}, "The source must be"),
        ({"source": "http://blog.example/a", "target": "javascript:x"}, "The target must be"),
        ({"source": "{target}#here", "target": "{target}"}, "the same URL"),
        (
            {"source": "http://blog.example/a", "target": "http://elsewhere.example/posts/a/"},
            "The target is not a post on this site.",
        ),
        (
            {"source": "http://blog.example/a", "target": "{live}/posts/no-such-post/"},
            "The target is not a post on this site.",
        ),
    ],
)
def test_bad_requests_are_400_with_a_reason_and_record_nothing(
    app, endpoint, target, live_server, data, reason
):
    data = {key: value.format(target=target, live=live_server) for key, value in data.items()}
    response = requests.post(endpoint, data=data, timeout=5)
    assert response.status_code == 400
    assert reason in response.text
    assert mentions(app) == []


def test_a_post_with_pings_closed_refuses_webmentions(app, endpoint, target, moderator, post):
    close_pings(moderator, post)
    response = send(endpoint, "http://blog.example/a", target)
    assert response.status_code == 400
    assert "does not accept webmentions" in response.text


def test_a_body_over_64_kib_is_413(endpoint, target):
    response = requests.post(
        endpoint, data={"source": "http://a.example/" + "x" * 70_000, "target": target}, timeout=5
    )
    assert response.status_code == 413


def test_a_valid_mention_is_recorded_answered_201_and_verified_later(
    app, endpoint, target, source_server
):
    source = source_server.page("/post.html", linking(target))
    response = send(endpoint, source, target)
    assert response.status_code == 201
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/webmention/[\w-]{16,}", response.headers["Location"]
    )
    assert status_of(response)["status"] == "queued"
    assert source_server.requests == []  # nothing fetched during the request
    assert jobs.run_due_jobs(app) == 1
    status = status_of(response)
    assert status["status"] == "verified" and "moderator" in status["summary"]
    [entry] = entries(app)
    assert (entry.type, entry.status, entry.source_url) == (
        EntryType.WEBMENTION,
        Status.PENDING,
        source,
    )
    assert "I liked this piece a lot" in entry.body
    assert "I liked" not in page_of(target)


def test_an_unknown_status_url_is_404(endpoint):
    assert requests.get(endpoint + "/no-such-token", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("tag", "content_type"),
    [
        ('<a href="{target}">this piece</a>', "text/html"),
        ('<img src="{target}" alt="">', "text/html"),
        ('<video src="{target}"></video>', "text/html"),
        ('<audio src="{target}"></audio>', "text/html"),
        ("plain text mentioning {target} in a sentence", "text/plain"),
    ],
)
def test_the_target_is_found_in_links_media_and_plain_text(
    app, endpoint, target, source_server, tag, content_type
):
    body = linking(target, tag) if content_type == "text/html" else tag.format(target=target)
    source = source_server.page("/s", body, content_type=f"{content_type}; charset=utf-8")
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"
    assert len(entries(app)) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<p>I read {target} today, as text.</p>", "does not link to the target"),
        ('<!-- <a href="{target}">old</a> --><p>Nothing.</p>', "does not link to the target"),
        ("<p>No mention at all.</p>", "does not link to the target"),
        ('<a href="{target}extra">close, not exact</a>', "does not link to the target"),
    ],
)
def test_a_source_without_a_link_is_rejected_with_the_reason(
    app, endpoint, target, source_server, body, reason
):
    source = source_server.page("/s", body.format(target=target))
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    status = status_of(response)
    assert status["status"] == "rejected" and reason in status["summary"]
    assert entries(app) == []


def test_a_source_of_another_type_is_rejected(app, endpoint, target, source_server):
    source = source_server.page(
        "/s.json", f'{{"url": "{target}"}}', content_type="application/json"
    )
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert "not HTML or plain text" in status_of(response)["summary"]


def test_an_h_entry_reply_shows_as_a_comment_with_name_and_photo(
    app, endpoint, target, source_server
):
    photo = source_server.page("/ana.png", PNG, content_type="image/png")
    source = source_server.page("/reply", h_entry(target, photo, content="Well argued, thanks!"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.mention_kind, entry.author, entry.body) == (
        MentionKind.REPLY,
        "Ana Writer",
        "Well argued, thanks!",
    )
    assert entry.published.isoformat() == "2026-11-20T10:00:00+00:00"
    assert "Well argued" not in page_of(target)
    approve(app, entry.id)
    page = page_of(target)
    assert '<a href="https://ana.example/" rel="nofollow ugc">Ana Writer</a>' in page
    assert "Well argued, thanks!" in page
    [photo_path] = re.findall(r'src="(/photos/[0-9a-f]{64})"', page)
    served = requests.get(target.split("/posts/")[0] + photo_path, timeout=5)
    assert served.content == PNG and served.headers["Content-Type"] == "image/png"
    assert photo not in page  # never hotlinked


@pytest.mark.parametrize(
    ("prop", "kind", "heading"),
    [("u-like-of", MentionKind.LIKE, "1 like"), ("u-repost-of", MentionKind.REPOST, "1 repost")],
)
def test_likes_and_reposts_show_as_a_row_of_avatars(
    app, endpoint, target, source_server, prop, kind, heading
):
    photo = source_server.page("/ana.png", PNG, content_type="image/png")
    source = source_server.page("/like", h_entry(target, photo, prop))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert entry.mention_kind == kind
    approve(app, entry.id)
    page = page_of(target)
    section = page.split('class="reactions', 1)[1].split("</section>", 1)[0]
    assert heading in section and 'title="Ana Writer"' in section
    assert 'class="entry-list"' not in page  # not in the threaded list


def test_a_photo_that_is_not_an_image_is_not_kept(app, endpoint, target, source_server):
    fake = source_server.page("/fake.png", "<script>alert(1)</script>", content_type="image/png")
    source = source_server.page("/reply", h_entry(target, fake, content="Hi"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert entry.author_photo is None


OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


def photo_path(data: bytes) -> str:
    return f"/photos/{hashlib.sha256(data).hexdigest()}"


def anchor(entry_id: int) -> str:
    """What marks an entry on the post page, in the list or among the reactions."""
    return f'id="comment-{entry_id}"'


@pytest.fixture
def approved_reply(app, endpoint, target, source_server, moderator) -> tuple[str, int]:
    """A reply with every h-entry field, approved from the queue: its source and entry id."""
    source_server.page("/ana.png", PNG, content_type="image/png")
    source_server.page("/other.png", OTHER_PNG, content_type="image/png")
    photo = source_server.url("/ana.png")
    source = source_server.page("/reply", h_entry(target, photo, content="Well argued, thanks!"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    act(moderator, entry.id, "approve")
    page = page_of(target)
    assert anchor(entry.id) in page and "Well argued, thanks!" in page
    return source, entry.id


# What the source changes; the word the reason uses; what the queue then shows moderators
# (None: only the reason says it); what readers see once a moderator approves it again.
CHANGES = [
    ({"name": "Ana Renamed"}, "name", "Ana Renamed", ">Ana Renamed</a>"),
    ({"url": "https://ana.example/new/"}, "author URL", "https://ana.example/new/",
     'href="https://ana.example/new/"'),
    ({"photo": "/other.png"}, "photo", None, photo_path(OTHER_PNG)),
    ({"title": "A retitled page"}, "title", None, None),
    ({"published": "2026-11-21T08:00:00+00:00"}, "published date", None, None),
    ({"prop": "u-like-of"}, "kind", None, 'class="reactions likes"'),
    ({"content": "New words: https://shop.example/"}, "text", "New words", "New words"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "label", "queued", "shown"), CHANGES)
def test_an_approved_mention_that_changed_waits_for_a_moderator_again(
    app, endpoint, target, source_server, moderator, approved_reply, change, label, queued, shown
):
    source, entry_id = approved_reply
    fields = {"photo": "/ana.png", "content": "Well argued, thanks!", **change}
    fields["photo"] = source_server.url(fields["photo"])
    source_server.page("/reply", h_entry(target, **fields))
    response = send(endpoint, source, target)  # at once: a re-send is no flood
    assert response.status_code == 201
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"
    page = page_of(target)
    assert anchor(entry_id) not in page  # readers see neither the old nor the new
    assert shown is None or shown not in page
    row = queue_row(moderator, entry_id, "pending")
    assert f"held again: the source changed its {label}" in row
    assert queued is None or queued in row
    [entry] = entries(app)  # the same entry, updated in place (Webmention §3.2.4)
    assert (entry.id, entry.status) == (entry_id, Status.PENDING)
    act(moderator, entry_id, "approve", "pending")
    page = page_of(target)
    assert anchor(entry_id) in page
    assert shown is None or shown in page


def test_an_unchanged_resend_keeps_the_mention_approved(
    app, endpoint, target, source_server, approved_reply
):
    source, entry_id = approved_reply
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"
    [entry] = entries(app)
    assert entry.status == Status.APPROVED
    assert anchor(entry_id) in page_of(target)


def test_a_photo_that_cannot_be_fetched_again_keeps_the_approved_one(
    app, endpoint, target, source_server, approved_reply
):
    source, entry_id = approved_reply
    source_server.page("/ana.png", "busy", status=503)
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"
    assert source_server.paths().count("/ana.png") == 2  # asked for again, in vain
    [entry] = entries(app)
    assert entry.status == Status.APPROVED
    assert photo_path(PNG) in page_of(target)


@pytest.mark.parametrize("decided_by", ["spam", "trash", "disallowed-word"])
def test_a_mention_in_spam_or_trash_stays_there_when_its_source_sends_it_again(
    app, endpoint, target, source_server, moderator, decided_by
):
    if decided_by == "disallowed-word":
        save_settings(app, disallowed_words="first")
    photo = source_server.page("/ana.png", PNG, content_type="image/png")
    source = source_server.page("/reply", h_entry(target, photo, content="First words"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    if decided_by != "disallowed-word":
        act(moderator, entry.id, decided_by)
    [decided] = entries(app)
    source_server.page("/reply", h_entry(target, photo, name="Ana Again", content="New words"))
    fetched = len(source_server.requests)
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"  # nothing said of what moderators did
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason, entry.author, entry.body) == (
        decided.status,
        decided.rule,
        decided.reason,
        "Ana Writer",
        "First words",
    )
    assert source_server.paths()[fetched:] == ["/reply"]  # its photo is not fetched again


@pytest.mark.parametrize(("status", "body"), [(410, "gone"), (200, "<p>The link was removed.</p>")])
def test_a_withdrawn_mention_that_links_again_waits_as_pending(
    app, endpoint, target, source_server, moderator, status, body
):
    save_settings(app, hold_all=False)  # the rules alone would publish it
    source = source_server.page("/post", linking(target, title="Back Again"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert "Back Again" in page_of(target)
    source_server.page("/post", body, status=status)
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.rule) == (Status.TRASH, "no-link")
    source_server.page("/post", linking(target, title="Back Again"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.reason) == (
        Status.PENDING,
        "held again: the source links to the post again",
    )
    assert "Back Again" not in page_of(target)
    assert "Back Again" in queue_row(moderator, entry.id, "pending")


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (410, "gone", "the source is gone (HTTP 410)"),
        (200, "<p>The link was removed.</p>", "the source no longer links to the target"),
    ],
)
def test_a_source_that_is_gone_or_no_longer_links_takes_its_entry_off_the_page(
    app, endpoint, target, source_server, status, body, reason
):
    source = source_server.page("/post", linking(target, title="Gone Soon"))
    send(endpoint, source, target)
    jobs.run_due_jobs(app)
    approve(app, entries(app)[0].id)
    assert "Gone Soon" in page_of(target)
    source_server.page("/post", body, status=status)
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "rejected"
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason) == (Status.TRASH, "no-link", reason)
    assert "Gone Soon" not in page_of(target)


@pytest.mark.parametrize(
    ("first", "status", "summary"),
    [("/moved", "verified", "links to the target"), ("/r0", "rejected", "too many redirects")],
)
def test_redirects_are_followed_then_capped(
    app, endpoint, target, source_server, first, status, summary
):
    source_server.page("/final", linking(target))
    source_server.redirect("/moved", "/final")
    for hop in range(6):
        source_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    source_server.page("/r6", linking(target))
    response = send(endpoint, source_server.url(first), target)
    jobs.run_due_jobs(app)
    time.sleep(0.05)
    jobs.run_due_jobs(app)  # a capped one is retried once, then given up
    answer = status_of(response)
    assert answer["status"] == status and summary in answer["summary"]


def test_a_failing_source_is_retried_then_rejected_with_the_reason(
    app, endpoint, target, source_server
):
    source = source_server.page("/down", "busy", status=503)
    response = send(endpoint, source, target)
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "queued"  # one failure: tried again later
    source_server.page("/down", linking(target))
    time.sleep(0.05)  # JOB_RETRY_SECONDS is 0.01
    jobs.run_due_jobs(app)
    assert status_of(response)["status"] == "verified"
    assert source_server.paths().count("/down") == 2


def test_mentions_past_the_limit_are_429(make_app, post, source_server):
    app = make_app(RATELIMIT_ENABLED=True, LINKBACK_RATE_LIMIT="2 per minute")
    client = app.test_client()
    data = {"source": "http://blog.example/a", "target": "http://localhost/posts/a-post/"}
    codes = [client.post("/webmention", data=data).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_a_mention_received_before_a_stop_is_verified_after_restart(
    app, make_app, endpoint, target, source_server
):
    source = source_server.page("/post", linking(target))
    response = send(endpoint, source, target)  # this app runs no job pool: as if it stopped
    assert status_of(response)["status"] == "queued"
    restarted = make_app(LINKBACK_ALLOW_PRIVATE_HOSTS=True, JOB_WORKERS=1)
    restarted.test_client().get("/")  # the first request starts the pool, which finds the job
    deadline = time.monotonic() + 10
    while status_of(response)["status"] == "queued":
        assert time.monotonic() < deadline, "the restarted app did not verify the mention"
        time.sleep(0.05)
    assert status_of(response)["status"] == "verified"
    assert len(entries(app)) == 1


def test_with_redis_an_rq_worker_verifies_the_mention(make_app, post, source_server, rq_queue):
    app = make_app(
        LINKBACK_ALLOW_PRIVATE_HOSTS=True,
        REDIS_URL=REDIS_URL,
        JOB_QUEUE_NAME=rq_queue,
        JOB_WORKERS=2,  # ignored with REDIS_URL: RQ workers do the work
    )
    client = app.test_client()
    target = "http://localhost/posts/a-post/"
    source = source_server.page("/post", linking(target))
    response = client.post("/webmention", data={"source": source, "target": target})
    assert response.status_code == 201
    status_url = response.headers["Location"].removeprefix("http://localhost")
    assert client.get(status_url).json["status"] == "queued"
    assert source_server.requests == []
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert client.get(status_url).json["status"] == "verified"
    assert [entry.type for entry in entries(app)] == [EntryType.WEBMENTION]
