"""Numbers of any length in ids, pages and filters answer 400 or 404, or are ignored
where that is the rule (a bad ?page= is page 1), never 500 (issue 11).

Python refuses int() of a string of over 4,300 digits; PostgreSQL's integer column
overflows past 2**31 - 1, which a 20-digit number passes.
"""

import pytest

from tests.helpers import csrf_token, entries, reader, submit

HUGE = "1" * 5000
LARGE = "9" * 20
NUMBERS = pytest.mark.parametrize("number", [HUGE, LARGE], ids=["5000 digits", "20 digits"])


@NUMBERS
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/posts/a-post/?replytocom={n}", 200),  # no such comment: an ordinary form
        ("/posts/a-post/?cpage={n}", 404),
        ("/comments/{n}", 404),
    ],
)
def test_a_reader_asking_for_a_long_number_gets_no_500(client, post, number, path, status):
    response = client.get(path.format(n=number))
    assert response.status_code == status


@NUMBERS
def test_a_comment_replying_to_a_long_number_is_refused_with_the_form(app, post, number):
    response = submit(reader(app), parent=number)
    assert response.status_code == 400
    assert "Leave a Comment" in response.text or "Reply to" in response.text
    assert entries(app) == []


@NUMBERS
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/moderation/?page={n}", 200),  # page 1
        ("/moderation/?post={n}", 200),  # no post filter
        ("/moderation/?status=spam&page={n}&post={n}", 200),
        ("/moderation/audit?page={n}", 200),
        ("/moderation/entries/{n}/edit", 404),
    ],
)
def test_a_moderator_asking_for_a_long_number_gets_no_500(moderator, post, number, path, status):
    response = moderator.get(path.format(n=number))
    assert response.status_code == status


@NUMBERS
@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/moderation/entries/{n}/approve", {}),
        ("/moderation/entries/{n}/block", {"block": "email"}),
        ("/moderation/entries/{n}/reply", {"comment": "An answer."}),
        ("/moderation/entries/{n}/edit", {"comment": "Text", "name": "Name"}),
        ("/moderation/posts/{n}", {"comments_open": "y"}),
    ],
)
def test_an_action_on_a_long_id_is_404(moderator, post, number, path, fields):
    data = {"csrf_token": csrf_token(moderator, "/moderation/"), **fields}
    response = moderator.post(path.format(n=number), data=data)
    assert response.status_code == 404


@NUMBERS
def test_a_bulk_action_on_long_ids_changes_nothing(moderator, post, number):
    data = {"csrf_token": csrf_token(moderator, "/moderation/"), "action": "approve"}
    response = moderator.post(
        "/moderation/entries",
        data={**data, "ids": [number]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["message"] == "Tick at least one entry first."


@NUMBERS
def test_the_command_line_refuses_a_long_id_with_a_usage_error(runner, post, number):
    result = runner.invoke(args=["comments", "moderate", "--status", "spam", number])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
