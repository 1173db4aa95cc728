"""Every action of the dashboard: what it moves, what it records, and what it refuses."""

import html
import re

import pytest
from sqlalchemy import select

from moderation import accounts, db
from moderation.models import AuditEvent, Entry, EntryType, Post, Status
from moderation.moderating import status_counts
from tests.conftest import MODERATOR_PASSWORD, create_moderator
from tests.helpers import add_comment, csrf_token, form_data, seed_many

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


def _comments(app, status: Status, count: int) -> list[int]:
    return [add_comment(app, f"{status} words {number}", status) for number in range(count)]


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


def _csrf_moderator(make_app):
    """An app that checks form tokens, and a client logged in to it with a real token."""
    app = make_app(WTF_CSRF_ENABLED=True)
    create_moderator(app)
    client = app.test_client()
    response = client.post(
        "/moderation/login",
        data={
            "username": "mod",
            "password": MODERATOR_PASSWORD,
            "csrf_token": csrf_token(client, "/moderation/login"),
        },
    )
    assert response.status_code == 303
    return app, client


def _flashed(client, response) -> str:
    return client.get(response.location).get_data(as_text=True)


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


@pytest.mark.parametrize(("action", "before", "after"), MOVES)
def test_an_action_moves_exactly_that_entry_and_is_audited(
    moderator, app, post, action, before, after
):
    target, bystander = _comments(app, before, 2)
    response = moderator.post(f"/moderation/entries/{target}/{action}", data={"next": BACK})
    assert response.status_code == 303
    assert response.location == BACK
    assert _statuses(app, [target, bystander]) == [after, before]
    assert _audit(app)[-1] == ("mod", action, str(target), "127.0.0.1")
    assert _detail(app) == "1 of 1 changed"


@pytest.mark.parametrize(("action", "before"), DOES_NOT_APPLY)
def test_an_action_that_does_not_fit_the_status_changes_nothing(
    moderator, app, post, action, before
):
    (target,) = _comments(app, before, 1)
    response = moderator.post(f"/moderation/entries/{target}/{action}")
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
    response = moderator.post(f"/moderation/entries/{target}/{action}")
    assert message in _flashed(moderator, response)


def test_a_moved_entry_records_who_moved_it_as_its_reason(moderator, app, post):
    (target,) = _comments(app, PENDING, 1)
    moderator.post(f"/moderation/entries/{target}/spam")
    assert _entry(app, target).reason == "spam by mod"
    page = moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert "Why: spam by mod" in page


def test_deleting_an_entry_keeps_its_replies_as_replies_to_nothing(moderator, app, post):
    parent = add_comment(app, "The parent", APPROVED)
    child = add_comment(app, "The reply", APPROVED, parent_id=parent)
    moderator.post(f"/moderation/entries/{parent}/trash")
    moderator.post(f"/moderation/entries/{parent}/delete")
    assert _statuses(app, [parent, child]) == [GONE, APPROVED]
    assert _entry(app, child).parent_id is None


# Bulk actions ------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "before", "after"), MOVES)
def test_a_bulk_action_moves_exactly_the_ticked_entries_and_is_audited(
    moderator, app, post, action, before, after
):
    ids = _comments(app, before, 5)
    ticked = [ids[0], ids[2], ids[4]]
    response = moderator.post(
        "/moderation/entries", data={"action": action, "ids": ticked, "next": BACK}
    )
    assert response.status_code == 303
    assert response.location == BACK
    assert _statuses(app, ids) == [after, before, after, before, after]
    assert _audit(app)[-1] == ("mod", action, ",".join(map(str, ticked)), "127.0.0.1")
    assert _detail(app) == "3 of 3 changed"


@pytest.mark.parametrize(("action", "before"), DOES_NOT_APPLY)
def test_a_bulk_action_that_does_not_fit_the_status_changes_nothing(
    moderator, app, post, action, before
):
    ids = _comments(app, before, 3)
    moderator.post("/moderation/entries", data={"action": action, "ids": ids})
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
    ids = [add_comment(app, f"{s} words", s) for s in (PENDING, APPROVED, SPAM, TRASH)]
    response = moderator.post("/moderation/entries", data={"action": action, "ids": ids})
    assert response.status_code == 303
    assert _statuses(app, ids) == after


