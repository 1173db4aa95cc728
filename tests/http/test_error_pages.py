"""Error pages under /moderation/ wear the dashboard's layout and lead back to the queue;
the public ones keep the site's layout and lead to the front page (issue 11)."""

import pytest

QUEUE_LINK = '<a href="/moderation/">Back to the queue</a>'


def assert_dashboard_page(response, status: int, text: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert "dashboard.css" in page and "site.css" not in page
    assert QUEUE_LINK in page
    assert "front page" not in page
    assert text in page


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/moderation/no-such-page", "There is nothing at this address."),
        ("/moderation/entries/424242/edit", "There is no such entry."),
    ],
)
def test_a_missing_dashboard_page_is_a_404_in_the_dashboard(moderator, path, text):
    assert_dashboard_page(moderator.get(path), 404, text)


def test_a_missing_dashboard_page_is_in_the_dashboard_when_logged_out_too(client):
    assert_dashboard_page(client.get("/moderation/no-such-page"), 404, "nothing at this address")


def test_a_dashboard_form_without_its_token_is_a_400_in_the_dashboard(moderator, post):
    response = moderator.post("/moderation/entries", data={"action": "approve", "ids": "1"})
    assert_dashboard_page(response, 400, "The CSRF token is missing.")


def test_a_page_for_administrators_is_a_403_in_the_dashboard(moderator):
    response = moderator.get("/moderation/settings")
    assert_dashboard_page(response, 403, "Only administrators change the Discussion settings.")


def test_a_wrong_method_is_a_405_in_the_dashboard(moderator):
    assert_dashboard_page(moderator.get("/moderation/entries"), 405, "that kind of request")


def test_a_body_too_large_is_a_413_in_the_dashboard(moderator):
    response = moderator.post("/moderation/entries", data={"ids": "1" * 2_000_000})
    assert_dashboard_page(response, 413, "What you sent is too large.")


def test_an_unexpected_error_is_a_500_in_the_dashboard(app, logged_in):
    def broken():
        raise RuntimeError("internal detail")

    app.add_url_rule("/moderation/broken", view_func=broken)  # before the app's first request
    response = logged_in().get("/moderation/broken")
    assert_dashboard_page(response, 500, "Please try again in a moment.")
    assert "internal detail" not in response.get_data(as_text=True)


def test_a_dashboard_without_its_database_still_answers_a_500_page(
    empty_database_url, moderator, make_app
):
    session_cookie = moderator.get_cookie("session").value
    schema_gone = make_app(DATABASE_URL=empty_database_url).test_client()
    schema_gone.set_cookie("session", session_cookie)
    response = schema_gone.get("/moderation/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/plain"  # every layout asks the database who is logged in
    assert "Something went wrong" in page and "Traceback" not in page


def test_public_error_pages_keep_the_sites_layout(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "site.css" in page and "dashboard.css" not in page
    assert "Back to the front page" in page and "Back to the queue" not in page
