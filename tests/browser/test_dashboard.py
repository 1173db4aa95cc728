"""The moderators' dashboard in a real browser: actions, keyboard, no-script, phone, CSP."""

import re

from playwright.sync_api import expect

from tests.browser.test_comment_form import CSP_VIOLATION, post_url, screenshot, watch_for_csp
from tests.conftest import MODERATOR_PASSWORD, create_moderator
from tests.helpers import entries, submit

TO_APPROVE = "A kind word about the article."
TO_SPAM = "Cheap watches, visit my shop today."
QUEUE = re.compile(r"/moderation/$")


def seed_pending(app, *texts: str) -> dict[str, int]:
    """Post comments through the public form; each is pending. Returns their ids by text."""
    client = app.test_client()
    for number, text in enumerate(texts):
        response = submit(client, comment=text, name=f"Reader {number + 1}")
        assert response.status_code == 303, response.get_data(as_text=True)
    ids = {entry.body: entry.id for entry in entries(app)}
    assert {entry.status for entry in entries(app)} == {"pending"}
    return {text: ids[text] for text in texts}


def log_in(page, live_server: str) -> None:
    """Log in as the moderator "mod" through the login form; lands on the queue."""
    page.goto(f"{live_server}/moderation/login")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(QUEUE)


def row(page, entry_id: int):
    return page.locator(f"li.row#entry-{entry_id}")


def badge(page, entry_id: int):
    return row(page, entry_id).locator("[data-status]")


def count(page, tab: str):
    return page.locator(f'.tabs [data-count="{tab}"]')


def statuses(app) -> dict[str, str]:
    return {entry.body: entry.status for entry in entries(app)}


def test_moderator_approves_one_and_bulk_spams_the_other_and_readers_see_only_the_approved(
    app, new_context, live_server, post
):
    ids = seed_pending(app, TO_APPROVE, TO_SPAM)
    create_moderator(app)
    page = new_context(java_script_enabled=True).new_page()
    log_in(page, live_server)
    expect(page.locator("li.row")).to_have_count(2)

    row(page, ids[TO_APPROVE]).get_by_role("button", name="Approve", exact=True).click()
    expect(badge(page, ids[TO_APPROVE])).to_have_text("approved")
    expect(row(page, ids[TO_APPROVE]).locator(".flash")).to_have_text("1 entry approved.")

    page.get_by_role("checkbox", name=f"Select entry {ids[TO_SPAM]}").check()
    page.get_by_label("With the ticked entries").select_option(label="Mark as spam")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(QUEUE)
    expect(page.locator("main > .flash")).to_have_text("1 entry marked as spam.")
    expect(row(page, ids[TO_SPAM])).to_have_count(0)  # "All" is pending and approved
    expect(badge(page, ids[TO_APPROVE])).to_have_text("approved")
    expect(count(page, "spam")).to_have_text("(1)")
    assert statuses(app) == {TO_APPROVE: "approved", TO_SPAM: "spam"}

    reader = new_context().new_page()
    reader.goto(post_url(live_server))
    expect(reader.locator("li.entry")).to_have_count(1)
    expect(reader.locator(f"#comment-{ids[TO_APPROVE]} .entry-text")).to_have_text(TO_APPROVE)
    expect(reader.get_by_text(TO_SPAM)).to_have_count(0)


def test_without_javascript_approve_is_a_form_post_back_to_the_queue_with_a_message(
    app, new_context, live_server, post
):
    ids = seed_pending(app, TO_APPROVE, TO_SPAM)
    create_moderator(app)
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, live_server)

    with page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and response.url.endswith(f"/moderation/entries/{ids[TO_APPROVE]}/approve")
        )
    ) as posted:
        row(page, ids[TO_APPROVE]).get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()

    assert posted.value.status == 303
    expect(page).to_have_url(QUEUE)
    expect(page.locator("main > .flash")).to_have_text("1 entry approved.")
    expect(badge(page, ids[TO_APPROVE])).to_have_text("approved")
    expect(row(page, ids[TO_APPROVE]).get_by_role("button", name="Unapprove")).to_be_visible()
    expect(badge(page, ids[TO_SPAM])).to_have_text("pending")
    expect(count(page, "pending")).to_have_text("(1)")
    expect(count(page, "approved")).to_have_text("(1)")
    assert statuses(app) == {TO_APPROVE: "approved", TO_SPAM: "pending"}


def test_keys_j_a_j_t_approve_the_first_and_trash_the_second_in_place_without_a_reload(
    app, new_context, live_server, post
):
    ids = seed_pending(app, "The older comment.", "The newer comment.")
    create_moderator(app)
    page = new_context(java_script_enabled=True).new_page()
    log_in(page, live_server)
    rows = page.locator("li.row")
    expect(rows).to_have_count(2)
    first, second = (int(rows.nth(i).get_attribute("data-id")) for i in range(2))
    assert {first, second} == set(ids.values())
    expect(count(page, "pending")).to_have_text("(2)")
    url = page.url
    page.evaluate("window.marker = 1")

    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("a")
    expect(badge(page, first)).to_have_text("approved")
    expect(row(page, first)).to_have_class(re.compile(r"\bstatus-approved\b"))
    expect(count(page, "pending")).to_have_text("(1)")
    expect(count(page, "approved")).to_have_text("(1)")

    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("t")
    expect(badge(page, second)).to_have_text("trash")
    expect(count(page, "pending")).to_have_text("(0)")
    expect(count(page, "trash")).to_have_text("(1)")
    expect(count(page, "all")).to_have_text("(1)")

    assert page.evaluate("window.marker") == 1, "the page was reloaded"
    assert page.url == url
    expect(page.locator("main > .flash")).to_have_count(0)
    assert {entry.id: entry.status for entry in entries(app)} == {
        first: "approved",
        second: "trash",
    }


def test_queue_loads_without_csp_violations_fits_a_phone_and_is_screenshotted(
    app, new_context, live_server, post, tmp_path, request
):
    long_url = "https://example.org/a/long/path/that/keeps/going/without/a/break/index.html"
    seed_pending(app, TO_APPROVE, f"See {long_url} for the details.", TO_SPAM)
    create_moderator(app)
    backend = request.node.callspec.params["database_url"]

    for width, height in ((1280, 900), (375, 740)):
        page = new_context(
            viewport={"width": width, "height": height}, java_script_enabled=True
        ).new_page()
        messages = watch_for_csp(page)
        log_in(page, live_server)
        response = page.reload()
        page.wait_for_load_state("networkidle")
        expect(page.locator("li.row")).to_have_count(3)

        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert page.evaluate("window.__violations") == []
        assert [message for message in messages if CSP_VIOLATION.search(message)] == []
        assert [message for message in messages if message.startswith("pageerror")] == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("window.innerWidth") == width
        for control in (
            page.get_by_role("button", name="Apply"),
            page.get_by_role("button", name="Filter"),
            page.locator("li.row").first.get_by_role("button", name="Approve", exact=True),
        ):
            expect(control).to_be_visible()
            box = control.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
        screenshot(page, tmp_path, f"queue-{width}x{height}-{backend}.png")
        assert (tmp_path / f"queue-{width}x{height}-{backend}.png").stat().st_size > 0
