"""Administrators disable and enable accounts from the dashboard."""

from sqlalchemy import select

from moderation import db
from moderation.models import AuditEvent
from tests.conftest import MODERATOR_PASSWORD, create_moderator


def _log_in(app, username: str):
    client = app.test_client()
    response = client.post(
        "/moderation/login", data={"username": username, "password": MODERATOR_PASSWORD}
    )
    return client, response.status_code


def test_an_administrator_disables_an_account_and_its_session_ends_at_once(app):
    create_moderator(app, "boss", admin=True)
    create_moderator(app, "helper")
    boss, _ = _log_in(app, "boss")
    helper, status = _log_in(app, "helper")
    assert status == 303 and helper.get("/moderation/").status_code == 200
    response = boss.post("/moderation/moderators/helper", data={"disabled": "1"})
    assert response.status_code == 303
    assert helper.get("/moderation/").status_code == 302  # sent to the login page
    assert _log_in(app, "helper")[1] == 401
    boss.post("/moderation/moderators/helper", data={"disabled": "0"})
    assert _log_in(app, "helper")[1] == 303
    with app.app_context():
        actions = list(db.get_session().scalars(select(AuditEvent.action)))
    assert "disable" in actions and "enable" in actions


def test_a_moderator_who_is_not_an_administrator_cannot_manage_accounts(app):
    create_moderator(app, "plain")
    create_moderator(app, "other")
    plain, _ = _log_in(app, "plain")
    assert plain.get("/moderation/moderators").status_code == 403
    assert plain.post("/moderation/moderators/other", data={"disabled": "1"}).status_code == 403
    assert _log_in(app, "other")[1] == 303


def test_an_administrator_cannot_disable_themself(app):
    create_moderator(app, "boss", admin=True)
    boss, _ = _log_in(app, "boss")
    assert boss.post("/moderation/moderators/boss", data={"disabled": "1"}).status_code == 400
    assert boss.get("/moderation/").status_code == 200


def test_disabling_an_unknown_account_is_404(app):
    create_moderator(app, "boss", admin=True)
    boss, _ = _log_in(app, "boss")
    assert boss.post("/moderation/moderators/ghost", data={"disabled": "1"}).status_code == 404


def test_the_moderators_page_lists_accounts_for_administrators(app):
    create_moderator(app, "boss", admin=True)
    create_moderator(app, "helper")
    boss, _ = _log_in(app, "boss")
    page = boss.get("/moderation/moderators").get_data(as_text=True)
    assert "helper" in page and "administrator" in page and "Disable" in page
