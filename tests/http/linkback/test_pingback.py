"""Pingback 1.0 over real HTTP: discovery, every fault code, verification and the queue.

The app runs on a live server; source pages come from a second real server on
127.0.0.1 (so these tests allow private hosts; test_pingback_private_hosts.py
covers the address rules with the switch off). The client is the standard
library's ServerProxy, pointed at the endpoint found on the post page.
"""

import gzip
import re
import threading
import time
import xmlrpc.client

import pytest
import requests

from moderation.rules.statuses import EntryType, Status
from tests.helpers import approve, entries
from tests.http.linkback.dashboard import act, close_pings

TITLE = "Some Other Blog's Title"


@pytest.fixture
def endpoint(target) -> xmlrpc.client.ServerProxy:
    """The XML-RPC endpoint, found by discovery from the post page (Pingback 1.0 §2)."""
    response = requests.get(target, timeout=5)
    [link] = re.findall(r'<link rel="pingback" href="([^"]+)">', response.text)
    assert response.headers["X-Pingback"] == link
    return xmlrpc.client.ServerProxy(link)


def linking_page(target: str, href: str | None = None, title: str = TITLE) -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        "<article><h1>A week of reading</h1>"
        f'<p>Among the best things I read this week was <a href="{href or target}">this news '
        "piece about the river</a>, which everybody should see.</p></article></body></html>"
    )


def fault_of(call) -> int:
    with pytest.raises(xmlrpc.client.Fault) as raised:
        call()
    return raised.value.faultCode


def test_the_post_page_names_one_absolute_endpoint_in_a_header_and_a_link(target, live_server):
    response = requests.get(target, timeout=5)
    assert response.headers["X-Pingback"] == f"{live_server}/xmlrpc"
    assert response.text.count('rel="pingback"') == 1


def test_site_url_makes_the_discovery_address(make_app, post):
    app = make_app(SITE_URL="https://news.example/comments")
    response = app.test_client().get("/posts/a-post/")
    assert response.headers["X-Pingback"] == "https://news.example/comments/xmlrpc"
    assert '<link rel="pingback" href="https://news.example/comments/xmlrpc">' in response.text


def test_a_verified_pingback_is_queued_pending_and_not_public(app, endpoint, target, source_server):
    source = source_server.page("/week.html", linking_page(target))
    answer = endpoint.pingback.ping(source, target)
    assert source in answer and target in answer
    [entry] = entries(app)
    assert (entry.type, entry.status) == (EntryType.PINGBACK, Status.PENDING)
    assert (entry.author, entry.website, entry.source_url) == (TITLE, source, source)
    assert entry.body == (  # the link's paragraph only: not the heading above it
        "[…] Among the best things I read this week was this news piece "
        "about the river, which everybody should see. […]"
    )
    assert entry.ip_address == "127.0.0.1"
    page = requests.get(target, timeout=5).text
    assert TITLE.replace("'", "&#39;") not in page and "this news piece" not in page
    assert endpoint.pingback.extensions.getPingbacks(target) == []


def test_an_approved_pingback_is_shown_and_listed(app, endpoint, target, source_server):
    source = source_server.page("/week.html", linking_page(target))
    endpoint.pingback.ping(source, target)
    approve(app, entries(app)[0].id)
    page = requests.get(target, timeout=5).text
    assert (
        f'Pingback: <a href="{source}" rel="nofollow ugc">Some Other Blog&#39;s Title</a>' in page
    )
    assert "this news piece about the river" in page
    assert "1 thought on “A Post”" in page
    assert endpoint.pingback.extensions.getPingbacks(target) == [source]


def test_the_excerpt_keeps_to_the_paragraph_of_the_link(
    app, endpoint, target, source_server, moderator
):
    html = (
        "<!doctype html><html><head><title>Notes</title></head><body><h1>Weekly notes</h1>"
        "<p>Before: a paragraph of its own.</p><ul><li>Item one.</li>"
        f'<li>Read <a href="{target}">the river piece</a> over coffee.</li><li>Item three.</li>'
        "</ul><blockquote>After: a quotation.</blockquote></body></html>"
    )
    endpoint.pingback.ping(source_server.page("/notes", html), target)
    [entry] = entries(app)
    act(moderator, entry.id, "approve")
    page = requests.get(target, timeout=5).text
    assert "[…] Read the river piece over coffee. […]" in page
    around = ("Weekly notes", "Before:", "Item one", "Item three", "After:")
    assert [words for words in around if words in page] == []


