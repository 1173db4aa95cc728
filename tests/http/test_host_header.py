"""Our own address never comes from the request's Host header (§4 own address, issue 11).

Anyone can send any Host. With SITE_URL unset, the request's host counts as ours only
when TRUSTED_HOSTS is set, for then Flask answers 400 to every other one. With neither,
the linkback receivers refuse, naming SITE_URL, and no absolute link is emitted.
"""

import xmlrpc.client
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from moderation.infra import db
from moderation.infra.models import Entry, Job, Mention

SPOOFED = "http://attacker.example"
SPOOFED_POST = f"{SPOOFED}/posts/a-post/"
SPOOFING = {"Host": "attacker.example"}


@pytest.fixture
def unconfigured(make_app):
    """The app with neither SITE_URL nor TRUSTED_HOSTS, as a bare `flask run` or gunicorn."""
    return make_app(SITE_URL=None, TRUSTED_HOSTS=None, LINKBACK_ALLOW_PRIVATE_HOSTS=True)


@pytest.fixture
def spoofer(unconfigured, post):
    return unconfigured.test_client()


@pytest.fixture
def source(source_server) -> str:
    """A page that links only to the post's address at the spoofed host."""
    page = f'<html><title>Mine</title><p>See <a href="{SPOOFED_POST}">this</a>.</p></html>'
    return source_server.page("/mine", page)


def _stored(app) -> tuple[int, int, int]:
    """How many entries, mentions and jobs the database holds."""
    with app.app_context():
        session = db.get_session()
        return tuple(
            session.scalar(select(func.count()).select_from(t)) for t in (Entry, Mention, Job)
        )


def test_a_pingback_to_a_spoofed_host_is_refused_naming_site_url(
    spoofer, unconfigured, source, source_server
):
    body = xmlrpc.client.dumps((source, SPOOFED_POST), "pingback.ping")
    response = spoofer.post("/xmlrpc", data=body, content_type="text/xml", headers=SPOOFING)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(response.data)
    assert fault.value.faultCode == 0
    assert "SITE_URL" in fault.value.faultString
    assert _stored(unconfigured) == (0, 0, 0)
    assert source_server.requests == []  # nothing was fetched on the spoofer's word


def test_a_webmention_to_a_spoofed_host_is_503_naming_site_url(spoofer, unconfigured, source):
    data = {"source": source, "target": SPOOFED_POST}
    response = spoofer.post("/webmention", data=data, headers=SPOOFING)
    assert response.status_code == 503
    assert "SITE_URL" in response.text
    assert "Location" not in response.headers
    assert _stored(unconfigured) == (0, 0, 0)


def test_a_trackback_through_a_spoofed_host_is_error_1_naming_site_url(
    spoofer, unconfigured, source
):
    data = {"url": source, "title": "Mine"}
    response = spoofer.post("/posts/a-post/trackback", data=data, headers=SPOOFING)
    assert response.status_code == 503
    root = ElementTree.fromstring(response.data)
    assert root.findtext("error") == "1"
    assert "SITE_URL" in root.findtext("message")
    assert _stored(unconfigured) == (0, 0, 0)


def test_a_post_page_through_a_spoofed_host_names_no_host_at_all(spoofer):
    response = spoofer.get("/posts/a-post/", headers=SPOOFING)
    assert response.status_code == 200
    assert "X-Pingback" not in response.headers
    assert "Link" not in response.headers
    assert "attacker.example" not in response.text
    assert "rdf:RDF" not in response.text and 'rel="pingback"' not in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/posts/a-post/"),
        ("post", "/xmlrpc"),
        ("post", "/webmention"),
        ("post", "/posts/a-post/trackback"),
        ("get", "/moderation/login"),
    ],
)
def test_with_trusted_hosts_another_host_is_400(make_app, post, method, path):
    client = make_app(SITE_URL=None, TRUSTED_HOSTS=["blog.example"]).test_client()
    response = getattr(client, method)(path, headers=SPOOFING)
    assert response.status_code == 400
    assert "attacker.example" not in response.text


def test_with_trusted_hosts_the_trusted_host_is_our_address(make_app, post):
    client = make_app(SITE_URL=None, TRUSTED_HOSTS=["blog.example"]).test_client()
    response = client.get("/posts/a-post/", headers={"Host": "blog.example:8080"})
    assert response.headers["X-Pingback"] == "http://blog.example:8080/xmlrpc"
    assert response.headers["Link"] == '<http://blog.example:8080/webmention>; rel="webmention"'
    assert 'trackback:ping="http://blog.example:8080/posts/a-post/trackback"' in response.text


def test_site_url_wins_over_whatever_host_was_sent(make_app, post):
    client = make_app(SITE_URL="https://blog.example", TRUSTED_HOSTS=None).test_client()
    response = client.get("/posts/a-post/", headers=SPOOFING)
    assert response.headers["X-Pingback"] == "https://blog.example/xmlrpc"
    assert 'rdf:about="https://blog.example/posts/a-post/"' in response.text
    assert "attacker.example" not in response.text
