"""The comment form in a real browser: submit, errors, replies, phone layout, CSP."""

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.helpers import COMMENT, add_approved_comment

LONG_URL = "https://example.org/a/long/path/that/keeps/going/without/a/break/index.html?page=2"
AWAITING = "Your comment is awaiting moderation."
CSP_VIOLATION = re.compile(r"Content Security Policy|Content-Security-Policy", re.IGNORECASE)


def post_url(live_server: str) -> str:
    return f"{live_server}/posts/a-post/"


def field(page, name: str):
    """The form control whose accessible name is `name` (the label, without its "*")."""
    return page.get_by_role("textbox", name=name, exact=True)


def fill_form(page, **fields) -> None:
    """Type into the form as a reader would: Comment, Name, Email, Website."""
    values = {**COMMENT, **fields}
    field(page, "Comment").fill(values["comment"])
    field(page, "Name").fill(values["name"])
    field(page, "Email").fill(values["email"])
    field(page, "Website").fill(values["website"])


def send(page, clock, typing_seconds: float = 30):
    """Press "Post Comment" `typing_seconds` after the page was shown (the form's time trap
    reads `clock`, tests/conftest.py) and return the response to the form's POST."""
    clock.advance(typing_seconds)
    with page.expect_response(
        lambda response: (
            response.request.method == "POST" and response.url.endswith("/posts/a-post/comments")
        )
    ) as posted:
        page.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state()
    return posted.value


def test_reader_sees_own_comment_awaiting_moderation_and_others_do_not(
    new_context, page, live_server, post, clock
):
    page.goto(post_url(live_server))
    fill_form(page, comment="Seen from a browser without scripts.")

    response = send(page, clock)

    assert response.status == 303
    expect(page).to_have_url(re.compile(r"/posts/a-post/#comment-\d+$"))
    own = page.locator("li.entry.pending")
    expect(own).to_have_count(1)
    expect(own).to_have_id(page.url.rsplit("#", 1)[1])
    expect(own.locator(".entry-text")).to_have_text("Seen from a browser without scripts.")
    expect(own.locator(".awaiting")).to_have_text(AWAITING)
    expect(own.locator(".author a")).to_have_text(COMMENT["name"])
    expect(own.locator(".author a")).to_have_attribute("href", COMMENT["website"])
    expect(page.get_by_text(COMMENT["email"])).to_have_count(0)

    other = new_context().new_page()
    other.goto(post_url(live_server))
    expect(other.get_by_role("heading", name="Leave a Comment")).to_be_visible()
    expect(other.get_by_text("Seen from a browser without scripts.")).to_have_count(0)
    expect(other.get_by_text(AWAITING)).to_have_count(0)
    expect(other.locator("li.entry")).to_have_count(0)


def test_name_of_only_spaces_is_refused_beside_the_name_field_keeping_what_was_typed(
    page, live_server, post, clock
):
    page.goto(post_url(live_server))
    fill_form(page, comment="Kept after the error.", name="   ")

    response = send(page, clock)

    assert response.status == 400
    name_field = page.locator("p.field").filter(has=field(page, "Name"))
    expect(name_field.locator(".field-error")).to_have_text("Please enter your name.")
    expect(name_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field(page, "Name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(field(page, "Comment")).to_have_value("Kept after the error.")
    expect(field(page, "Email")).to_have_value(COMMENT["email"])
    expect(field(page, "Website")).to_have_value(COMMENT["website"])
    expect(page.locator("li.entry")).to_have_count(0)


def test_reply_link_opens_a_reply_form_and_the_reply_shows_nested_under_its_parent(
    app, page, live_server, post, clock
):
    parent = add_approved_comment(app, post, name="Grace Hopper", text="The parent comment.")
    page.goto(post_url(live_server))
    parent_item = page.locator(f"#comment-{parent.id}")

    parent_item.get_by_role("link", name="Reply to Grace Hopper").click()

    expect(page).to_have_url(re.compile(rf"[?&]replytocom={parent.id}\b.*#respond$"))
    expect(page.locator("#respond h2")).to_contain_text("Reply to Grace Hopper")
    fill_form(page, comment="A reply in the thread.")
    assert send(page, clock).status == 303

    reply = parent_item.locator("> ol.children > li")
    expect(reply).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(reply).to_have_class(re.compile(r"\bpending\b"))
    expect(reply.locator(".entry-text")).to_have_text("A reply in the thread.")
    expect(reply.locator(".awaiting")).to_have_text(AWAITING)
    expect(page.locator("#respond h2")).to_have_text("Leave a Comment")
    parent_box = parent_item.bounding_box()
    reply_box = reply.bounding_box()
    assert reply_box["x"] > parent_box["x"]
    assert reply_box["y"] > parent_box["y"]


def seed_thread(app, post) -> None:
    """An approved comment with an approved reply, so the page shows a real thread."""
    parent = add_approved_comment(
        app,
        post,
        name="Grace Hopper",
        email="grace@example.org",
        website="https://grace.example.org/",
        text="A first thought.\n\nWith a second paragraph.",
    )
    add_approved_comment(
        app,
        post,
        name="Alan Turing",
        email="alan@example.org",
        text="A reply.",
        parent_id=parent.id,
    )


def watch_for_csp(page) -> list[str]:
    """Collect console messages and page errors; record CSP violation events in the page."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    # Registered by Playwright before any page script, so the CSP does not block it.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', event =>"
        " window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));"
    )
    return messages


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """Save a full-page screenshot; with SCREENSHOT_DIR set, keep a copy there for a person."""
    path = tmp_path / name
    page.screenshot(path=path, full_page=True)
    if keep := os.environ.get("SCREENSHOT_DIR"):
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_post_page_fits_a_phone_screen_without_horizontal_scroll(
    app, new_context, live_server, post, tmp_path, request, clock
):
    seed_thread(app, post)
    backend = request.node.callspec.params["database_url"]
    phone = new_context(viewport={"width": 375, "height": 740}, java_script_enabled=True)
    page = phone.new_page()
    page.goto(post_url(live_server))
    fill_form(page, comment="Typed on a phone.")
    send(page, clock)
    expect(page.get_by_text(AWAITING)).to_be_visible()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth") == 375
    for name in ("Comment", "Name", "Email", "Website"):
        expect(field(page, name)).to_be_visible()
        box = field(page, name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, name
    expect(page.get_by_role("button", name="Post Comment")).to_be_visible()
    screenshot(page, tmp_path, f"post-375x740-{backend}.png")

    desktop = new_context(viewport={"width": 1280, "height": 900}).new_page()
    desktop.goto(post_url(live_server))
    expect(field(desktop, "Comment")).to_be_visible()
    screenshot(desktop, tmp_path, f"post-1280x900-{backend}.png")


def test_long_link_in_a_comment_does_not_widen_the_page_on_a_phone(
    app, new_context, live_server, post
):
    add_approved_comment(app, post, text=f"See {LONG_URL} for the details.")
    page = new_context(viewport={"width": 375, "height": 740}, java_script_enabled=True).new_page()
    page.goto(post_url(live_server))
    expect(page.get_by_role("link", name=LONG_URL)).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_post_page_loads_without_content_security_policy_violations(
    app, new_context, live_server, post
):
    seed_thread(app, post)
    page = new_context(java_script_enabled=True).new_page()
    messages = watch_for_csp(page)

    response = page.goto(post_url(live_server))
    page.wait_for_load_state("networkidle")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("window.__violations") == []
    assert [message for message in messages if CSP_VIOLATION.search(message)] == []
