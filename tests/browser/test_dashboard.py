"""The moderators' dashboard in a real browser, as deployed (CSRF on): every one-entry
action with and without JavaScript, the keyboard, no-script, phone, CSP."""

import re

import pytest
from playwright.sync_api import expect

from moderation.rules.statuses import Status
from tests.browser.conftest import log_in
from tests.browser.test_comment_form import (
    CSP_VIOLATION,
    fill_form,
    post_url,
    screenshot,
    send,
    watch_for_csp,
)
from tests.conftest import create_moderator
from tests.helpers import add_comment, entries

TO_APPROVE = "A kind word about the article."
TO_SPAM = "Cheap watches, visit my shop today."
QUEUE = re.compile(r"/moderation/(\?.*)?$")


def seed(app, *texts: str, status: Status = Status.PENDING) -> dict[str, int]:
    """Comments through the service, each in `status`. Returns their ids by text."""
    return {text: add_comment(app, text, status) for text in texts}


def row(page, entry_id: int):
    return page.locator(f"li.row#entry-{entry_id}")


def badge(page, entry_id: int):
    return row(page, entry_id).locator("[data-status]")


def count(page, tab: str):
    return page.locator(f'.tabs [data-count="{tab}"]')


def statuses(app) -> dict[str, str]:
    return {entry.body: entry.status for entry in entries(app)}


def posted_to(path_end: str):
    """A predicate for page.expect_response: the POST to a URL that ends so."""
    return lambda response: response.request.method == "POST" and response.url.endswith(path_end)


# button, the action it posts, the status it is offered in, the status it leaves (None:
# deleted), the message
ACTIONS = [
    ("Approve", "approve", Status.PENDING, Status.APPROVED, "1 entry approved."),
    ("Unapprove", "unapprove", Status.APPROVED, Status.PENDING, "1 entry unapproved."),
    ("Spam", "spam", Status.PENDING, Status.SPAM, "1 entry marked as spam."),
    ("Not spam", "not-spam", Status.SPAM, Status.PENDING, "1 entry restored from spam."),
    ("Trash", "trash", Status.PENDING, Status.TRASH, "1 entry moved to the trash."),
    ("Restore", "restore", Status.TRASH, Status.PENDING, "1 entry restored from the trash."),
    ("Delete permanently", "delete", Status.TRASH, None, "1 entry deleted permanently."),
    ("Delete permanently", "delete", Status.SPAM, None, "1 entry deleted permanently."),
]
ACTION_FIELDS = ("button", "action", "start", "end", "message")
ACTION_IDS = [f"{action}-from-{start.value}" for _, action, start, _, _ in ACTIONS]


def _tab_of_two(app, new_context, live_server, start, javascript: bool):
    """Two entries in `start`, and a logged-in moderator's page on that tab."""
    acted_on = add_comment(app, "The entry a moderator acts on.", start)
    bystander = add_comment(app, "An entry nobody touches.", start)
    create_moderator(app)
    page = new_context(java_script_enabled=javascript).new_page()
    log_in(page, live_server)
    page.goto(f"{live_server}/moderation/?status={start.value}")
    return page, acted_on, bystander


@pytest.mark.parametrize(ACTION_FIELDS, ACTIONS, ids=ACTION_IDS)
def test_without_javascript_each_button_posts_its_form_and_the_queue_says_what_it_did(
    app, new_context, live_server, post, button, action, start, end, message
):
    page, acted_on, bystander = _tab_of_two(app, new_context, live_server, start, False)

    with page.expect_response(posted_to(f"/entries/{acted_on}/{action}")) as posted:
        row(page, acted_on).get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()

    assert posted.value.status == 303, posted.value.text()
    expect(page).to_have_url(f"{live_server}/moderation/?status={start.value}")
    expect(page.locator("main > .flash")).to_have_text(message)
    expect(row(page, acted_on)).to_have_count(0)  # it left this tab
    expect(badge(page, bystander)).to_have_text(start.value)
    expect(count(page, start.value)).to_have_text("(1)")
    if end is None:
        assert [entry.id for entry in entries(app)] == [bystander]
        return
    expect(count(page, end.value)).to_have_text("(1)")
    assert {entry.id: entry.status for entry in entries(app)} == {acted_on: end, bystander: start}
    page.goto(f"{live_server}/moderation/?status={end.value}")
    expect(badge(page, acted_on)).to_have_text(end.value)


