"""The readers' "Your data" pages in Chromium, with JavaScript and without (issue 15):
ask for a link, follow the mailed link, download, then erase; the forms carry their CSRF
tokens as rendered, and no page shows the address."""

import json
import re

import pytest
from playwright.sync_api import expect

from moderation.infra import jobs
from moderation.rules.statuses import Status
from tests.helpers import add_comment, entries

ADDRESS = "zoe.private@example.org"


@pytest.fixture
def app(make_app, mail_server):
    # Links are written during the request, at the host TRUSTED_HOSTS vouches for.
    return make_app(MAIL_URL=mail_server.url, TRUSTED_HOSTS=["127.0.0.1"])


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_reader_asks_downloads_and_erases_in_the_browser(
    app, post, mail_server, live_server, new_context, javascript
):
    add_comment(app, "Mine, once.", Status.APPROVED, name="Zoe", email=ADDRESS)
    page = new_context(java_script_enabled=javascript, accept_downloads=True).new_page()
    page.goto(f"{live_server}/your-data")
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_text("If we hold anything for that address")).to_be_visible()

    jobs.run_due_jobs(app)
    link = re.search(r"http://127\.0\.0\.1:\d+/your-data/[\w-]+", mail_server.to(ADDRESS)[-1].text)
    page.goto(link.group(0))
    assert ADDRESS not in page.content()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download my data").click()
    exported = json.loads(downloaded.value.path().read_text(encoding="utf-8"))
    assert [entry["email"] for entry in exported["entries"]] == [ADDRESS]

    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert [(entry.author, entry.email) for entry in entries(app)] == [("Anonymous", "")]
