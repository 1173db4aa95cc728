"""Every action of the dashboard: what it moves, what it records, and what it refuses.

Every request is a form the dashboard rendered, sent as a browser sends it, token
included (CSRF is on, as deployed). A test about a forged or stale request changes only
the one thing an attacker or a race would change.
"""

import html
import re
from contextlib import contextmanager
from dataclasses import replace
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Entry, Post
from moderation.rules.statuses import EntryType, Status
from moderation.services import accounts, moderating
from moderation.services.queue import status_counts
from tests.conftest import MODERATOR_PASSWORD, create_moderator, log_in
from tests.forms import Form, page_form, send, submit_form
from tests.helpers import (
    TEST_ACTOR,
    add_comment,
    comment_form,
    csrf_token,
    reader,
    seed_many,
    submit,
)

PENDING, APPROVED, SPAM, TRASH = Status.PENDING, Status.APPROVED, Status.SPAM, Status.TRASH
GONE = None
BACK = "/moderation/?status=pending&type=comment&q=words&page=2"
NEXT = re.compile(r'name="next" value="([^"]*)"')
EDIT = {
    "comment": "Edited *text* with <script>alert(1)</script> and https://edited.com/",
    "name": "Edited Name",
    "email": "edited@example.org",
    "website": "edited.example.org",
}
JSON = {"headers": {"Accept": "application/json"}}


def _comments(app, status: Status, count: int) -> list[int]:
    return [add_comment(app, f"{status} words {number}", status) for number in range(count)]


def _listing(status: Status) -> str:
    """A queue view that lists the entries of `_comments`: a tab, a type and a search."""
    return f"/moderation/?status={status}&type=comment&q=words"


def _statuses(app, ids) -> list[Status | None]:
    """The status of each entry, None for one that is gone."""
    with app.app_context():
        found = dict(db.get_session().execute(select(Entry.id, Entry.status)).all())
    return [found.get(entry_id) for entry_id in ids]


def _entry(app, entry_id: int) -> Entry:
    with app.app_context():
        return db.get_session().get(Entry, entry_id)


def _audit(app) -> list[tuple[str, str, str, str]]:
    """Each audit row as (who, what, which entries, from where), oldest first."""
    with app.app_context():
        events = db.get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [
            (event.username, event.action, event.entry_ids, event.ip_address) for event in events
        ]


def _detail(app) -> str:
    """The detail of the newest audit row."""
    with app.app_context():
        newest = select(AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(1)
        return db.get_session().scalar(newest)


def _snapshot(app) -> tuple:
    """Everything an action could change: entries, post settings and the audit log."""
    with app.app_context():
        session = db.get_session()
        return (
            session.execute(
                select(Entry.id, Entry.status, Entry.body, Entry.author).order_by(Entry.id)
            ).all(),
            session.execute(
                select(Post.id, Post.comments_open, Post.pings_open).order_by(Post.id)
            ).all(),
            _audit(app),
        )


def _flashed(client, response) -> str:
    return client.get(response.location).get_data(as_text=True)


def _tab(app, entry_id: int) -> str:
    """The queue tab that lists the entry as it is now."""
    (status,) = _statuses(app, [entry_id])
    return f"/moderation/?status={status}"


def _button(entry_id: int | str, action: str) -> str:
    """The selector of one entry's form for `action` in the queue."""
    return f'#entry-{entry_id} form[action$="/{action}"]'


def _act(client, app, entry_id: int, action: str, page: str | None = None, **changes):
    """Click an entry's button on the queue tab that lists it (or on `page`)."""
    return submit_form(client, page or _tab(app, entry_id), _button(entry_id, action), **changes)


def _bulk(client, page: str, action: str, ids):
    """Tick `ids` on a queue page, choose `action` and apply it."""
    ticked = [str(each) for each in ids]
    return submit_form(client, page, "form#bulk", action=action, ids=ticked)


def _meanwhile(app, entry_id: int, status: Status) -> None:
    """Another moderator moves the entry to `status`."""
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, [entry_id], moderating.SETTING[status])
        session.commit()


@contextmanager
def _shown_as(app, entry_id: int, status: Status):
    """The page is loaded while the entry is `status`; another moderator moves it back to
    where it was before the form is sent (a stale page, as with two moderators at work)."""
    (now,) = _statuses(app, [entry_id])
    _meanwhile(app, entry_id, status)
    yield
    _meanwhile(app, entry_id, now)


class Endpoint(NamedTuple):
    """A form of the dashboard: the page that renders it, its selector, and what the
    moderator types or ticks in it ({pending}, {spam}, {post}… name the targets)."""

    page: str
    selector: str
    typed: dict
    # A stale page: (target, status) names an entry and the status it had when the page
    # was loaded; another moderator has moved it back since.
    shown_as: tuple[str, Status] | None = None


def _filled(typed: dict, targets: dict) -> dict:
    """What is typed, with the targets' numbers in place of their names."""

    def fill(value):
        if isinstance(value, list):
            return [fill(each) for each in value]
        return value.format(**targets) if isinstance(value, str) else value

    return {name: fill(value) for name, value in typed.items()}


