"""The privacy notice (issue 15) passes axe-core, on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_the_privacy_notice_has_no_axe_violations(new_context, live_server, viewport):
    page = new_context(java_script_enabled=True, viewport=viewport).new_page()
    page.goto(f"{live_server}/privacy")
    expect(page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()

    assert_accessible(page)