@pytest.mark.parametrize("ids", [[], ["abc"], ["0"], ["-1"], ["99999999999"], ["1.0"], [""]])
def test_a_bulk_action_with_nothing_ticked_asks_for_a_tick(moderator, app, post, ids):
    _comments(app, PENDING, 2)
    before = _snapshot(app)
    response = moderator.post(
        "/moderation/entries", data={"action": "approve", "ids": ids, "next": BACK}
    )
    assert response.status_code == 303
    assert response.location == BACK
    assert "Tick at least one entry first." in _flashed(moderator, response)
    assert _snapshot(app) == before


def test_a_bulk_action_ignores_ids_that_are_not_entries(moderator, app, post):
    ids = _comments(app, PENDING, 2)
    moderator.post(
        "/moderation/entries", data={"action": "approve", "ids": [ids[0], "x", "2147483647"]}
    )
    assert _statuses(app, ids) == [APPROVED, PENDING]


FROM_PENDING = {action: after for action, before, after in MOVES if before == PENDING}


@pytest.mark.parametrize("action", ["approve", "spam", "trash"])
def test_a_bulk_action_on_500_entries_is_one_update(moderator, app, post, count_queries, action):
    ids = seed_many(app, post.id, 500)
    with count_queries() as statements:
        response = moderator.post("/moderation/entries", data={"action": action, "ids": ids})
    assert response.status_code == 303
    updates = [each for each in statements if each.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert set(_statuses(app, ids)) == {FROM_PENDING[action]}
    assert _detail(app) == "500 of 500 changed"


# JSON answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data", "message", "status"),
    [
        ("/moderation/entries/{first}/approve", {}, "1 entry approved.", "approved"),
        (
            "/moderation/entries",
            {"action": "spam", "ids": ["{first}", "{second}"]},
            "2 entries marked as spam.",
            "spam",
        ),
        ("/moderation/entries/{spam}/delete", {}, "1 entry deleted permanently.", None),
        ("/moderation/empty/spam", {}, "1 entry deleted permanently.", None),
        (
            "/moderation/entries/{first}/reply",
            {"comment": "Thanks!"},
            "Reply published.",
            "approved",
        ),
    ],
    ids=["single", "bulk", "delete", "empty", "reply"],
)
def test_an_action_asked_for_json_answers_message_status_and_counts(
    moderator, app, post, url, data, message, status
):
    ids = {
        "first": add_comment(app, "First words"),
        "second": add_comment(app, "Second words"),
        "spam": add_comment(app, "Spam words", SPAM),
    }
    data = {
        key: [each.format(**ids) for each in value] if isinstance(value, list) else value
        for key, value in data.items()
    }
    response = moderator.post(url.format(**ids), data=data, headers={"Accept": "application/json"})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["message"] == message
    assert answer["status"] == status
    with app.app_context():
        assert answer["counts"] == status_counts(db.get_session())
    assert set(answer["counts"]) == {"all", "pending", "approved", "spam", "trash"}


# What no action accepts ----------------------------------------------------------------

