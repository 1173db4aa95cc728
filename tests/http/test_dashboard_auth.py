"""Logging in and out of the dashboard: sessions, cookies, the failed-login limit, headers."""

import hashlib
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from moderation.infra import db
from moderation.infra.models import AuditEvent, Login, utcnow
from moderation.services import accounts
from moderation.web.dashboard.sign_in import TOO_MANY_LOGINS, WRONG_LOGIN
from tests.conftest import MODERATOR_PASSWORD, create_moderator, send_login
from tests.forms import page_form, send, submit_form
from tests.helpers import csrf_token, token_in

LOGIN = "/moderation/login"
PASSWORD = "/moderation/password"
NEW_PASSWORD = "a brand new passphrase"
DASHBOARD_PAGES = [
    "/moderation/",
    "/moderation/?status=spam",
    "/moderation/posts",
    "/moderation/audit",
    "/moderation/password",
]


def _log_out(client):
    return submit_form(client, "/moderation/", "header form")


def _change_password(client, **fields):
    return submit_form(client, PASSWORD, "main form", **fields)


def _audit(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        events = db.get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(event.username, event.action, event.ip_address) for event in events]


def _from(address: str) -> dict:
    return {"request": {"environ_base": {"REMOTE_ADDR": address}}}


def test_login_page_answers_with_a_form(client):
    response = client.get("/moderation/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="username"' in page
    assert 'name="password"' in page


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_dashboard_pages_send_the_anonymous_visitor_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_dashboard_pages_open_for_a_logged_in_moderator(moderator, url):
    assert moderator.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/moderation/login", *DASHBOARD_PAGES, "/moderation/nowhere"])
def test_dashboard_pages_forbid_framing_and_inline_script(moderator, url):
    headers = moderator.get(url).headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_login_redirects_to_the_queue_and_records_who_and_from_where(app, client):
    create_moderator(app)
    response = send_login(client, **_from("198.51.100.4"))
    assert response.status_code == 303
    assert response.location == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    assert _audit(app) == [("mod", "login", "198.51.100.4")]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/moderation/audit"])
def test_login_ignores_a_next_parameter(app, client, target):
    create_moderator(app)
    form = page_form(client, LOGIN, "form.login", {"query_string": {"next": target}})
    response = send(
        client,
        form,
        request={"query_string": {"next": target}},
        username="mod",
        password=MODERATOR_PASSWORD,
        next=target,
    )
    assert response.location == "/moderation/"


def test_usernames_are_not_case_sensitive_at_login(app, client):
    create_moderator(app, "Mod")
    assert send_login(client, "mOD").status_code == 303


@pytest.mark.parametrize(
    ("base_url", "secure"), [("http://localhost", False), ("https://localhost", True)]
)
def test_session_cookie_is_httponly_lax_and_secure_over_https(app, client, base_url, secure):
    create_moderator(app)
    response = send_login(client, request={"base_url": base_url})
    cookie = next(
        header for header in response.headers.getlist("Set-Cookie") if header.startswith("session=")
    )
    flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert ("secure" in flags) is secure


def test_login_rotates_the_session_and_its_formcsrf_token(app, client):
    create_moderator(app)
    form = page_form(client, LOGIN, "form.login")
    old_token = form.fields["csrf_token"]
    old_cookie = client.get_cookie("session").value
    response = send(client, form, username="mod", password=MODERATOR_PASSWORD)
    assert response.status_code == 303
    assert client.get_cookie("session").value != old_cookie
    # The token handed out before the login is worth nothing after it.
    assert client.post("/moderation/logout", data={"csrf_token": old_token}).status_code == 400
    assert client.get("/moderation/").status_code == 200
    assert csrf_token(client, "/moderation/") != old_token


def test_login_without_a_form_token_is_refused(app, client):
    create_moderator(app)
    response = send_login(client, csrf_token=None)
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("mod", "wrong password"),
        ("mod", MODERATOR_PASSWORD.upper()),
        ("nobody", MODERATOR_PASSWORD),
        ("m_d", MODERATOR_PASSWORD),
        ("%", MODERATOR_PASSWORD),
        ("mo%", MODERATOR_PASSWORD),
        ("disabled", MODERATOR_PASSWORD),
        ("m\x00d", MODERATOR_PASSWORD),
    ],
    ids=[
        "wrong-password",
        "password-in-other-case",
        "unknown-user",
        "underscore-wildcard",
        "percent-wildcard",
        "trailing-percent",
        "disabled-account",
        "nul-in-username",
    ],
)
def test_a_failed_login_gets_the_same_answer_whatever_the_reason(app, client, username, password):
    create_moderator(app, "mod")
    create_moderator(app, "disabled")
    with app.app_context():
        session = db.get_session()
        accounts.set_disabled(session, "disabled", True)
        session.commit()
    reference = send_login(app.test_client(), "mod", "wrong password")
    response = send_login(client, username, password)
    assert response.status_code == reference.status_code == 401
    assert WRONG_LOGIN in response.get_data(as_text=True)
    # Byte for byte the same page, but for the username typed back into its field.
    assert _without_username(response, username) == _without_username(reference, "mod")
    assert client.get("/moderation/").status_code == 302