def _rendered(client, app, endpoint: Endpoint, targets: dict) -> tuple[Form, dict]:
    """The endpoint's form as its page rendered it for `client`, and what is typed in it."""
    page = endpoint.page.format(**targets)
    selector = endpoint.selector.format(**targets)
    if endpoint.shown_as is None:
        return page_form(client, page, selector), _filled(endpoint.typed, targets)
    target, status = endpoint.shown_as
    with _shown_as(app, targets[target], status):
        return page_form(client, page, selector), _filled(endpoint.typed, targets)


# Single actions ---------------------------------------------------------------------

MOVES = [
    ("approve", PENDING, APPROVED),
    ("approve", SPAM, APPROVED),
    ("approve", TRASH, APPROVED),
    ("unapprove", APPROVED, PENDING),
    ("spam", PENDING, SPAM),
    ("spam", APPROVED, SPAM),
    ("not-spam", SPAM, PENDING),
    ("trash", PENDING, TRASH),
    ("trash", APPROVED, TRASH),
    ("trash", SPAM, TRASH),
    ("restore", TRASH, PENDING),
    ("delete", SPAM, GONE),
    ("delete", TRASH, GONE),
]
DOES_NOT_APPLY = [
    ("unapprove", PENDING),
    ("unapprove", SPAM),
    ("not-spam", PENDING),
    ("not-spam", TRASH),
    ("restore", PENDING),
    ("restore", SPAM),
    ("delete", PENDING),
    ("delete", APPROVED),
]
# The status in which the queue offers each of those buttons.
OFFERED_IN = {"unapprove": APPROVED, "not-spam": SPAM, "restore": TRASH, "delete": SPAM}


@pytest.mark.parametrize(("action", "before", "after"), MOVES)
def test_an_action_moves_exactly_that_entry_and_is_audited(
    moderator, app, post, action, before, after
):
    target, bystander = _comments(app, before, 2)
    response = _act(moderator, app, target, action, page=_listing(before))
    assert response.status_code == 303
    assert response.location == _listing(before)
    assert _statuses(app, [target, bystander]) == [after, before]
    assert _audit(app)[-1] == ("mod", action, str(target), "127.0.0.1")
    assert _detail(app) == "1 of 1 changed"


@pytest.mark.parametrize(("action", "before"), DOES_NOT_APPLY)
def test_an_action_that_does_not_fit_the_status_changes_nothing(
    moderator, app, post, action, before
):
    (target,) = _comments(app, before, 1)
    # The queue offers the button in another status: the page is older than the entry's move.
    with _shown_as(app, target, OFFERED_IN[action]):
        form = page_form(moderator, _tab(app, target), _button(target, action))
    response = send(moderator, form)
    assert response.status_code == 303
    assert _statuses(app, [target]) == [before]
    assert _detail(app) == "0 of 1 changed"
    assert "0 entries " in _flashed(moderator, response)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("approve", "1 entry approved."),
        ("spam", "1 entry marked as spam."),
        ("trash", "1 entry moved to the trash."),
    ],
)
def test_an_action_says_what_it_did_after_the_redirect(moderator, app, post, action, message):
    (target,) = _comments(app, PENDING, 1)
    response = _act(moderator, app, target, action)
    assert message in _flashed(moderator, response)


def test_a_moved_entry_records_who_moved_it_as_its_reason(moderator, app, post):
    (target,) = _comments(app, PENDING, 1)
    _act(moderator, app, target, "spam")
    assert _entry(app, target).reason == "spam by mod"
    page = moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert "Why: spam by mod" in page


def test_deleting_an_entry_keeps_its_replies_as_replies_to_nothing(moderator, app, post):
    parent = add_comment(app, "The parent", APPROVED)
    child = add_comment(app, "The reply", APPROVED, parent_id=parent)
    _act(moderator, app, parent, "trash")
    _act(moderator, app, parent, "delete")
    assert _statuses(app, [parent, child]) == [GONE, APPROVED]
    assert _entry(app, child).parent_id is None


# Bulk actions ------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "before", "after"), MOVES)
def test_a_bulk_action_moves_exactly_the_ticked_entries_and_is_audited(
    moderator, app, post, action, before, after
):
    ids = _comments(app, before, 5)
    ticked = [ids[0], ids[2], ids[4]]
    response = _bulk(moderator, _listing(before), action, ticked)
    assert response.status_code == 303
    assert response.location == _listing(before)
    assert _statuses(app, ids) == [after, before, after, before, after]
    assert _audit(app)[-1] == ("mod", action, ",".join(map(str, ticked)), "127.0.0.1")
    assert _detail(app) == "3 of 3 changed"


@pytest.mark.parametrize(("action", "before"), DOES_NOT_APPLY)
def test_a_bulk_action_that_does_not_fit_the_status_changes_nothing(
    moderator, app, post, action, before
):
    ids = _comments(app, before, 3)
    _bulk(moderator, _listing(before), action, ids)
    assert _statuses(app, ids) == [before] * 3
    assert _detail(app) == "0 of 3 changed"


