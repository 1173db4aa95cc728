"""Each account's own page (issue 14): the address moderators' mail goes to, and which
mail: one for every waiting entry, a daily digest, or nothing. Saving writes an audit
line (without the address); choosing the digest starts its daily job. Administrators
get a mail for every entry unless they choose otherwise; `moderators create` takes
--email and --notices."""

import html

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Job, JobState, Moderator
from moderation.rules.statuses import MailNotices
from moderation.services import accounts, notices
from tests.conftest import MODERATOR_PASSWORD, create_moderator
from tests.forms import page_form, send, submit_form

PAGE = "/moderation/account"
FORM = 'form[action="/moderation/account"]'


def moderator_row(app, username: str = "mod") -> Moderator:
    with app.app_context():
        return db.get_session().scalar(select(Moderator).where(Moderator.username == username))


def audit_lines(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        events = db.get_session().scalars(
            select(AuditEvent).where(AuditEvent.action != "login").order_by(AuditEvent.id)
        )
        return [(event.username, event.action, event.detail) for event in events]


def digest_jobs(app) -> list[Job]:
    with app.app_context():
        return db.get_session().scalars(select(Job).where(Job.kind == notices.DIGEST)).all()


def test_the_dashboard_links_to_ones_account_page(moderator):
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert f'<a href="{PAGE}">Account</a>' in queue


def test_the_account_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/moderation/login" in response.location


@pytest.mark.parametrize(
    ("admin", "checked"), [(True, MailNotices.EVERY), (False, MailNotices.NONE)]
)
def test_administrators_get_a_mail_for_every_entry_unless_they_choose_otherwise(
    app, logged_in, admin, checked
):
    client = logged_in("someone", admin=admin)
    form = page_form(client, PAGE, FORM)
    assert form.fields.getlist("notices") == [checked.value]
    assert form.fields["email"] == ""
    assert moderator_row(app, "someone").mail_notices == checked


def test_saving_stores_the_address_and_the_notices_and_writes_an_audit_line(app, moderator):
    response = submit_form(moderator, PAGE, FORM, email="mod@example.org", notices="every")

    assert response.status_code == 303
    assert "Account saved." in moderator.get(response.location).get_data(as_text=True)
    saved = moderator_row(app)
    assert (saved.email, saved.mail_notices) == ("mod@example.org", MailNotices.EVERY)
    assert audit_lines(app) == [("mod", "mail-notices", "address changed; notices: every")]
    form = page_form(moderator, PAGE, FORM)
    assert (form.fields["email"], form.fields["notices"]) == ("mod@example.org", "every")


def test_saving_what_was_there_says_nothing_changed_and_is_logged_too(app, moderator):
    response = submit_form(moderator, PAGE, FORM)

    assert "Nothing changed." in moderator.get(response.location).get_data(as_text=True)
    assert audit_lines(app) == [("mod", "mail-notices", "nothing changed")]


def test_an_address_may_be_removed(app, moderator):
    submit_form(moderator, PAGE, FORM, email="mod@example.org", notices="every")
    submit_form(moderator, PAGE, FORM, email="")

    assert moderator_row(app).email == ""
    assert audit_lines(app)[-1] == ("mod", "mail-notices", "address removed")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("not an address", "Please enter a valid email address."),
        ("a" * 90 + "@example.org", "The email address is too long: 102 bytes"),
        ("mod@example.org\x07", "invisible control character"),
    ],
    ids=["not an address", "over 100 bytes", "control character"],
)
def test_a_wrong_address_is_refused_with_its_error_and_nothing_is_saved(
    app, moderator, typed, says
):
    response = submit_form(moderator, PAGE, FORM, email=typed, notices="digest")

    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert says in page
    assert 'aria-invalid="true"' in page
    saved = moderator_row(app)
    assert (saved.email, saved.mail_notices) == ("", MailNotices.NONE)
    assert audit_lines(app) == []
    assert digest_jobs(app) == []


def test_a_choice_the_page_does_not_offer_is_refused(app, moderator):
    response = submit_form(moderator, PAGE, FORM, notices="hourly")

    assert response.status_code == 400
    assert moderator_row(app).mail_notices == MailNotices.NONE


def test_choosing_the_digest_starts_its_daily_job_once(app, moderator):
    submit_form(moderator, PAGE, FORM, email="mod@example.org", notices="digest")
    submit_form(moderator, PAGE, FORM, notices="digest")

    [job] = digest_jobs(app)
    assert job.state == JobState.QUEUED
    assert job.run_after.hour == app.config["MAIL_DIGEST_HOUR"]


def test_the_page_says_when_mail_is_not_configured(moderator):
    page = moderator.get(PAGE).get_data(as_text=True)
    assert "Mail is not configured" in page
    assert "until <code>SITE_URL</code> is set" in page


def test_the_form_without_its_csrf_token_is_refused(app, moderator):
    form = page_form(moderator, PAGE, FORM)
    response = send(moderator, form, csrf_token=None, email="mod@example.org")

    assert response.status_code == 400
    assert moderator_row(app).email == ""


# The command line.


def create(runner, *options: str):
    return runner.invoke(
        args=["moderators", "create", "alice", "--password-stdin", *options],
        input=f"{MODERATOR_PASSWORD}\n",
    )


@pytest.mark.parametrize(
    ("options", "email", "chosen"),
    [
        ([], "", MailNotices.NONE),
        (["--admin"], "", MailNotices.EVERY),
        (["--email", "alice@example.org"], "alice@example.org", MailNotices.NONE),
        (["--admin", "--notices", "none"], "", MailNotices.NONE),
        (
            ["--email", "alice@example.org", "--notices", "every"],
            "alice@example.org",
            MailNotices.EVERY,
        ),
    ],
)
def test_moderators_create_takes_an_address_and_the_notices(app, runner, options, email, chosen):
    result = create(runner, *options)

    assert result.exit_code == 0, result.output
    alice = moderator_row(app, "alice")
    assert (alice.email, alice.mail_notices) == (email, chosen)
    assert digest_jobs(app) == []


def test_moderators_create_with_the_digest_starts_its_daily_job(app, runner):
    result = create(runner, "--email", "alice@example.org", "--notices", "digest")

    assert result.exit_code == 0, result.output
    assert len(digest_jobs(app)) == 1


@pytest.mark.parametrize("typed", ["not an address", "a" * 90 + "@example.org"])
def test_moderators_create_refuses_a_wrong_address(app, runner, typed):
    result = create(runner, "--email", typed)

    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert moderator_row(app, "alice") is None


def test_a_password_change_and_disabling_end_the_accounts_mail_links(app):
    create_moderator(app, "mod")
    with app.app_context():
        session = db.get_session()
        moderator = accounts.find_moderator(session, "mod")
        accounts.change_password(session, moderator, "another long passphrase")
        accounts.set_disabled(session, "mod", True)
        session.commit()
    assert moderator_row(app).credentials_version == 2
