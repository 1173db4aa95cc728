"""The Discussion settings in a real browser: a change applies to the next submission."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_comment_form import AWAITING, fill_form, post_url, send
from tests.conftest import create_moderator
from tests.helpers import time_passes


def comment_as_a_reader(page, live_server: str, clock, text: str) -> None:
    """Open the post, type a comment and send it half a minute later (the form's time trap)."""
    page.goto(post_url(live_server))
    fill_form(page, comment=text)
    assert send(page, clock).status == 303


def test_turning_off_hold_every_entry_publishes_the_next_comment_at_once(
    app, new_context, live_server, post, clock
):
    create_moderator(app, "boss", admin=True)
    reader = new_context().new_page()

    comment_as_a_reader(reader, live_server, clock, "Sent while every entry is held.")
    held = reader.locator("li.entry")
    expect(held).to_have_count(1)
    expect(held).to_have_class(re.compile(r"\bpending\b"))
    expect(held.locator(".awaiting")).to_have_text(AWAITING)

    admin = new_context().new_page()
    log_in(admin, live_server, "boss")
    admin.get_by_role("link", name="Settings").click()
    expect(admin.get_by_role("heading", name="Discussion settings")).to_be_visible()
    hold_all = admin.get_by_role("checkbox", name="Hold every new entry for a moderator")
    expect(hold_all).to_be_checked()
    hold_all.uncheck()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.locator("main > .flash")).to_have_text("Settings saved.")
    expect(hold_all).not_to_be_checked()

    time_passes(app)  # the flood rule lets the same reader post again a minute later
    comment_as_a_reader(reader, live_server, clock, "Sent after the setting changed.")
    published = reader.locator("li.entry").filter(has_text="Sent after the setting changed.")
    expect(published).to_have_count(1)
    expect(published).not_to_have_class(re.compile(r"\bpending\b"))
    expect(published.locator(".awaiting")).to_have_count(0)
    expect(reader).to_have_url(re.compile(r"#comment-\d+$"))
    expect(published).to_have_id(reader.url.rsplit("#", 1)[1])

    # Published means everyone sees it, not only its author; the held one stays hidden.
    other = new_context().new_page()
    other.goto(post_url(live_server))
    expect(other.locator("li.entry")).to_have_count(1)
    expect(other.locator("li.entry .entry-text")).to_have_text("Sent after the setting changed.")
    expect(other.get_by_text(AWAITING)).to_have_count(0)


def test_spam_and_block_in_the_queue_updates_the_row_in_place_and_fills_the_settings(
    app, new_context, live_server, post, clock
):
    create_moderator(app, "boss", admin=True)
    reader = new_context().new_page()
    comment_as_a_reader(reader, live_server, clock, "Cheap watches, visit my shop today.")

    admin = new_context(java_script_enabled=True).new_page()
    log_in(admin, live_server, "boss")
    row = admin.locator("li.row")
    expect(row).to_have_count(1)
    row.get_by_text("Spam and block…").click()
    row.get_by_role("checkbox", name=re.compile(r"^email ")).check()
    row.get_by_role("checkbox", name=re.compile(r"^IP address ")).check()
    row.get_by_role("button", name="Spam and block").click()

    expect(row.locator("[data-status]")).to_have_text("spam")
    expect(row.locator(".flash")).to_have_text(
        "1 entry marked as spam. Added to the disallowed words: ada.reader@example.net, 127.0.0.1."
    )
    expect(admin.locator('[data-count="spam"]')).to_have_text("(1)")
    expect(admin).to_have_url(re.compile(r"/moderation/$"))  # no reload: the script did it

    admin.get_by_role("link", name="Settings").click()
    expect(admin.get_by_label("Disallowed words")).to_have_value(
        "ada.reader@example.net\n127.0.0.1"
    )
