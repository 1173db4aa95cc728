"""axe-core finds nothing wrong on the reader's pages and on every dashboard page, and the
dashboard fits a phone 390 px wide without sideways scrolling (issue 11, item 8)."""

import re

import pytest
from playwright.sync_api import expect

from moderation.infra import db
from moderation.rules.statuses import EntryType, Status
from moderation.services import threads, webhooks
from moderation.services.linkbacks import recording
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.browser.test_comment_form import post_url
from tests.conftest import create_moderator
from tests.helpers import TEST_ACTOR, add_approved_comment, add_comment, approve, save_settings

PHONE = {"width": 390, "height": 844}
LONG_URL = "https://example.org/a/very/long/path/that/keeps/going/without/any/break/at/all.html"
LONG_EMAIL = "a.reader.with.a.very.long.address.that.never.breaks@subdomain.example.org"
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3


def add_pingback(app, post, title: str, source: str) -> int:
    """An approved pingback, recorded as the receiver records a verified one."""
    with app.app_context():
        session = db.get_session()
        entry = recording.record_linkback(
            session, post, EntryType.PINGBACK, source, title, f"[…] {title} linked here […]"
        )
        session.commit()
    approve(app, entry.id)
    return entry.id


@pytest.fixture
def thread(app, post) -> dict[str, int]:
    """A comment, a reply to it, a second comment and a pingback, all approved."""
    parent = add_approved_comment(app, post, name="Grace Hopper", text="A first thought.")
    reply = add_approved_comment(
        app, post, name="Alan Turing", text="An answer to Grace.", parent_id=parent.id
    )
    other = add_approved_comment(app, post, name="Ada Lovelace", text="Another thought.")
    pingback = add_pingback(app, post, "A Blog That Linked", "https://blog.example/linked")
    return {"parent": parent.id, "reply": reply.id, "other": other.id, "pingback": pingback}


@pytest.fixture
def queue_entries(app, post) -> dict[str, int]:
    """An entry in every status, with an unbroken URL, email and word to wrap on a phone."""
    long = {"website": LONG_URL, "email": LONG_EMAIL}
    ids = {
        status: add_comment(app, f"{status.value}: {LONG_WORD} {LONG_URL}", status, **long)
        for status in (Status.PENDING, Status.APPROVED, Status.SPAM, Status.TRASH)
    }
    add_pingback(app, post, "A Blog That Linked", LONG_URL)
    return {status.value: entry_id for status, entry_id in ids.items()}


@pytest.fixture
def admin_page(app, new_context, live_server, queue_entries):
    """A logged-in administrator's page, with JavaScript (axe needs it). A second moderator
    with a long name shows the Moderators page with its Disable button; a webhook with a
    long URL, the Webhooks page with its secret, Remove button and a delivery."""
    create_moderator(app, admin=True)
    create_moderator(app, "a.second.moderator.whose.long.username.does.not.break")
    with app.app_context():
        session = db.get_session()
        webhooks.add_webhook(session, TEST_ACTOR, LONG_URL)
        webhooks.announce(session, webhooks.CREATED, [queue_entries["approved"]])
        session.commit()

    def open_page(**options):
        page = new_context(java_script_enabled=True, **options).new_page()
        log_in(page, live_server)
        return page

    return open_page


VIEWPORTS = [{"width": 1280, "height": 800}, PHONE]
VIEWPORT_IDS = ["desktop", "phone"]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_post_page_with_a_thread_and_a_pingback_has_no_axe_violations(
    new_context, live_server, thread, viewport
):
    page = new_context(java_script_enabled=True, viewport=viewport).new_page()
    page.goto(post_url(live_server))
    expect(page.locator(f"#comment-{thread['reply']}")).to_be_visible()
    expect(page.locator(f"#comment-{thread['pingback']}")).to_be_visible()

    assert_accessible(page)


