"""A system Chromium driven through Playwright's sync API (STYLE: tests/browser).

The browser is started once per session; each test gets fresh contexts (no shared
cookies), closed at teardown so Playwright leaves nothing behind. Without a
Chromium the tests are skipped, unless REQUIRE_BROWSER is set (CI), where that
is a failure.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import MODERATOR_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Issue 13: a blog and the comments service on different sites, both served locally;
    # other.test is a site that nobody registered.
    "--host-resolver-rules=MAP blog.test 127.0.0.1, MAP comments.test 127.0.0.1, "
    "MAP other.test 127.0.0.1",
]
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test under tests/browser `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str | None:
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the whole run."""
    executable = _chromium_path()
    if executable is None:
        _unavailable(f"no Chromium at {CHROMIUM} or on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., object]]:
    """Open browser contexts (one per reader); JavaScript is off unless asked for (SPEC §1
    (Who uses it): readers comment through a form that works without JavaScript)."""
    contexts = []

    def open_context(**options):
        options.setdefault("java_script_enabled", False)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh context without JavaScript, as a reader with scripts blocked."""
    return new_context().new_page()


def log_in(page, live_server: str, username: str = "mod") -> None:
    """Log in through the login form, as a moderator would; lands on the queue."""
    page.goto(f"{live_server}/moderation/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/moderation/(\?.*)?$"))
    page.wait_for_load_state()  # the deferred dashboard.js has run: keys are listened to
