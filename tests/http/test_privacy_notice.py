"""The privacy notice at /privacy (issue 15): drawn from the live settings, public and
cacheable as the other public reads, and linked from every public page and the comment
form."""

import pytest
from bs4 import BeautifulSoup

from tests.helpers import save_settings

SETTINGS = [
    pytest.param(
        {"IP_RETENTION_DAYS": 30, "PURGE_AFTER_DAYS": 30, "MAIL_URL": "smtp://mail.example:587"},
        {},
        [
            "after 30 days, an IP address is shortened to its network",
            "deleted 30 days after that",
            "a copy is kept for 30 days, then deleted",
            "every comment waits until a moderator approves it",
            "one comment every 15 seconds",
            "this site sends mail",
        ],
        ["kept as long as the comment", "Known authors", "sends no mail"],
        id="30-30-mail",
    ),
    pytest.param(
        {"IP_RETENTION_DAYS": 0, "PURGE_AFTER_DAYS": 90, "COMMENT_FLOOD_SECONDS": 0},
        {"hold_all": False, "trust_known_authors": True},
        [
            "IP addresses and user agents: kept as long as the comment",
            "deleted 90 days after that",
            "a copy is kept for 90 days, then deleted",
            "a comment may appear at once, unless a rule holds it",
            "Known authors: your name and email address are matched",
            "this site sends no mail at the moment",
        ],
        ["shortened", "every comment waits", "seconds,", "they may be mailed"],
        id="0-90-no-mail",
    ),
]


def notice_text(page: str) -> str:
    text = BeautifulSoup(page, "html.parser").select_one(".privacy-notice").get_text(" ")
    return " ".join(text.split())


@pytest.mark.parametrize(("config", "discussion", "said", "unsaid"), SETTINGS)
def test_the_notice_says_what_the_settings_make_it(make_app, config, discussion, said, unsaid):
    app = make_app(**config)
    client = app.test_client()
    first = client.get("/privacy")
    if discussion:
        save_settings(app, **discussion)

    response = client.get("/privacy")

    assert response.status_code == 200
    text = notice_text(response.text)
    assert [phrase for phrase in said if phrase.casefold() not in text.casefold()] == []
    assert [phrase for phrase in unsaid if phrase.casefold() in text.casefold()] == []
    links = BeautifulSoup(response.text, "html.parser").select(".privacy-notice a[href]")
    assert [link["href"] for link in links] == ["/your-data"]
    # Shared by every reader, as a thread's reads are; redrawn when the settings change.
    assert response.headers["Cache-Control"] == "public, max-age=60, s-maxage=60"
    assert "Set-Cookie" not in response.headers
    assert (response.headers["ETag"] != first.headers["ETag"]) == bool(discussion)
    again = client.get("/privacy", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_public_pages_and_the_comment_form_link_to_the_notice(client, post):
    page = BeautifulSoup(client.get("/posts/a-post/").text, "html.parser")

    assert page.select_one(".site-footer a")["href"] == "/privacy"
    assert page.select_one("form.comment-form .comment-privacy a")["href"] == "/privacy"