@pytest.mark.parametrize(
    ("action", "after"),
    [
        ("delete", [PENDING, APPROVED, GONE, GONE]),
        ("restore", [PENDING, APPROVED, SPAM, PENDING]),
        ("not-spam", [PENDING, APPROVED, PENDING, TRASH]),
        ("unapprove", [PENDING, PENDING, SPAM, TRASH]),
        ("approve", [APPROVED] * 4),
    ],
)
def test_a_bulk_action_on_mixed_statuses_moves_only_those_it_fits(
    moderator, app, post, action, after
):
    ids = _comments(app, PENDING, 4)
    form = page_form(moderator, _listing(PENDING), "form#bulk")
    # Ticked while all four were pending; other moderators have moved three since.
    for entry_id, status in zip(ids[1:], (APPROVED, SPAM, TRASH), strict=True):
        _meanwhile(app, entry_id, status)
    response = send(moderator, form, action=action, ids=[str(each) for each in ids])
    assert response.status_code == 303
    assert _statuses(app, ids) == after


@pytest.mark.parametrize("ids", [[], ["abc"], ["0"], ["-1"], ["99999999999"], ["1.0"], [""]])
def test_a_bulk_action_with_nothing_ticked_asks_for_a_tick(moderator, app, post, ids):
    _comments(app, PENDING, 2)
    before = _snapshot(app)
    # `ids` as a forged request would send them: none is an entry's number.
    response = _bulk(moderator, _listing(PENDING), "approve", ids)
    assert response.status_code == 303
    assert response.location == _listing(PENDING)
    assert "Tick at least one entry first." in _flashed(moderator, response)
    assert _snapshot(app) == before


def test_a_bulk_action_ignores_ids_that_are_not_entries(moderator, app, post):
    ids = _comments(app, PENDING, 2)
    _bulk(moderator, _listing(PENDING), "approve", [ids[0], "x", "2147483647"])
    assert _statuses(app, ids) == [APPROVED, PENDING]


FROM_PENDING = {action: after for action, before, after in MOVES if before == PENDING}


@pytest.mark.parametrize("action", ["approve", "spam", "trash"])
def test_a_bulk_action_on_500_entries_is_one_update(moderator, app, post, count_queries, action):
    ids = seed_many(app, post.id, 500)
    form = page_form(moderator, "/moderation/?status=pending", "form#bulk")
    # The page lists 50; a script (or an old page) may send far more ids than that.
    with count_queries() as statements:
        response = send(moderator, form, action=action, ids=[str(each) for each in ids])
    assert response.status_code == 303
    updates = [each for each in statements if each.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert set(_statuses(app, ids)) == {FROM_PENDING[action]}
    assert _detail(app) == "500 of 500 changed"


# JSON answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "message", "status"),
    [
        (Endpoint("/moderation/?status=pending", _button("{first}", "approve"), {}),
         "1 entry approved.", "approved"),
        (Endpoint("/moderation/?status=pending", "form#bulk",
                  {"action": "spam", "ids": ["{first}", "{second}"]}),
         "2 entries marked as spam.", "spam"),
        (Endpoint("/moderation/?status=spam", _button("{spam}", "delete"), {}),
         "1 entry deleted permanently.", None),
        (Endpoint("/moderation/?status=spam", 'form[action$="/empty/spam"]', {}),
         "1 entry deleted permanently.", None),
        (Endpoint("/moderation/?status=pending", _button("{first}", "reply"),
                  {"comment": "Thanks!"}),
         "Reply published.", "approved"),
    ],
    ids=["single", "bulk", "delete", "empty", "reply"],
)  # fmt: skip
def test_an_action_asked_for_json_answers_message_status_and_counts(
    moderator, app, post, endpoint, message, status
):
    ids = {
        "first": add_comment(app, "First words"),
        "second": add_comment(app, "Second words"),
        "spam": add_comment(app, "Spam words", SPAM),
    }
    form, typed = _rendered(moderator, app, endpoint, ids)
    response = send(moderator, form, request=JSON, **typed)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["message"] == message
    assert answer["status"] == status
    with app.app_context():
        assert answer["counts"] == status_counts(db.get_session())
    assert set(answer["counts"]) == {"all", "pending", "approved", "spam", "trash"}


# What no action accepts ----------------------------------------------------------------


