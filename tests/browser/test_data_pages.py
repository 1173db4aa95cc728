"""The administrators' Export and Personal data pages in Chromium, with JavaScript and
without (issue 15): each form is sent as rendered, its CSRF token included."""

import json

import pytest
from playwright.sync_api import expect

from moderation.rules.statuses import Status
from tests.browser.conftest import log_in
from tests.conftest import create_moderator
from tests.helpers import add_comment, entries

ADDRESS = "zoe.private@example.org"


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_an_administrator_exports_then_erases_an_address(
    app, post, live_server, new_context, javascript
):
    create_moderator(app, "boss", admin=True)
    add_comment(app, "Mine, once.", Status.APPROVED, name="Zoe", email=ADDRESS)
    page = new_context(java_script_enabled=javascript, accept_downloads=True).new_page()
    log_in(page, live_server, "boss")

    page.get_by_role("link", name="Export").click()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download").click()
    assert "Mine, once." in downloaded.value.path().read_text(encoding="utf-8")

    page.get_by_role("link", name="Personal data").click()
    page.get_by_label("Email address").fill(ADDRESS)
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Export").click()
    exported = json.loads(downloaded.value.path().read_text(encoding="utf-8"))
    assert [entry["email"] for entry in exported["entries"]] == [ADDRESS]

    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert [(entry.author, entry.email) for entry in entries(app)] == [("Anonymous", "")]
