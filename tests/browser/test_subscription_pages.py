"""Readers' notifications in a real browser (issue 14): the "Notify me" box works without
JavaScript and in embed.js's form, and the confirm and unsubscribe pages its mails link
to work and pass axe."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import Entry, Subscriber
from moderation.services import sites
from tests.browser import test_embed as embed
from tests.browser.axe import assert_accessible
from tests.browser.test_comment_form import fill_form, post_url, send

NOTIFY = "Notify me of replies and when my comment is published"


@pytest.fixture
def app(make_app):
    """The app at a public address of its own (readers' mails need one), reached at
    comments.test by embed.js; without MAIL_URL its mail goes to the outbox."""
    return make_app(SITE_URL="https://comments.example", TRUSTED_HOSTS=["comments.test"])


@pytest.fixture
def blog(app, live_server, source_server) -> embed.Blog:
    """blog.test, whose pages embed the comments of comments.test (test_embed.py)."""
    blog = embed.Blog(source_server, live_server.replace("127.0.0.1", "comments.test"))
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, blog.origin, "The blog")
        session.commit()
    return blog


def key_of(app) -> str:
    with app.app_context():
        return db.get_session().scalar(select(Subscriber.key))


def test_the_box_ticked_without_javascript_asks_for_confirmation(
    app, page, live_server, post, clock
):
    page.goto(post_url(live_server).replace("127.0.0.1", "comments.test"))
    box = page.get_by_role("checkbox", name=NOTIFY)
    expect(box).not_to_be_checked()
    fill_form(page, comment="Tell me when it is out.")
    box.check()

    assert send(page, clock).status == 303
    with app.app_context():
        assert db.get_session().scalar(select(Entry.notify)) is True
    assert key_of(app)


@pytest.mark.parametrize(
    ("path", "button", "heading"),
    [
        ("/mail/confirm/{key}", "Confirm", "Address confirmed"),
        ("/mail/unsubscribe/{key}", "Unsubscribe", "Unsubscribed"),
    ],
)
def test_the_confirm_and_unsubscribe_pages_work_and_have_no_axe_violations(
    app, new_context, live_server, post, clock, path, button, heading
):
    live_server = live_server.replace("127.0.0.1", "comments.test")
    page = new_context().new_page()
    page.goto(post_url(live_server))
    fill_form(page)
    page.get_by_role("checkbox", name=NOTIFY).check()
    send(page, clock)
    checked = new_context(java_script_enabled=True).new_page()
    checked.goto(live_server + path.format(key=key_of(app)))
    assert_accessible(checked)

    checked.get_by_role("button", name=button).click()

    expect(checked.get_by_role("heading", level=1)).to_have_text(heading)
    expect(checked).to_have_url(re.compile(re.escape(path.format(key=key_of(app))) + "$"))
    assert_accessible(checked)


def test_embed_scripts_form_has_the_box_unticked_and_sends_it_when_ticked(
    app, blog, new_context, clock
):
    page = new_context(java_script_enabled=True).new_page()
    embed.open_thread(page, blog.post())
    box = page.get_by_role("checkbox", name=NOTIFY)
    expect(box).not_to_be_checked()
    embed.fill_form(page, comment="Mail me, please.")
    box.check()

    assert embed.send(page, clock).status == 201

    with app.app_context():
        assert db.get_session().scalar(select(Entry.notify)) is True
    assert key_of(app)
    expect(box).not_to_be_checked()  # asked again for the next comment