APPROVE = Endpoint("/moderation/?status=pending", _button("{pending}", "approve"), {})
DELETE = Endpoint("/moderation/?status=spam", _button("{spam}", "delete"), {})
BULK = Endpoint(
    "/moderation/?status=pending", "form#bulk", {"action": "approve", "ids": "{pending}"}
)
EMPTY_SPAM = Endpoint("/moderation/?status=spam", 'form[action$="/empty/spam"]', {})
EMPTY_TRASH = Endpoint("/moderation/?status=trash", 'form[action$="/empty/trash"]', {})
EDIT_FORM = Endpoint("/moderation/entries/{pending}/edit", 'form[action$="/edit"]', EDIT)
REPLY = Endpoint(
    "/moderation/?status=pending",
    _button("{pending}", "reply"),
    {"comment": "A moderator's answer."},
)
# Both boxes unticked: comments and pings closed.
POST_SETTINGS = Endpoint(
    "/moderation/posts",
    'form[action$="/posts/{post}"]',
    {"comments_open": None, "pings_open": None},
)
PASSWORD = Endpoint(
    "/moderation/password",
    'form[action$="/password"]',
    {"current": MODERATOR_PASSWORD, "new": "x" * 12, "confirm": "x" * 12},
)
LOGOUT = Endpoint("/moderation/", 'form[action$="/logout"]', {})
ENDPOINTS = [
    APPROVE,
    DELETE,
    BULK,
    EMPTY_SPAM,
    EMPTY_TRASH,
    EDIT_FORM,
    REPLY,
    POST_SETTINGS,
    PASSWORD,
]
ENDPOINT_IDS = [
    "approve", "delete", "bulk", "empty-spam", "empty-trash", "edit", "reply", "post-settings",
    "password",
]  # fmt: skip


@pytest.fixture
def targets(app, post) -> dict[str, int]:
    return {
        "pending": add_comment(app, "Pending words"),
        "spam": add_comment(app, "Spam words", SPAM),
        "trash": add_comment(app, "Trash words", TRASH),
        "post": post.id,
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_action_works_without_login(moderator, client, app, targets, endpoint):
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    # Sent by a visitor who is not logged in, with a token of their own session.
    token = csrf_token(client, "/moderation/login")
    response = send(client, form, csrf_token=token, **typed)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    assert _snapshot(app) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_action_works_for_a_session_of_a_disabled_account(moderator, app, targets, endpoint):
    form, typed = _rendered(moderator, app, endpoint, targets)
    with app.app_context():
        session = db.get_session()
        accounts.set_disabled(session, "mod", True)
        session.commit()
    before = _snapshot(app)
    response = send(moderator, form, **typed)
    assert response.status_code == 302
    assert _snapshot(app) == before


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, LOGOUT], ids=[*ENDPOINT_IDS, "logout"])
def test_no_action_works_without_a_form_token(moderator, app, targets, endpoint):
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    response = send(moderator, form, **{**typed, "csrf_token": None})
    assert response.status_code == 400
    assert _snapshot(app) == before
    assert moderator.get("/moderation/").status_code == 200  # still logged in


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, LOGOUT], ids=[*ENDPOINT_IDS, "logout"])
def test_every_action_works_as_its_page_rendered_it(moderator, app, targets, endpoint):
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    response = send(moderator, form, **typed)
    assert response.status_code == 303
    assert _snapshot(app) != before


@pytest.mark.parametrize("endpoint", ENDPOINTS[:4], ids=ENDPOINT_IDS[:4])
def test_a_token_from_another_session_is_refused(moderator, app, targets, endpoint):
    create_moderator(app, "eve")
    attacker = log_in(app, "eve")
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    token = csrf_token(attacker, "/moderation/")
    response = send(moderator, form, **{**typed, "csrf_token": token})
    assert response.status_code == 400
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    "url",
    [
        "/moderation/entries/{pending}/approve",
        "/moderation/entries/{spam}/delete",
        "/moderation/entries",
        "/moderation/empty/spam",
        "/moderation/entries/{pending}/reply",
        "/moderation/posts/{post}",
        "/moderation/logout",
    ],
)
def test_no_action_works_by_get(moderator, app, targets, url):
    before = _snapshot(app)
    assert moderator.get(url.format(**targets)).status_code == 405
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    ("endpoint", "url", "status"),
    [
        (APPROVE, "/moderation/entries/2147483648/approve", 404),
        (APPROVE, "/moderation/entries/99999999999999999999/approve", 404),
        (EDIT_FORM, "/moderation/entries/2147483648/edit", 404),
        (REPLY, "/moderation/entries/2147483648/reply", 404),
        (POST_SETTINGS, "/moderation/posts/2147483648", 404),
        (APPROVE, "/moderation/entries/-1/approve", 404),
        (REPLY, "/moderation/entries/2147483647/reply", 404),
        (APPROVE, "/moderation/entries/2147483647/approve", 303),
    ],
)
def test_an_id_that_is_no_entry_is_404_or_moves_nothing(
    moderator, app, targets, endpoint, url, status
):
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    # The form of that kind for a real entry or post, sent with a forged number.
    response = send(moderator, replace(form, action=url), **typed)
    assert response.status_code == status
    assert _snapshot(app)[:2] == before[:2]  # entries and posts as they were


