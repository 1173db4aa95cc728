"""A moderator's notice in a real browser (issue 14): its Approve link, taken from the
mail the SMTP server received, opens a page that shows the entry and changes nothing;
its button approves the entry as that moderator, "from email", from the browser's
address; the link then answers that it was used. The pages pass axe."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from moderation.infra import jobs
from moderation.rules.statuses import Status
from tests.browser.axe import assert_accessible
from tests.helpers import add_comment
from tests.http.test_mail_actions import audit, status_of
from tests.http.test_mail_notices import SITE, add_moderator, links


@pytest.fixture
def app(make_app, mail_server):
    """The app sending through the test's SMTP server; its public address is SITE, which
    the test maps onto the live server (whose port is known only once it runs)."""
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE)


def on_live_server(url: str, live_server: str) -> str:
    """The mail's link, at the live server instead of SITE."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    return live_server + parts.path


@pytest.fixture
def approve_link(app, mail_server, live_server, post) -> tuple[int, str]:
    """A comment is held, "mod" is mailed a notice of it: its id and the notice's Approve
    link (from the HTML part)."""
    add_moderator(app)
    entry_id = add_comment(app, "Is the kettle on?", name="Grace Reader")
    jobs.run_due_jobs(app)
    [received] = mail_server.received
    return entry_id, on_live_server(links(received)["Approve"], live_server)


def test_approving_from_the_notice_takes_a_look_and_a_click(app, new_context, approve_link):
    entry_id, link = approve_link
    page = new_context(java_script_enabled=True).new_page()  # axe needs JavaScript

    response = page.goto(link)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve this entry?")
    expect(page.locator("main")).to_contain_text("Grace Reader")
    expect(page.locator("main")).to_contain_text("Is the kettle on?")
    expect(page.locator("main")).to_contain_text("pending")
    expect(page.locator("main")).not_to_contain_text("ada.reader@example.net")
    assert status_of(app, entry_id) == Status.PENDING  # the GET changed nothing
    assert_accessible(page)

    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approved")
    expect(page.locator("main")).to_contain_text("by Grace Reader is now approved")
    assert status_of(app, entry_id) == Status.APPROVED
    assert audit(app) == [
        ("mod", "approve", str(entry_id), "1 of 1 changed, from email", "127.0.0.1")
    ]
    assert_accessible(page)


def test_a_used_link_opens_a_page_that_says_so(app, new_context, approve_link):
    entry_id, link = approve_link
    page = new_context(java_script_enabled=True).new_page()
    page.goto(link)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approved")

    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Link already used")
    expect(page.locator("main")).to_contain_text("each mail link works once")
    assert_accessible(page)
    assert len(audit(app)) == 1


def test_on_a_phone_the_confirmation_page_neither_scrolls_sideways_nor_fails_axe(
    new_context, approve_link
):
    _, link = approve_link
    phone = {"width": 390, "height": 844}
    page = new_context(java_script_enabled=True, viewport=phone).new_page()
    page.goto(link)

    assert page.evaluate("document.documentElement.scrollWidth") <= phone["width"]
    assert_accessible(page)
