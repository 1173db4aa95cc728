"""A crawl of the app as deployed (CSRF on): every page a moderator or a reader can
reach answers, and every form on it works when sent as the page rendered it.

A button whose token renders empty answers 400 "The CSRF token is missing": this is
the test that catches it, whichever page the button is on.
"""

import re
from collections import deque
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from moderation.infra import db
from moderation.rules.statuses import EntryType, Status
from moderation.services import posts, webhooks
from moderation.services.linkbacks import recording
from tests.conftest import MODERATOR_PASSWORD, create_moderator, log_in
from tests.forms import parse_forms, referrer, send
from tests.helpers import TEST_ACTOR, add_comment

START = ("/", "/moderation/")
NOT_PAGES = ("/static/", "/avatars/", "/photos/", "/moderation/logout")
MOST_PAGES = 200
LAST = ("/delete", "/empty/", "/logout", "/password")
# What a person types into a required field that the page left empty.
TYPED = {
    "email": "crawler@example.net",
    "password": MODERATOR_PASSWORD,
    "textarea": "Typed by the crawler.",
    "text": "Crawler",
    "url": "https://crawler.example/hook",
}
NEW_PASSWORD = "a new and longer passphrase"
TYPED_BY_NAME = {"current": MODERATOR_PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _seed(app, post) -> None:
    """Entries in every status, a reply and a pingback, and a second account."""
    approved = add_comment(app, "Approved words.", Status.APPROVED)
    add_comment(app, "A reply.", Status.APPROVED, parent_id=approved)
    # Two of each: an earlier form (delete, empty…) must leave one for the next.
    for number, status in enumerate((Status.PENDING, Status.SPAM, Status.TRASH) * 2):
        add_comment(app, f"Words number {number}.", status, email=f"{status}@example.net")
    with app.app_context():
        session = db.get_session()
        recording.record_linkback(
            session,
            posts.get_post(session, post.slug),
            EntryType.PINGBACK,
            "https://elsewhere.example/a-post-about-it",
            "Some Other Blog's Title",
            "[…] it links here […]",
            "198.51.100.4",
            "WordPress",
        )
        session.commit()
    create_moderator(app, "admin", admin=True)
    create_moderator(app, "helper")
    with app.app_context():  # so that the Webhooks page renders its Remove form
        session = db.get_session()
        webhooks.add_webhook(session, TEST_ACTOR, "https://hooks.example/")
        session.commit()


def _links(html: str) -> set[str]:
    """The app's own pages that a page links to."""
    soup = BeautifulSoup(html, "html.parser")
    found = set()
    for anchor in soup.find_all("a", href=True):
        parts = urlsplit(anchor["href"])
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(NOT_PAGES):
            continue
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _crawl(client) -> dict[str, str]:
    """Every page reachable from START by links: path -> HTML."""
    pages: dict[str, str] = {}
    waiting = deque(START)
    while waiting and len(pages) < MOST_PAGES:
        path = waiting.popleft()
        if path in pages:
            continue
        response = client.get(path)
        assert response.status_code in (200, 302, 303), f"{path}: {response.status_code}"
        if response.status_code != 200 or response.mimetype != "text/html":
            pages[path] = ""
            continue
        pages[path] = html = response.get_data(as_text=True)
        waiting.extend(_links(html) - pages.keys())
    return pages


def _typed(control_values: dict, tag) -> dict:
    """Values for the required fields the page left empty, as a person would type them."""
    typed = {name: value for name, value in TYPED_BY_NAME.items() if name in control_values}
    for control in tag.find_all(["input", "textarea"], required=True):
        if control_values.get(control.get("name")) or control.get("name") in typed:
            continue
        kind = "textarea" if control.name == "textarea" else control.get("type", "text")
        typed[control["name"]] = TYPED.get(kind, TYPED["text"])
    return typed


def _kind(form) -> tuple:
    """What a form does, whichever entry it is for: the same button on two entries is
    one kind of form."""
    return (form.method, re.sub(r"\d+", "N", form.action), tuple(sorted(form.fields)))


def _last(action: str) -> int:
    return next((place for place, word in enumerate(LAST) if word in action), -1)


def _forms(pages: dict[str, str]) -> dict[tuple, str]:
    """A page that carries each kind of form: kind -> page."""
    found: dict[tuple, str] = {}
    for path, html in pages.items():
        for _, form in parse_forms(html, path):
            found.setdefault(_kind(form), path)
    return found


class _Browser(FlaskClient):
    """A browser at an address of its own that reaches the app over http or https."""

    def __init__(self, app, scheme: str, number: int) -> None:
        super().__init__(app, app.response_class, use_cookies=True)
        self.base_url = f"{scheme}://localhost"
        self.environ_base["REMOTE_ADDR"] = f"192.0.2.{number}"

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", self.base_url)
        return super().open(*args, **kwargs)


def _client(app, scheme: str, number: int = 0):
    return _Browser(app, scheme, number)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_page_answers_and_every_form_works_with_its_own_token(app, post, clock, scheme):
    _seed(app, post)
    pages = _crawl(log_in(app, "admin", client=_client(app, scheme)))
    dashboard = [path for path in pages if path.startswith("/moderation/")]
    for expected in (
        "/moderation/settings",
        "/moderation/audit",
        "/moderation/moderators",
        "/moderation/webhooks",
        "/moderation/account",
    ):
        assert expected in dashboard
    assert "/posts/a-post/" in pages

    forms = _forms(pages)
    posted = set()
    # Forms that remove what others act on go last.
    ordered = sorted(forms.items(), key=lambda item: _last(item[0][1]))
    for number, (kind, path) in enumerate(ordered):
        # A fresh login and a fresh reader for each form: one form's effect (a logout,
        # a password change, a deleted entry) must not decide another's answer.
        client = _client(app, scheme, number)
        if path.startswith("/moderation/"):
            log_in(app, "admin", client=client)
        page = client.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        tag, form = next(
            found
            for found in parse_forms(page.get_data(as_text=True), path)
            if _kind(found[1]) == kind
        )
        form = replace(form, referrer=referrer(page))  # as the page's policy lets it go
        clock.advance(30)  # the reader took their time over the comment form
        response = send(client, form, **_typed(form.fields, tag))
        where = f"{form.method.upper()} {form.action} from {path}"
        assert response.status_code not in (400, 500), (where, response.get_data(as_text=True))
        assert response.status_code in (200, 302, 303), (where, response.status_code)
        posted.add(form.action.split("?")[0])

    # The forms that once went unnoticed, and the ones every page carries.
    entry_actions = {action for action in posted if action.startswith("/moderation/entries/")}
    for action in ("approve", "unapprove", "spam", "not-spam", "trash", "restore", "delete"):
        assert any(each.endswith(f"/{action}") for each in entry_actions), action
    for action in (
        "/moderation/entries",
        "/moderation/logout",
        "/moderation/settings",
        "/moderation/password",
        "/moderation/webhooks",
        "/moderation/account",
        "/posts/a-post/comments",
    ):
        assert action in posted