@pytest.mark.parametrize("entry_id", ["2147483648", "2147483647"])
def test_the_edit_page_of_an_id_that_is_no_entry_is_404(moderator, app, targets, entry_id):
    before = _snapshot(app)
    assert moderator.get(f"/moderation/entries/{entry_id}/edit").status_code == 404
    assert _snapshot(app)[:2] == before[:2]


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("/moderation/entries/{pending}/frobnicate", {}),
        ("/moderation/entries/{pending}/APPROVE", {}),
        ("/moderation/entries/{pending}/approved", {}),
        ("/moderation/entries", {"action": "frobnicate", "ids": "{pending}"}),
        ("/moderation/entries", {"action": "", "ids": "{pending}"}),
        ("/moderation/entries", {"action": None, "ids": "{pending}"}),
    ],
)
def test_an_unknown_action_is_400_and_changes_nothing(moderator, app, targets, url, typed):
    kind = BULK if url == "/moderation/entries" else APPROVE
    form, _ = _rendered(moderator, app, kind, targets)
    before = _snapshot(app)
    # The action as a forged request names it; the rest as the queue rendered it.
    response = send(
        moderator, replace(form, action=url.format(**targets)), **_filled(typed, targets)
    )
    assert response.status_code == 400
    assert "There is no such action." in response.get_data(as_text=True)
    assert _snapshot(app) == before


# Where an action returns to ----------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        (BACK, BACK),
        ("/moderation/audit", "/moderation/audit"),
        ("https://evil.example/", "/moderation/"),
        ("//evil.example", "/moderation/"),
        ("///evil.example", "/moderation/"),
        ("/\\evil.example", "/moderation/"),
        ("\\\\evil.example", "/moderation/"),
        ("https://evil.example/moderation/", "/moderation/"),
        ("javascript:alert(1)", "/moderation/"),
        ("/posts/a-post/", "/moderation/"),
        ("/moderation/\r\nSet-Cookie: stolen=1", "/moderation/"),
        ("", "/moderation/"),
    ],
    ids=[
        "same-tab", "audit", "absolute", "scheme-relative", "triple-slash", "backslash",
        "double-backslash", "absolute-with-our-path", "javascript", "public-page", "crlf",
        "empty",
    ],
)  # fmt: skip
def test_an_action_returns_to_next_only_inside_the_dashboard(
    moderator, app, targets, next_url, location
):
    # `next` as a forged link or an edited page would send it.
    response = _act(moderator, app, targets["pending"], "approve", next=next_url)
    assert response.status_code == 303
    assert response.location == location
    assert "stolen" not in str(response.headers)
    assert _statuses(app, [targets["pending"]]) == [APPROVED]


# A reply to {spam}, loaded while it was pending: refused.
REFUSED_REPLY = Endpoint(
    "/moderation/?status=pending",
    _button("{spam}", "reply"),
    {"comment": "Refused answer."},
    ("spam", PENDING),
)
NOTHING_TICKED = Endpoint("/moderation/?status=pending", "form#bulk", {"action": "trash"})