@pytest.mark.parametrize(ACTION_FIELDS, ACTIONS, ids=ACTION_IDS)
def test_with_javascript_each_button_updates_its_row_in_place_without_a_reload(
    app, new_context, live_server, post, button, action, start, end, message
):
    page, acted_on, bystander = _tab_of_two(app, new_context, live_server, start, True)
    page.evaluate("window.marker = 1")

    with page.expect_response(posted_to(f"/entries/{acted_on}/{action}")) as posted:
        row(page, acted_on).get_by_role("button", name=button, exact=True).click()

    assert posted.value.status == 200, posted.value.text()
    expect(count(page, start.value)).to_have_text("(1)")
    if end is None:
        expect(row(page, acted_on)).to_have_count(0)
        assert [entry.id for entry in entries(app)] == [bystander]
    else:
        expect(badge(page, acted_on)).to_have_text(end.value)
        expect(row(page, acted_on)).to_have_class(re.compile(rf"\bstatus-{end.value}\b"))
        expect(row(page, acted_on).locator(".flash")).to_have_text(message)
        expect(count(page, end.value)).to_have_text("(1)")
        assert {entry.id: entry.status for entry in entries(app)} == {
            acted_on: end,
            bystander: start,
        }
    expect(badge(page, bystander)).to_have_text(start.value)
    assert page.evaluate("window.marker") == 1, "the page was reloaded"
    expect(page.locator("main > .flash")).to_have_count(0)


# keys pressed, the row (from the top) they act on, the status it gets
KEYS = [
    (["j", "a"], 0, Status.APPROVED),
    (["j", "j", "s"], 1, Status.SPAM),
    (["j", "j", "j", "k", "t"], 1, Status.TRASH),
    (["j", "j", "k", "a"], 0, Status.APPROVED),
]


@pytest.mark.parametrize(("keys", "position", "status"), KEYS, ids=["".join(k) for k, _, _ in KEYS])
def test_keys_move_between_entries_and_act_on_the_current_one_in_place(
    app, new_context, live_server, post, keys, position, status
):
    seed(app, "The oldest comment.", "The middle comment.", "The newest comment.")
    create_moderator(app)
    page = new_context(java_script_enabled=True).new_page()
    log_in(page, live_server)
    rows = page.locator("li.row")
    expect(rows).to_have_count(3)
    ids = [int(rows.nth(index).get_attribute("data-id")) for index in range(3)]
    page.evaluate("window.marker = 1")

    *moves, action = keys
    for key in moves:
        page.keyboard.press(key)
    expect(rows.nth(position)).to_be_focused()
    expect(rows.nth(position)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator("li.row.current")).to_have_count(1)
    with page.expect_response(posted_to(f"/entries/{ids[position]}/{status_action(status)}")):
        page.keyboard.press(action)

    expect(badge(page, ids[position])).to_have_text(status.value)
    expect(count(page, "pending")).to_have_text("(2)")
    expect(count(page, status.value)).to_have_text("(1)")
    assert page.evaluate("window.marker") == 1, "the page was reloaded"
    expected = {entry_id: Status.PENDING for entry_id in ids} | {ids[position]: status}
    assert {entry.id: entry.status for entry in entries(app)} == expected


def status_action(status: Status) -> str:
    return {Status.APPROVED: "approve", Status.SPAM: "spam", Status.TRASH: "trash"}[status]


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_a_newcomer_logs_in_approves_a_readers_comment_and_the_reader_sees_it(
    app, new_context, live_server, post, clock, javascript
):
    reader = new_context().new_page()
    reader.goto(post_url(live_server))
    fill_form(reader, comment="My first comment here.")
    assert send(reader, clock).status == 303
    expect(reader.locator("li.entry.pending .entry-text")).to_have_text("My first comment here.")
    [entry] = entries(app)
    create_moderator(app)

    moderator = new_context(java_script_enabled=javascript).new_page()
    log_in(moderator, live_server)
    row(moderator, entry.id).get_by_role("button", name="Approve", exact=True).click()
    expect(badge(moderator, entry.id)).to_have_text("approved")

    assert entries(app)[0].status == Status.APPROVED
    someone_else = new_context().new_page()
    someone_else.goto(post_url(live_server))
    expect(someone_else.locator(f"#comment-{entry.id}")).not_to_have_class(
        re.compile(r"\bpending\b")
    )
    expect(someone_else.locator(f"#comment-{entry.id} .entry-text")).to_have_text(
        "My first comment here."
    )
    reader.reload()
    expect(reader.get_by_text("Your comment is awaiting moderation.")).to_have_count(0)


def test_moderator_approves_one_and_bulk_spams_the_other_and_readers_see_only_the_approved(
    app, new_context, live_server, post
):
    ids = seed(app, TO_APPROVE, TO_SPAM)
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


def test_queue_loads_without_csp_violations_fits_a_phone_and_is_screenshotted(
    app, new_context, live_server, post, tmp_path, request
):
    long_url = "https://example.org/a/long/path/that/keeps/going/without/a/break/index.html"
    seed(app, TO_APPROVE, f"See {long_url} for the details.", TO_SPAM)
    create_moderator(app)
    backend = request.node.callspec.params["database_url"]

    for width, height in ((1280, 900), (390, 844)):
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