def test_comment_form_sent_empty_comes_back_with_errors_and_no_axe_violations(
    new_context, live_server, thread
):
    page = new_context(java_script_enabled=True).new_page()
    page.goto(post_url(live_server))
    # As a browser that does not check `required` itself: the server is the judge.
    page.locator("form.comment-form").evaluate("form => { form.noValidate = true; }")
    with page.expect_response(re.compile(r"/posts/a-post/comments$")) as posted:
        page.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state()

    assert posted.value.status == 400
    expect(page.locator(".field-error")).to_have_count(3)  # comment, name, email
    expect(page.get_by_role("textbox", name="Comment")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_skip_link_takes_a_keyboard_user_to_the_comment_form(new_context, live_server, thread):
    page = new_context().new_page()
    page.goto(post_url(live_server))

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the comment form")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#respond$"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Comment")).to_be_focused()


def test_a_reply_is_nested_inside_its_parents_list_item(new_context, live_server, thread):
    page = new_context().new_page()
    page.goto(post_url(live_server))

    parent = page.locator(f"#comment-{thread['parent']}")
    nested = parent.locator(f"> ol.children > li#comment-{thread['reply']}")
    expect(nested).to_have_count(1)
    top_level = page.locator("ol.entry-list > li")
    expect(top_level).to_have_count(3)  # the two comments and the pingback
    # A screen reader announces the reply as an item of a list one level in.
    expect(nested).to_have_attribute("class", re.compile(r"\bdepth-1\b"))
    expect(page.locator(f"ol.entry-list > li#comment-{thread['reply']}")).to_have_count(0)


def test_replies_past_the_deepest_level_follow_their_parent_in_its_list(
    app, new_context, live_server, post
):
    save_settings(app, thread_depth=8)
    ids: list[int] = []
    for depth in range(8):  # each reply answers the one before
        parent = ids[-1] if ids else None
        ids.append(add_approved_comment(app, post, text=f"At depth {depth}", parent_id=parent).id)
    page = new_context().new_page()
    page.goto(post_url(live_server))

    deepest = threads.MAX_VISIBLE_DEPTH
    for depth in range(deepest):
        child = page.locator(f"#comment-{ids[depth]} > ol.children > li#comment-{ids[depth + 1]}")
        expect(child).to_have_count(1)
    # WordPress's walker does the same: past the deepest level, replies are listed after
    # their parent, in its list, at its depth.
    last_list = page.locator(f"#comment-{ids[deepest - 1]} > ol.children > li")
    expect(last_list).to_have_count(8 - deepest)
    assert [item.get_attribute("id") for item in last_list.all()] == [
        f"comment-{entry_id}" for entry_id in ids[deepest:]
    ]
    expect(last_list.locator("ol")).to_have_count(0)
    expect(page.locator("li.entry")).to_have_count(8)


DASHBOARD_PAGES = [
    ("login", None),
    ("queue, all", "/moderation/"),
    ("queue, pending", "/moderation/?status=pending"),
    ("queue, approved", "/moderation/?status=approved"),
    ("queue, spam", "/moderation/?status=spam"),
    ("queue, trash", "/moderation/?status=trash"),
    ("queue, nothing found", "/moderation/?q=nothing+matches+this"),
    ("edit", "/moderation/entries/{pending}/edit"),
    ("settings", "/moderation/settings"),
    ("posts", "/moderation/posts"),
    ("audit log", "/moderation/audit"),
    ("moderators", "/moderation/moderators"),
    ("webhooks", "/moderation/webhooks"),
    ("account", "/moderation/account"),
    ("password", "/moderation/password"),
    ("error page", "/moderation/entries/999999/edit"),
]
PAGE_IDS = [name for name, _ in DASHBOARD_PAGES]


def open_dashboard_page(admin_page, new_context, live_server, queue_entries, path, **options):
    """The page at `path` for a logged-in administrator; the login page when `path` is None."""
    if path is None:
        page = new_context(java_script_enabled=True, **options).new_page()
        page.goto(f"{live_server}/moderation/login")
        return page
    page = admin_page(**options)
    page.goto(live_server + path.format(**queue_entries))
    return page


@pytest.mark.parametrize(("name", "path"), DASHBOARD_PAGES, ids=PAGE_IDS)
def test_dashboard_page_has_no_axe_violations(
    admin_page, new_context, live_server, queue_entries, name, path
):
    page = open_dashboard_page(admin_page, new_context, live_server, queue_entries, path)

    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_a_refused_webhook_url_comes_back_with_its_error_and_no_axe_violations(
    admin_page, live_server
):
    page = admin_page()
    page.goto(f"{live_server}/moderation/webhooks")
    page.get_by_role("textbox", name="URL").fill("ftp://files.example/hook")
    with page.expect_response(re.compile(r"/moderation/webhooks$")) as posted:
        page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()

    assert posted.value.status == 400
    expect(page.get_by_role("textbox", name="URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("http:// or https://")
    assert_accessible(page)


@pytest.mark.parametrize(("name", "path"), DASHBOARD_PAGES, ids=PAGE_IDS)
def test_on_a_phone_390_px_wide_a_dashboard_page_neither_scrolls_sideways_nor_fails_axe(
    admin_page, new_context, live_server, queue_entries, name, path
):
    page = open_dashboard_page(
        admin_page, new_context, live_server, queue_entries, path, viewport=PHONE
    )
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.innerWidth") == PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