def test_the_fetch_names_the_service_and_the_caller(endpoint, target, source_server):
    source = source_server.page("/week.html", linking_page(target))
    endpoint.pingback.ping(source, target)
    [request] = source_server.requests
    assert request.method == "GET"
    assert "moderation" in request.headers["User-Agent"]
    assert "127.0.0.1" in request.headers["User-Agent"]


@pytest.mark.parametrize(
    "href",
    ["/posts/a-post/", "../posts/a-post", "{target}", "{target}#comments", "{target}?ref=week"],
)
def test_relative_and_absolute_links_to_the_target_count(
    app, endpoint, target, source_server, href
):
    # The source lives on another server: its <base> makes relative links point at ours.
    base = target.removesuffix("posts/a-post/")
    html = linking_page(target, href.format(target=target)).replace(
        "<head>", f'<head><base href="{base}blog/">'
    )
    source = source_server.page("/week.html", html)
    endpoint.pingback.ping(source, target)
    assert len(entries(app)) == 1


def test_a_target_written_another_way_finds_the_post(app, endpoint, target, source_server):
    variant = target.rstrip("/") + "?utm=1#respond"
    source = source_server.page("/week.html", linking_page(target))
    endpoint.pingback.ping(source, variant)
    assert [entry.post_id for entry in entries(app)] != []


@pytest.mark.parametrize(
    "html",
    [
        "<html><title>t</title><p>I read {target} today, just as text.</p></html>",
        '<html><title>t</title><!-- <a href="{target}">old link</a> --><p>Nothing.</p></html>',
        "<html><title>t</title><p>No mention at all.</p></html>",
    ],
)
def test_a_source_without_a_link_to_the_target_is_fault_17(
    app, endpoint, target, source_server, html
):
    source = source_server.page("/week.html", html.format(target=target))
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 17
    assert entries(app) == []


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (404, "text/html", "<a href='{target}'>gone</a>"),
        (500, "text/html", "<a href='{target}'>error</a>"),
        (200, "text/plain", "{target}"),
        (200, "application/json", '{{"link": "{target}"}}'),
        (200, "image/png", "\x89PNG"),
        (200, "text/html", ""),
    ],
)
def test_a_source_that_is_not_a_good_html_page_is_fault_16(
    app, endpoint, target, source_server, status, content_type, body
):
    source = source_server.page(
        "/s", body.format(target=target), status=status, content_type=content_type
    )
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 16
    assert entries(app) == []


def test_an_unreachable_source_is_fault_16(endpoint, target, source_server):
    closed = source_server.url("/x").replace(f":{source_server.port}", ":9")
    assert fault_of(lambda: endpoint.pingback.ping(closed, target)) == 16


def test_redirects_are_followed_to_the_linking_page(app, endpoint, target, source_server):
    final = source_server.page("/final.html", linking_page(target))
    source_server.redirect("/hop2", final, status=301)
    source = source_server.redirect("/hop1", "/hop2")
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    assert entry.source_url == source
    assert source_server.paths() == ["/hop1", "/hop2", "/final.html"]


def test_a_redirect_chain_past_the_cap_is_fault_16(app, endpoint, target, source_server):
    source_server.page("/hop6", linking_page(target))
    for hop in range(6):
        source_server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    assert fault_of(lambda: endpoint.pingback.ping(source_server.url("/hop0"), target)) == 16
    assert "/hop6" not in source_server.paths()  # five redirects followed, the sixth refused


def test_a_source_trickling_one_byte_a_second_is_cut_at_the_deadline(
    endpoint, target, source_server
):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(60):
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(1)

    source = source_server.handle("/slow", trickle)
    started = time.monotonic()
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 16
    assert time.monotonic() - started < 2.0 + 1.5  # LINKBACK_FETCH_TIMEOUT is 2 s


def test_a_50_mb_source_is_read_only_up_to_the_cap(app, endpoint, target, source_server):
    sent = []

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(50 * 2**20))
        handler.end_headers()
        head = linking_page(target).encode().ljust(2**16, b" ")
        handler.wfile.write(head)
        sent.append(len(head))
        for _ in range(50 * 16 - 1):
            handler.wfile.write(b" " * 2**16)
            sent.append(2**16)

    source = source_server.handle("/huge.html", huge)
    endpoint.pingback.ping(source, target)
    assert len(entries(app)) == 1
    assert sum(sent) < 10 * 2**20  # the connection was dropped long before 50 MB