ENDPOINTS = [
    ("/moderation/entries/{pending}/approve", {}),
    ("/moderation/entries/{spam}/delete", {}),
    ("/moderation/entries", {"action": "approve", "ids": "{pending}"}),
    ("/moderation/empty/spam", {}),
    ("/moderation/empty/trash", {}),
    ("/moderation/entries/{pending}/edit", EDIT),
    ("/moderation/entries/{pending}/reply", {"comment": "A moderator's answer."}),
    ("/moderation/posts/{post}", {}),
    ("/moderation/password", {"current": MODERATOR_PASSWORD, "new": "x" * 12, "confirm": "x" * 12}),
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


def _filled(url: str, data: dict, targets: dict) -> tuple[str, dict]:
    return url.format(**targets), {key: value.format(**targets) for key, value in data.items()}


@pytest.mark.parametrize(("url", "data"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_action_works_without_login(client, app, targets, url, data):
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = client.post(target, data=form)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    assert _snapshot(app) == before


@pytest.mark.parametrize(("url", "data"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_action_works_for_a_session_of_a_disabled_account(moderator, app, targets, url, data):
    with app.app_context():
        session = db.get_session()
        accounts.set_disabled(session, "mod", True)
        session.commit()
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = moderator.post(target, data=form)
    assert response.status_code == 302
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    ("url", "data"),
    [*ENDPOINTS, ("/moderation/logout", {})],
    ids=[*ENDPOINT_IDS, "logout"],
)
def test_no_action_works_without_a_formcsrf_token(make_app, targets, url, data):
    app, client = _csrf_moderator(make_app)
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = client.post(target, data=form)
    assert response.status_code == 400
    assert _snapshot(app) == before
    assert client.get("/moderation/").status_code == 200  # still logged in


@pytest.mark.parametrize(
    ("url", "data"),
    [*ENDPOINTS, ("/moderation/logout", {})],
    ids=[*ENDPOINT_IDS, "logout"],
)
def test_every_action_works_with_the_token_from_the_queue_page(make_app, targets, url, data):
    app, client = _csrf_moderator(make_app)
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = client.post(target, data={**form, "csrf_token": csrf_token(client, "/moderation/")})
    assert response.status_code == 303
    assert _snapshot(app) != before


@pytest.mark.parametrize(("url", "data"), ENDPOINTS[:4], ids=ENDPOINT_IDS[:4])
def test_a_token_from_another_session_is_refused(make_app, targets, url, data):
    app, client = _csrf_moderator(make_app)
    create_moderator(app, "eve")
    attacker = app.test_client()
    attacker.post(
        "/moderation/login",
        data={
            "username": "eve",
            "password": MODERATOR_PASSWORD,
            "csrf_token": csrf_token(attacker, "/moderation/login"),
        },
    )
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = client.post(
        target, data={**form, "csrf_token": csrf_token(attacker, "/moderation/")}
    )
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
    ("method", "url", "status"),
    [
        ("post", "/moderation/entries/2147483648/approve", 404),
        ("post", "/moderation/entries/99999999999999999999/approve", 404),
        ("get", "/moderation/entries/2147483648/edit", 404),
        ("post", "/moderation/entries/2147483648/edit", 404),
        ("post", "/moderation/entries/2147483648/reply", 404),
        ("post", "/moderation/posts/2147483648", 404),
        ("post", "/moderation/entries/-1/approve", 404),
        ("get", "/moderation/entries/2147483647/edit", 404),
        ("post", "/moderation/entries/2147483647/reply", 404),
        ("post", "/moderation/entries/2147483647/approve", 303),
    ],
)
def test_an_id_that_is_no_entry_is_404_or_moves_nothing(
    moderator, app, targets, method, url, status
):
    before = _snapshot(app)
    response = getattr(moderator, method)(url, data={"comment": "Hi", **EDIT})
    assert response.status_code == status
    assert _snapshot(app)[:2] == before[:2]  # entries and posts as they were


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/moderation/entries/{pending}/frobnicate", {}),
        ("/moderation/entries/{pending}/APPROVE", {}),
        ("/moderation/entries/{pending}/approved", {}),
        ("/moderation/entries", {"action": "frobnicate", "ids": "{pending}"}),
        ("/moderation/entries", {"action": "", "ids": "{pending}"}),
        ("/moderation/entries", {"ids": "{pending}"}),
    ],
)
def test_an_unknown_action_is_400_and_changes_nothing(moderator, app, targets, url, data):
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = moderator.post(target, data=form)
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
    response = moderator.post(
        f"/moderation/entries/{targets['pending']}/approve", data={"next": next_url}
    )
    assert response.status_code == 303
    assert response.location == location
    assert "stolen" not in str(response.headers)
    assert _statuses(app, [targets["pending"]]) == [APPROVED]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/moderation/entries", {"action": "trash", "ids": "{pending}"}),
        ("/moderation/empty/spam", {}),
        ("/moderation/entries/{pending}/edit", EDIT),
        ("/moderation/entries/{pending}/reply", {"comment": "An answer."}),
        ("/moderation/entries/{spam}/reply", {"comment": "Refused answer."}),
        ("/moderation/entries", {"action": "trash"}),
    ],
    ids=["bulk", "empty", "edit", "reply", "refused-reply", "nothing-ticked"],
)
@pytest.mark.parametrize(
    ("next_url", "location"),
    [(BACK, BACK), ("//evil.example", "/moderation/"), ("https://evil.example/", "/moderation/")],
    ids=["same-tab", "scheme-relative", "absolute"],
)
def test_every_kind_of_action_returns_to_next_only_inside_the_dashboard(
    moderator, targets, url, data, next_url, location
):
    target, form = _filled(url, data, targets)
    response = moderator.post(target, data={**form, "next": next_url})
    assert response.status_code == 303
    assert response.location == location