@pytest.mark.parametrize(
    "endpoint",
    [BULK._replace(typed={"action": "trash", "ids": "{pending}"}), EMPTY_SPAM, EDIT_FORM,
     REPLY._replace(typed={"comment": "An answer."}), REFUSED_REPLY, NOTHING_TICKED],
    ids=["bulk", "empty", "edit", "reply", "refused-reply", "nothing-ticked"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("next_url", "location"),
    [(BACK, BACK), ("//evil.example", "/moderation/"), ("https://evil.example/", "/moderation/")],
    ids=["same-tab", "scheme-relative", "absolute"],
)
def test_every_kind_of_action_returns_to_next_only_inside_the_dashboard(
    moderator, app, targets, endpoint, next_url, location
):
    form, typed = _rendered(moderator, app, endpoint, targets)
    response = send(moderator, form, **{**typed, "next": next_url})
    assert response.status_code == 303
    assert response.location == location


def test_an_action_from_the_queue_returns_to_the_same_tab_filters_and_page(moderator, app, post):
    seed_many(app, post.id, 60)
    here = "/moderation/?status=pending&type=comment&q=seeded&page=2"
    page = moderator.get(here).get_data(as_text=True)
    assert {html.unescape(found) for found in NEXT.findall(page)} == {here}
    target = int(re.search(r'id="entry-(\d+)"', page).group(1))
    response = _act(moderator, app, target, "approve", page=here)
    assert response.location == here


# Empty spam, empty trash ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "after"), [("spam", [GONE, TRASH]), ("trash", [SPAM, GONE])])
def test_emptying_deletes_everything_in_that_status_and_nothing_else(
    moderator, app, post, status, after
):
    pending, approved = add_comment(app, "Pending"), add_comment(app, "Approved", APPROVED)
    spam, trash = _comments(app, SPAM, 2), _comments(app, TRASH, 2)
    here = _listing(status)
    response = submit_form(moderator, here, f'form[action$="/empty/{status}"]')
    assert response.status_code == 303
    assert response.location == here
    assert "2 entries deleted permanently." in _flashed(moderator, response)
    assert _statuses(app, [pending, approved]) == [PENDING, APPROVED]
    assert _statuses(app, spam) == [after[0]] * 2
    assert _statuses(app, trash) == [after[1]] * 2
    emptied = {"spam": spam, "trash": trash}[status]
    assert _audit(app)[-1] == ("mod", f"empty-{status}", ",".join(map(str, emptied)), "127.0.0.1")
    assert _detail(app) == "2 deleted"


@pytest.mark.parametrize("status", ["pending", "approved", "all", "nothing"])
def test_only_spam_and_trash_can_be_emptied(moderator, app, targets, status):
    form, _ = _rendered(moderator, app, EMPTY_SPAM, targets)
    before = _snapshot(app)
    # The Empty form sent to a status the queue offers no such form for.
    response = send(moderator, replace(form, action=f"/moderation/empty/{status}"))
    assert response.status_code == 404
    assert _snapshot(app) == before


def test_the_queue_offers_empty_only_on_a_non_empty_spam_or_trash_tab(moderator, app, targets):
    assert "Empty spam" in moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert "Empty" not in moderator.get("/moderation/?status=pending").get_data(as_text=True)
    submit_form(moderator, "/moderation/?status=spam", 'form[action$="/empty/spam"]')
    assert "Empty spam" not in moderator.get("/moderation/?status=spam").get_data(as_text=True)


# Edit -------------------------------------------------------------------------------------


def _edit_page(entry_id: int) -> str:
    """The edit page as the queue's Edit link opens it, from the view at BACK."""
    return f"/moderation/entries/{entry_id}/edit?" + urlencode({"next": BACK})


def _edit(client, entry_id: int, **typed):
    return submit_form(client, _edit_page(entry_id), 'form[action$="/edit"]', **typed)


def test_the_edit_page_shows_the_entry_as_typed(moderator, app, post):
    entry_id = add_comment(
        app, "Typed <b>bold</b> text", name="Grace", website="https://grace.example/"
    )
    response = moderator.get(f"/moderation/entries/{entry_id}/edit", query_string={"next": BACK})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Typed &lt;b&gt;bold&lt;/b&gt; text</textarea>" in page
    assert 'value="Grace"' in page
    assert 'value="ada.reader@example.net"' in page
    assert 'value="https://grace.example/"' in page
    assert f'name="next" value="{BACK.replace("&", "&amp;")}"' in page


def test_an_edit_changes_the_entry_sanitises_it_again_and_is_audited(moderator, app, post):
    entry_id = add_comment(app, "Original words")
    response = _edit(moderator, entry_id, **EDIT)
    assert response.status_code == 303
    assert response.location == BACK
    entry = _entry(app, entry_id)
    assert (entry.body, entry.author, entry.email, entry.website) == (
        EDIT["comment"],
        "Edited Name",
        "edited@example.org",
        "http://edited.example.org",
    )
    assert "<script>" not in entry.body_html
    assert "&lt;script&gt;" in entry.body_html
    assert (
        '<a href="https://edited.com/" rel="nofollow ugc noopener noreferrer">' in entry.body_html
    )
    assert _audit(app)[-1] == ("mod", "edit", str(entry_id), "127.0.0.1")
    assert _detail(app) == "changed: text, name, email, website"
    assert "Entry saved." in _flashed(moderator, response)


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"name": "Another Name"}, "changed: name"),
        ({"comment": "Other words"}, "changed: text"),
        ({"email": ""}, "changed: email"),
        ({}, "changed: nothing"),
    ],
)
def test_the_audit_log_names_the_fields_an_edit_changed(moderator, app, post, changes, detail):
    entry_id = add_comment(app, "Original words")
    response = _edit(moderator, entry_id, **changes)  # the rest as the page shows it
    assert response.status_code == 303
    assert _detail(app) == detail


