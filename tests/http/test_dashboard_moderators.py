"""Administrators disable and enable accounts from the dashboard, through the forms the
Moderators page renders (CSRF on, as deployed)."""

from dataclasses import replace

from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent
from tests.conftest import create_moderator, send_login
from tests.forms import page_form, send
from tests.helpers import csrf_token

PAGE = "/moderation/moderators"


def _login_status(app, username: str) -> int:
    """The status a login of `username`, with the right password, gets now."""
    return send_login(app.test_client(), username).status_code


def _access_form(client, username: str):
    """The Disable (or Enable) form of an account, as the Moderators page renders it."""
    return page_form(client, PAGE, f'form[action$="/moderators/{username}"]')


def test_an_administrator_disables_an_account_and_its_session_ends_at_once(app, logged_in):
    boss = logged_in("boss", admin=True)
    helper = logged_in("helper")
    assert helper.get("/moderation/").status_code == 200
    response = send(boss, _access_form(boss, "helper"), button="Disable")
    assert response.status_code == 303
    assert helper.get("/moderation/").status_code == 302  # sent to the login page
    assert _login_status(app, "helper") == 401
    send(boss, _access_form(boss, "helper"), button="Enable")
    assert _login_status(app, "helper") == 303
    with app.app_context():
        actions = list(db.get_session().scalars(select(AuditEvent.action)))
    assert "disable" in actions and "enable" in actions


def test_a_moderator_who_is_not_an_administrator_cannot_manage_accounts(app, logged_in):
    boss = logged_in("boss", admin=True)
    plain = logged_in("plain")
    create_moderator(app, "other")
    assert plain.get(PAGE).status_code == 403
    # The Disable form as an administrator's page renders it, sent by the plain moderator
    # with a token of their own session.
    form = _access_form(boss, "other")
    token = csrf_token(plain, "/moderation/")
    assert send(plain, form, csrf_token=token).status_code == 403
    assert _login_status(app, "other") == 303


def test_an_administrator_cannot_disable_themself(app, logged_in):
    boss = logged_in("boss", admin=True)
    create_moderator(app, "helper")
    # The page offers no form for one's own account: another's, sent to one's own address.
    form = replace(_access_form(boss, "helper"), action="/moderation/moderators/boss")
    assert send(boss, form).status_code == 400
    assert boss.get("/moderation/").status_code == 200


def test_disabling_an_unknown_account_is_404(app, logged_in):
    boss = logged_in("boss", admin=True)
    create_moderator(app, "helper")
    form = replace(_access_form(boss, "helper"), action="/moderation/moderators/ghost")
    assert send(boss, form).status_code == 404


def test_the_moderators_page_lists_accounts_for_administrators(app, logged_in):
    boss = logged_in("boss", admin=True)
    create_moderator(app, "helper")
    page = boss.get(PAGE).get_data(as_text=True)
    assert "helper" in page and "administrator" in page and "Disable" in page