def test_an_action_from_the_queue_returns_to_the_same_tab_filters_and_page(moderator, app, post):
    seed_many(app, post.id, 60)
    here = "/moderation/?status=pending&type=comment&q=seeded&page=2"
    page = moderator.get(here).get_data(as_text=True)
    assert {html.unescape(found) for found in NEXT.findall(page)} == {here}
    target = int(re.search(r'id="entry-(\d+)"', page).group(1))
    response = moderator.post(f"/moderation/entries/{target}/approve", data={"next": here})
    assert response.location == here


# Empty spam, empty trash ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "after"), [("spam", [GONE, TRASH]), ("trash", [SPAM, GONE])])
def test_emptying_deletes_everything_in_that_status_and_nothing_else(
    moderator, app, post, status, after
):
    pending, approved = add_comment(app, "Pending"), add_comment(app, "Approved", APPROVED)
    spam, trash = _comments(app, SPAM, 2), _comments(app, TRASH, 2)
    response = moderator.post(f"/moderation/empty/{status}", data={"next": BACK})
    assert response.status_code == 303
    assert response.location == BACK
    assert "2 entries deleted permanently." in _flashed(moderator, response)
    assert _statuses(app, [pending, approved]) == [PENDING, APPROVED]
    assert _statuses(app, spam) == [after[0]] * 2
    assert _statuses(app, trash) == [after[1]] * 2
    emptied = {"spam": spam, "trash": trash}[status]
    assert _audit(app)[-1] == ("mod", f"empty-{status}", ",".join(map(str, emptied)), "127.0.0.1")
    assert _detail(app) == "2 deleted"


@pytest.mark.parametrize("status", ["pending", "approved", "all", "nothing"])
def test_only_spam_and_trash_can_be_emptied(moderator, app, targets, status):
    before = _snapshot(app)
    assert moderator.post(f"/moderation/empty/{status}").status_code == 404
    assert _snapshot(app) == before


def test_the_queue_offers_empty_only_on_a_non_empty_spam_or_trash_tab(moderator, app, targets):
    assert "Empty spam" in moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert "Empty" not in moderator.get("/moderation/?status=pending").get_data(as_text=True)
    moderator.post("/moderation/empty/spam")
    assert "Empty spam" not in moderator.get("/moderation/?status=spam").get_data(as_text=True)


# Edit -------------------------------------------------------------------------------------


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
    response = moderator.post(f"/moderation/entries/{entry_id}/edit", data={**EDIT, "next": BACK})
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
    same = {"comment": "Original words", "name": "Ada Reader", "email": "ada.reader@example.net"}
    response = moderator.post(f"/moderation/entries/{entry_id}/edit", data={**same, **changes})
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
    response = moderator.post(
        f"/moderation/entries/{entry_id}/edit", data={**EDIT, field: value, "next": BACK}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert kept in page
    assert f'name="next" value="{BACK.replace("&", "&amp;")}"' in page
    assert _snapshot(app) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_editing_an_entry_that_does_not_exist_is_404(moderator, post, method):
    response = getattr(moderator, method)("/moderation/entries/999999/edit", data=EDIT)
    assert response.status_code == 404


def test_an_edited_approved_comment_shows_its_new_text_on_the_post_page(moderator, app, post):
    entry_id = add_comment(app, "Before the edit", APPROVED)
    assert "Before the edit" in moderator.get("/posts/a-post/").get_data(as_text=True)
    moderator.post(
        f"/moderation/entries/{entry_id}/edit",
        data={**EDIT, "comment": "After the edit"},
    )
    page = moderator.get("/posts/a-post/").get_data(as_text=True)
    assert "After the edit" in page
    assert "Before the edit" not in page


# Reply ------------------------------------------------------------------------------------


def test_a_reply_to_a_pending_entry_approves_it_and_is_threaded_under_it(moderator, app, post):
    parent = add_comment(app, "A question from a reader")
    response = moderator.post(
        f"/moderation/entries/{parent}/reply",
        data={"comment": "An answer from us <script>x</script>", "next": BACK},
    )
    assert response.status_code == 303
    assert response.location == BACK
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
    moderator.post(f"/moderation/entries/{parent}/reply", data={"comment": "Agreed."})
    with app.app_context():
        reply = db.get_session().scalar(select(Entry).where(Entry.parent_id == parent))
    assert _statuses(app, [parent, reply.id]) == [APPROVED, APPROVED]
    assert _entry(app, parent).reason == "approved in a test"
    assert _audit(app)[-1] == ("mod", "reply", str(reply.id), "127.0.0.1")


@pytest.mark.parametrize("status", [SPAM, TRASH])
def test_a_reply_to_an_entry_in_spam_or_trash_is_refused_with_a_message(
    moderator, app, post, status
):
    parent = add_comment(app, "Not wanted", status)
    before = _snapshot(app)
    response = moderator.post(
        f"/moderation/entries/{parent}/reply", data={"comment": "Hello?", "next": BACK}
    )
    assert response.status_code == 303
    assert response.location == BACK
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
    response = moderator.post(f"/moderation/entries/{parent}/reply", data={"comment": comment})
    assert message in _flashed(moderator, response)
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/moderation/entries/{spam}/reply", {"comment": "Hello?"},
         "Move the entry out of spam or trash before replying to it."),
        ("/moderation/entries/{pending}/reply", {"comment": ""}, "Please type your comment."),
        ("/moderation/entries", {"action": "approve"}, "Tick at least one entry first."),
    ],
    ids=["reply-to-spam", "empty-reply", "nothing-ticked"],
)  # fmt: skip
def test_a_refused_action_asked_for_json_answers_400_with_the_message(
    moderator, app, targets, url, data, message
):
    before = _snapshot(app)
    target, form = _filled(url, data, targets)
    response = moderator.post(target, data=form, headers={"Accept": "application/json"})
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["message"] == message
    assert answer["status"] is None
    assert answer["counts"]["spam"] == 1
    assert _snapshot(app) == before