@pytest.mark.parametrize(
    ("field", "value", "message", "kept"),
    [
        ("email", "not an address", "Please enter a valid email address.",
         'value="not an address"'),
        ("email", "a@b", "Please enter a valid email address.", 'value="a@b"'),
        ("website", "javascript:alert(1)", "The website must be an http:// or https:// address.",
         'value="javascript:alert(1)"'),
        ("comment", "", "Please type your comment.", 'value="Edited Name"'),
        ("comment", "bad \x00 byte", "invisible control character", 'value="Edited Name"'),
        ("comment", "x" * 65_526, "at most 65,525 are allowed", "x" * 65_526 + "</textarea>"),
        ("name", "", "Please enter your name.", "Edited *text*"),
        ("name", "\u202eevil", "invisible control character", "Edited *text*"),
    ],
)  # fmt: skip
def test_an_invalid_edit_is_400_re_rendered_and_changes_nothing(
    moderator, app, post, field, value, message, kept
):
    entry_id = add_comment(app, "Original words")
    before = _snapshot(app)
    response = _edit(moderator, entry_id, **{**EDIT, field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert kept in page
    assert f'name="next" value="{BACK.replace("&", "&amp;")}"' in page
    assert _snapshot(app) == before


def test_editing_an_entry_that_does_not_exist_is_404(moderator, app, post):
    assert moderator.get("/moderation/entries/999999/edit").status_code == 404
    entry_id = add_comment(app, "Original words")
    form = page_form(moderator, _edit_page(entry_id), 'form[action$="/edit"]')
    # The edit form of a real entry, sent to the address of one that does not exist.
    response = send(moderator, replace(form, action="/moderation/entries/999999/edit"), **EDIT)
    assert response.status_code == 404


def test_an_edited_approved_comment_shows_its_new_text_on_the_post_page(moderator, app, post):
    entry_id = add_comment(app, "Before the edit", APPROVED)
    assert "Before the edit" in moderator.get("/posts/a-post/").get_data(as_text=True)
    _edit(moderator, entry_id, **{**EDIT, "comment": "After the edit"})
    page = moderator.get("/posts/a-post/").get_data(as_text=True)
    assert "After the edit" in page
    assert "Before the edit" not in page


# Reply ------------------------------------------------------------------------------------


def _reply(client, app, entry_id: int, comment: str, page: str | None = None, **options):
    """Type a reply into an entry's Reply form on the queue and publish it."""
    return _act(client, app, entry_id, "reply", page=page, comment=comment, **options)


def test_a_reply_to_a_pending_entry_approves_it_and_is_threaded_under_it(moderator, app, post):
    parent = add_comment(app, "A question from a reader")
    here = "/moderation/?status=pending&q=question"
    response = _reply(moderator, app, parent, "An answer from us <script>x</script>", page=here)
    assert response.status_code == 303
    assert response.location == here
    with app.app_context():
        reply = db.get_session().scalar(select(Entry).where(Entry.parent_id == parent))
    assert _statuses(app, [parent, reply.id]) == [APPROVED, APPROVED]
    assert (reply.author, reply.type, reply.post_id) == ("mod", EntryType.COMMENT, post.id)
    assert reply.moderator_id is not None
    assert "<script>" not in reply.body_html
    assert _audit(app)[-1] == ("mod", "reply", f"{parent},{reply.id}", "127.0.0.1")
    assert _detail(app) == "parent approved"
    page = moderator.get("/posts/a-post/").get_data(as_text=True)
    assert "A question from a reader" in page
    assert re.search(
        rf'<li id="comment-{reply.id}" class="entry depth-1 comment">.*?'
        r'<span class="badge">Moderator</span>.*?An answer from us',
        page,
        re.DOTALL,
    )


def test_a_reply_to_an_approved_entry_leaves_it_as_it_was(moderator, app, post):
    parent = add_comment(app, "Already approved", APPROVED)
    _reply(moderator, app, parent, "Agreed.")
    with app.app_context():
        reply = db.get_session().scalar(select(Entry).where(Entry.parent_id == parent))
    assert _statuses(app, [parent, reply.id]) == [APPROVED, APPROVED]
    assert _entry(app, parent).reason == "approve by test"  # as tests.helpers left it
    assert _audit(app)[-1] == ("mod", "reply", str(reply.id), "127.0.0.1")


@pytest.mark.parametrize("status", [SPAM, TRASH])
def test_a_reply_to_an_entry_in_spam_or_trash_is_refused_with_a_message(
    moderator, app, post, status
):
    parent = add_comment(app, "Not wanted", status)
    here = "/moderation/?status=pending&q=wanted"
    # The queue offers Reply only outside spam and trash: the page is older than the move.
    with _shown_as(app, parent, PENDING):
        form = page_form(moderator, here, _button(parent, "reply"))
    before = _snapshot(app)
    response = send(moderator, form, comment="Hello?")
    assert response.status_code == 303
    assert response.location == here
    assert "Move the entry out of spam or trash before replying to it." in _flashed(
        moderator, response
    )
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    ("comment", "message"),
    [("", "Please type your comment."), ("   ", "Please type your comment."),
     ("bad \x00 byte", "invisible control character")],
)  # fmt: skip
def test_an_empty_or_invalid_reply_is_refused_with_a_message(
    moderator, app, post, comment, message
):
    parent = add_comment(app, "A question")
    before = _snapshot(app)
    response = _reply(moderator, app, parent, comment)
    assert message in _flashed(moderator, response)
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (REFUSED_REPLY._replace(typed={"comment": "Hello?"}),
         "Move the entry out of spam or trash before replying to it."),
        (REPLY._replace(typed={"comment": ""}), "Please type your comment."),
        (NOTHING_TICKED._replace(typed={"action": "approve"}), "Tick at least one entry first."),
    ],
    ids=["reply-to-spam", "empty-reply", "nothing-ticked"],
)  # fmt: skip
def test_a_refused_action_asked_for_json_answers_400_with_the_message(
    moderator, app, targets, endpoint, message
):
    form, typed = _rendered(moderator, app, endpoint, targets)
    before = _snapshot(app)
    response = send(moderator, form, request=JSON, **typed)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["message"] == message
    assert answer["status"] is None
    assert answer["counts"]["spam"] == 1
    assert _snapshot(app) == before


def test_a_reply_to_an_entry_that_does_not_exist_is_404(moderator, app, post):
    parent = add_comment(app, "A question")
    form = page_form(moderator, _tab(app, parent), _button(parent, "reply"))
    # The Reply form of a real entry, sent to the address of one that does not exist.
    response = send(
        moderator, replace(form, action="/moderation/entries/999999/reply"), comment="Hi"
    )
    assert response.status_code == 404


# Posts -------------------------------------------------------------------------------------