def test_a_gzip_bomb_is_read_only_up_to_the_cap(app, endpoint, target, source_server):
    packer = gzip.compress(b"<html>" + b" " * (200 * 2**20), compresslevel=9)

    def bomb(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(packer)))
        handler.end_headers()
        handler.wfile.write(packer)

    source = source_server.handle("/bomb.html", bomb)
    started = time.monotonic()
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 17
    assert time.monotonic() - started < 2.0 + 1.5


def test_bad_source_or_target_urls_are_fault_0(endpoint, target, source_server):
    good = source_server.page("/week.html", linking_page(target))
    assert fault_of(lambda: endpoint.pingback.ping("ftp://blog.example/x", target)) == 0
    assert fault_of(lambda: endpoint.pingback.ping("/relative", target)) == 0
    assert fault_of(lambda: endpoint.pingback.ping(good, "javascript:alert(1)")) == 0
    assert source_server.requests == []


def test_a_source_that_is_the_target_is_fault_0(endpoint, target, live_server):
    assert fault_of(lambda: endpoint.pingback.ping(target + "?again#x", target)) == 0


def test_an_unknown_post_of_ours_is_fault_32(endpoint, live_server, source_server):
    missing = f"{live_server}/posts/no-such-post/"
    source = source_server.page("/week.html", linking_page(missing))
    assert fault_of(lambda: endpoint.pingback.ping(source, missing)) == 32
    assert fault_of(lambda: endpoint.pingback.extensions.getPingbacks(missing)) == 32


@pytest.mark.parametrize("path", ["https://elsewhere.example/posts/a-post/", "{live}/about/"])
def test_a_target_that_is_not_a_post_of_ours_is_fault_33(
    endpoint, live_server, source_server, path
):
    target = path.format(live=live_server)
    source = source_server.page("/week.html", linking_page(target))
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 33
    assert source_server.requests == []


def test_an_external_post_registered_by_url_takes_pingbacks(app, runner, endpoint, source_server):
    assert runner.invoke(args=["sites", "add", "https://www.blog.example"]).exit_code == 0
    result = runner.invoke(
        args=["posts", "create", "--slug", "elsewhere", "--title", "Elsewhere",
              "--url", "https://www.blog.example/2026/elsewhere/"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    target = "http://blog.example/2026/elsewhere?from=feed"
    source = source_server.page("/week.html", linking_page(target))
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    assert entry.source_title == TITLE


def test_pings_closed_on_the_post_is_fault_33(
    app, endpoint, target, source_server, moderator, post
):
    close_pings(moderator, post)
    source = source_server.page("/week.html", linking_page(target))
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 33
    assert source_server.requests == []


@pytest.mark.parametrize("action", [None, "approve", "spam", "trash"])
def test_a_repeated_pingback_is_fault_48_whatever_the_first_ones_status(
    app, endpoint, target, source_server, moderator, action
):
    source = source_server.page("/week.html", linking_page(target))
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    if action:
        act(moderator, entry.id, action)
    assert fault_of(lambda: endpoint.pingback.ping(source + "#again", target)) == 48
    assert len(entries(app)) == 1
    assert len(source_server.requests) == 1  # no second fetch


def test_concurrent_repeats_register_one_pingback(app, endpoint, target, source_server):
    source = source_server.page("/week.html", linking_page(target))
    address = requests.get(target, timeout=5).headers["X-Pingback"]
    outcomes: list[object] = []

    def send():
        try:
            outcomes.append(xmlrpc.client.ServerProxy(address).pingback.ping(source, target))
        except xmlrpc.client.Fault as fault:
            outcomes.append(fault.faultCode)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(entries(app)) == 1
    assert [outcome for outcome in outcomes if not isinstance(outcome, str)] == [48] * 7


def test_a_source_with_nul_and_control_characters_is_registered_without_them(
    app, endpoint, target, source_server
):
    html = linking_page(target).replace("Among the best", "Among\x00 the\x07 best")
    source = source_server.page("/week.html", html.encode())
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    assert entry.body.startswith("[…] Among the best things")