def test_a_reply_to_an_entry_that_does_not_exist_is_404(moderator, post):
    response = moderator.post("/moderation/entries/999999/reply", data={"comment": "Hi"})
    assert response.status_code == 404


# Posts -------------------------------------------------------------------------------------


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
    response = moderator.post(f"/moderation/posts/{post.id}", data=data)
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


def test_closed_comments_refuse_readers_until_opened_again(moderator, app, post):
    comment = form_data(app, comment="Hi", name="Reader", email="reader@example.net")
    moderator.post(f"/moderation/posts/{post.id}", data={"pings_open": "y"})
    refused = app.test_client().post("/posts/a-post/comments", data=comment)
    assert refused.status_code == 403
    assert "Comments are closed on this post." in refused.get_data(as_text=True)
    moderator.post(f"/moderation/posts/{post.id}", data={"comments_open": "y", "pings_open": "y"})
    assert app.test_client().post("/posts/a-post/comments", data=comment).status_code == 303


def test_the_posts_page_shows_each_post_setting(moderator, app, post):
    moderator.post(f"/moderation/posts/{post.id}", data={"pings_open": "y"})
    page = moderator.get("/moderation/posts").get_data(as_text=True)
    assert '<input type="checkbox" name="comments_open" value="y"> comments open' in page
    assert '<input type="checkbox" name="pings_open" value="y" checked> pings open' in page


def test_settings_of_a_post_that_does_not_exist_are_404(moderator, post):
    assert moderator.post("/moderation/posts/999999", data={}).status_code == 404


# Audit log and the public page ----------------------------------------------------------------


def test_the_audit_page_shows_who_did_what_to_which_entries_from_where(moderator, app, post):
    ids = _comments(app, PENDING, 2)
    moderator.post("/moderation/entries", data={"action": "spam", "ids": ids})
    page = moderator.get("/moderation/audit").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td><time[^>]*>[^<]*</time></td>(.*?)</tr>", page, re.DOTALL)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
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
    moderator.post(
        "/moderation/entries",
        data={"action": "approve", "ids": [ids["Approve me"], ids["Approve me too"]]},
    )
    moderator.post(f"/moderation/entries/{ids['Mark me spam']}/spam")
    moderator.post(f"/moderation/entries/{ids['Trash me']}/trash")
    page = app.test_client().get("/posts/a-post/").get_data(as_text=True)
    shown = {text for text in ids if f"<p>{text}</p>" in page}
    assert shown == {"Approve me", "Approve me too"}
    assert "2 thoughts on" in page

    moderator.post(f"/moderation/entries/{ids['Approve me']}/unapprove")
    page = app.test_client().get("/posts/a-post/").get_data(as_text=True)
    shown = {text for text in ids if f"<p>{text}</p>" in page}
    assert shown == {"Approve me too"}
    assert "1 thought on" in page