def _post_settings(client, post_id: int, ticked: dict):
    """Tick the boxes named in `ticked` (and untick the others) on the Posts page; save."""
    boxes = {name: ticked.get(name) for name in ("comments_open", "pings_open")}
    return submit_form(client, "/moderation/posts", f'form[action$="/posts/{post_id}"]', **boxes)


@pytest.mark.parametrize(
    ("data", "comments_open", "pings_open", "detail"),
    [
        ({}, False, False, "a-post: comments closed, pings closed"),
        ({"comments_open": "y"}, True, False, "a-post: comments open, pings closed"),
        ({"pings_open": "y"}, False, True, "a-post: comments closed, pings open"),
        (
            {"comments_open": "y", "pings_open": "y"},
            True,
            True,
            "a-post: comments open, pings open",
        ),
    ],
)
def test_post_settings_open_and_close_comments_and_pings(
    moderator, app, post, other_post, data, comments_open, pings_open, detail
):
    response = _post_settings(moderator, post.id, data)
    assert response.status_code == 303
    assert response.location == "/moderation/posts"
    with app.app_context():
        session = db.get_session()
        saved = session.get(Post, post.id)
        untouched = session.get(Post, other_post.id)
    assert (saved.comments_open, saved.pings_open) == (comments_open, pings_open)
    assert (untouched.comments_open, untouched.pings_open) == (True, True)
    assert _audit(app)[-1] == ("mod", "post-settings", "", "127.0.0.1")
    assert _detail(app) == detail


def test_closed_comments_refuse_readers_until_opened_again(moderator, app, post, clock):
    comment = {"comment": "Hi", "name": "Reader", "email": "reader@example.net"}
    visitor = reader(app)
    form = comment_form(visitor)  # the reader opened the form while comments were open
    _post_settings(moderator, post.id, {"pings_open": "y"})
    clock.advance(30)
    refused = send(visitor, form, **comment)
    assert refused.status_code == 403
    assert "Comments are closed on this post." in refused.get_data(as_text=True)
    _post_settings(moderator, post.id, {"comments_open": "y", "pings_open": "y"})
    assert submit(visitor, **comment).status_code == 303


def test_the_posts_page_shows_each_post_setting(moderator, app, post):
    _post_settings(moderator, post.id, {"pings_open": "y"})
    page = moderator.get("/moderation/posts").get_data(as_text=True)
    assert '<input type="checkbox" name="comments_open" value="y"> comments open' in page
    assert '<input type="checkbox" name="pings_open" value="y" checked> pings open' in page


def test_settings_of_a_post_that_does_not_exist_are_404(moderator, post):
    form = page_form(moderator, "/moderation/posts", f'form[action$="/posts/{post.id}"]')
    # The form of a real post, sent to the address of one that does not exist.
    assert send(moderator, replace(form, action="/moderation/posts/999999")).status_code == 404


# Audit log and the public page ----------------------------------------------------------------


def test_the_audit_page_shows_who_did_what_to_which_entries_from_where(moderator, app, post):
    ids = _comments(app, PENDING, 2)
    _bulk(moderator, _listing(PENDING), "spam", ids)
    page = moderator.get("/moderation/audit").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td[^>]*><time[^>]*>[^<]*</time></td>(.*?)</tr>", page, re.DOTALL)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    assert cells == [
        ["mod", "spam", f"{ids[0]}, {ids[1]}", "2 of 2 changed", "127.0.0.1"],
        ["mod", "login", "", "", "127.0.0.1"],
    ]


def test_the_audit_page_goes_back_a_hundred_events_at_a_time(moderator, app):
    with app.app_context():
        session = db.get_session()
        for number in range(120):
            accounts.record(session, accounts.Actor(None, "cli", ""), f"event-{number}")
        session.commit()
    first = moderator.get("/moderation/audit").get_data(as_text=True)
    assert first.count("<tr>") == 101  # the header row and a hundred events
    assert 'href="/moderation/audit?page=2">Older' in first
    second = moderator.get("/moderation/audit?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 21
    assert "Older" not in second
    assert moderator.get("/moderation/audit?page=abc").status_code == 200


def test_the_post_page_shows_what_was_approved_and_nothing_else(moderator, app, post):
    ids = {
        text: add_comment(app, text)
        for text in ("Approve me", "Approve me too", "Mark me spam", "Trash me", "Leave me")
    }
    _bulk(
        moderator,
        "/moderation/?status=pending",
        "approve",
        [ids["Approve me"], ids["Approve me too"]],
    )
    _act(moderator, app, ids["Mark me spam"], "spam")
    _act(moderator, app, ids["Trash me"], "trash")
    page = app.test_client().get("/posts/a-post/").get_data(as_text=True)
    shown = {text for text in ids if f"<p>{text}</p>" in page}
    assert shown == {"Approve me", "Approve me too"}
    assert "2 thoughts on" in page

    _act(moderator, app, ids["Approve me"], "unapprove")
    page = app.test_client().get("/posts/a-post/").get_data(as_text=True)
    shown = {text for text in ids if f"<p>{text}</p>" in page}
    assert shown == {"Approve me too"}
    assert "1 thought on" in page