def _without_username(response, username: str) -> str:
    page = response.get_data(as_text=True).replace(f'value="{username}"', 'value=""')
    return page.replace(token_in(page), "")  # each session has a token of its own


@pytest.mark.parametrize(("username", "recorded"), [("mod", "mod"), ("nobody", "(unknown)")])
def test_a_failed_login_is_in_the_audit_log(app, client, username, recorded):
    create_moderator(app)
    send_login(client, username, "wrong password", **_from("203.0.113.9"))
    assert _audit(app) == [(recorded, "login-failed", "203.0.113.9")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "", "password": "x"}, "Enter your username."),
        ({"username": "mod", "password": ""}, "Enter your password."),
        ({"username": None, "password": None}, "Enter your username."),
    ],
)
def test_an_incomplete_login_form_is_400_with_a_message(app, client, data, message):
    create_moderator(app)
    response = send_login(client, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_tenth_wrong_password_in_a_minute_is_refused_with_429(app):
    create_moderator(app)
    client = app.test_client()
    statuses = [send_login(client, password="wrong password").status_code for _ in range(9)]
    assert statuses == [401] * 9
    tenth = send_login(client, password="wrong password")
    assert tenth.status_code == 429
    assert TOO_MANY_LOGINS in tenth.get_data(as_text=True)


def test_after_ten_failures_even_the_right_password_waits(app):
    create_moderator(app)
    client = app.test_client()
    [send_login(client, password="wrong password") for _ in range(10)]
    response = send_login(client)
    assert response.status_code == 429
    assert TOO_MANY_LOGINS in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302


def test_failures_for_one_username_from_many_addresses_are_limited(app):
    create_moderator(app, "mod")
    create_moderator(app, "other")
    client = app.test_client()
    statuses = [
        send_login(client, password="wrong", **_from(f"192.0.2.{number}")).status_code
        for number in range(1, 11)
    ]
    assert statuses == [401] * 9 + [429]
    # Case and the LIKE wildcards do not make a fresh username for the limit.
    assert send_login(client, "MOD", **_from("192.0.2.50")).status_code == 429
    wildcard = send_login(client, "m_d", **_from("192.0.2.51"))
    assert wildcard.status_code == 401
    assert WRONG_LOGIN in wildcard.get_data(as_text=True)
    # Another account, from a fresh address, is untouched.
    assert send_login(client, "other", **_from("192.0.2.99")).status_code == 303


def test_failures_from_one_address_for_many_usernames_are_limited(app):
    create_moderator(app)
    attacker, colleague = app.test_client(), app.test_client()
    statuses = [
        send_login(attacker, f"guess{number}", **_from("198.51.100.7")).status_code
        for number in range(10)
    ]
    assert statuses == [401] * 9 + [429]
    assert send_login(attacker, **_from("198.51.100.7")).status_code == 429
    assert send_login(colleague, **_from("198.51.100.8")).status_code == 303


def test_login_rate_limit_follows_its_setting(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    create_moderator(app)
    client = app.test_client()
    statuses = [send_login(client, password="wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_successful_logins_do_not_count_towards_the_limit(app):
    create_moderator(app)
    statuses = [send_login(app.test_client()).status_code for _ in range(12)]
    assert statuses == [303] * 12


def test_a_disabled_account_cannotsend_login(app, client):
    create_moderator(app)
    with app.app_context():
        session = db.get_session()
        accounts.set_disabled(session, "mod", True)
        session.commit()
    response = send_login(client)
    assert response.status_code == 401
    assert WRONG_LOGIN in response.get_data(as_text=True)


def test_disabling_an_account_ends_its_open_session(app, moderator, post):
    token = csrf_token(moderator, "/moderation/")
    with app.app_context():
        session = db.get_session()
        accounts.set_disabled(session, "mod", True)
        session.commit()
    response = moderator.get("/moderation/")
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    response = moderator.post("/moderation/empty/spam", data={"csrf_token": token})
    assert response.status_code == 302


def test_logout_ends_the_session_and_is_recorded(app, moderator):
    response = _log_out(moderator)
    assert response.status_code == 303
    assert response.location == "/moderation/login"
    assert moderator.get("/moderation/").status_code == 302
    assert [action for _, action, _ in _audit(app)] == ["login", "logout"]


def test_a_copy_of_the_session_cookie_stops_working_at_logout(app, moderator):
    copied = moderator.get_cookie("session").value
    other_device = app.test_client()
    assert send_login(other_device).status_code == 303
    assert _log_out(moderator).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/moderation/").status_code == 302
    assert other_device.get("/moderation/").status_code == 200  # its own login goes on


def test_a_login_ends_after_30_days_even_without_a_logout(app, moderator):
    assert moderator.get("/moderation/").status_code == 200
    with app.app_context():
        session = db.get_session()
        session.execute(update(Login).values(created=utcnow() - timedelta(days=30, seconds=1)))
        session.commit()
    assert moderator.get("/moderation/").status_code == 302


def test_the_database_holds_only_a_digest_of_the_login_token(app, moderator):
    cookie = moderator.get_cookie("session").value
    with app.app_context():
        [digest] = db.get_session().scalars(select(Login.token_digest)).all()
    token = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)["_user_id"]
    assert digest == hashlib.sha256(token.partition(":")[2].encode()).hexdigest()
    assert token.partition(":")[2] not in digest


def test_logout_by_get_is_not_allowed(moderator):
    assert moderator.get("/moderation/logout").status_code == 405
    assert moderator.get("/moderation/").status_code == 200


def test_logout_without_a_form_token_keeps_the_session(moderator):
    response = submit_form(moderator, "/moderation/", "header form", csrf_token=None)
    assert response.status_code == 400
    assert moderator.get("/moderation/").status_code == 200
    assert _log_out(moderator).status_code == 303
    assert moderator.get("/moderation/").status_code == 302


def test_logout_of_an_anonymous_visitor_sends_to_login(client):
    response = client.post("/moderation/logout", data={"csrf_token": csrf_token(client, LOGIN)})
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")


def test_password_change_keeps_this_session_and_ends_the_others(app, moderator):
    other_device = app.test_client()
    assert send_login(other_device).status_code == 303
    response = _change_password(
        moderator, current=MODERATOR_PASSWORD, new=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert response.status_code == 303
    assert moderator.get("/moderation/").status_code == 200
    assert other_device.get("/moderation/").status_code == 302
    assert send_login(app.test_client(), password=MODERATOR_PASSWORD).status_code == 401
    assert send_login(app.test_client(), password=NEW_PASSWORD).status_code == 303
    assert ("mod", "password-changed", "127.0.0.1") in _audit(app)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current": "not my password", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "That is not your current password.",
        ),
        (
            {"current": MODERATOR_PASSWORD, "new": NEW_PASSWORD, "confirm": "something else"},
            "The two new passwords differ.",
        ),
        (
            {"current": MODERATOR_PASSWORD, "new": "short", "confirm": "short"},
            "A password has at least 10 characters.",
        ),
        ({"current": MODERATOR_PASSWORD, "new": "", "confirm": ""}, "Enter a new password."),
    ],
    ids=["wrong-current", "mismatch", "too-short", "empty"],
)
def test_a_refused_password_change_is_400_and_keeps_the_old_password(app, moderator, data, message):
    response = _change_password(moderator, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert send_login(app.test_client()).status_code == 303


def test_wrong_current_passwords_count_against_the_login_limit(app):
    create_moderator(app)
    client = app.test_client()
    assert send_login(client).status_code == 303
    wrong = {"current": "not my password", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    statuses = [_change_password(client, **wrong).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]
    right = {"current": MODERATOR_PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    held = _change_password(client, **right)
    assert held.status_code == 429
    assert TOO_MANY_LOGINS in held.get_data(as_text=True)
    assert send_login(app.test_client()).status_code == 429  # the same account and address
