"""Webmention authors' photos: served to readers only while an entry that holds the photo
is approved, and deleted once no entry holds it (issue 11)."""

import pytest
import requests
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Photo
from tests.forms import submit_form
from tests.helpers import entries
from tests.http.linkback.dashboard import act
from tests.http.linkback.test_webmention import OTHER_PNG, PNG, h_entry, photo_path, send


def stored_photos(app) -> list[str]:
    with app.app_context():
        return list(db.get_session().scalars(select(Photo.key)))


def reply(app, live_server, source_server, path: str, slug: str = "a-post") -> int:
    """A webmention reply with the photo /ana.png, verified: its entry's id."""
    target = f"{live_server}/posts/{slug}/"
    source_server.page("/ana.png", PNG, content_type="image/png")
    source = source_server.page(path, h_entry(target, source_server.url("/ana.png"), content="Hi"))
    assert send(f"{live_server}/webmention", source, target).status_code == 201
    jobs.run_due_jobs(app)
    return max(entry.id for entry in entries(app))


@pytest.fixture
def mention(app, live_server, post, source_server) -> int:
    return reply(app, live_server, source_server, "/reply")


def served(live_server, data: bytes = PNG) -> int:
    """What a reader's browser gets for the photo: its HTTP status."""
    response = requests.get(live_server + photo_path(data), timeout=5)
    assert response.status_code != 200 or response.content == data
    return response.status_code


# The moderator's actions, each from the tab that shows its button; the photo's status.
VISIBILITY = [
    ([], 404),
    ([("approve", "all")], 200),
    ([("approve", "all"), ("unapprove", "all")], 404),
    ([("approve", "all"), ("spam", "all")], 404),
    ([("approve", "all"), ("trash", "all")], 404),
    ([("spam", "all"), ("not-spam", "spam")], 404),
]
VISIBILITY_IDS = ["pending", "approved", "unapproved", "spam", "trash", "not-spam"]


@pytest.mark.parametrize(("actions", "status"), VISIBILITY, ids=VISIBILITY_IDS)
def test_a_photo_is_served_only_while_its_entry_is_approved(
    app, live_server, moderator, mention, actions, status
):
    for action, tab in actions:
        act(moderator, mention, action, tab)
    assert served(live_server) == status


def test_a_key_that_no_photo_has_is_404(live_server, post):
    assert served(live_server, b"no such photo") == 404


@pytest.mark.parametrize(
    "actions",
    [
        [("trash", "all"), ("delete", "trash")],
        [("spam", "all"), ("delete", "spam")],
        [("trash", "all"), ("empty", "trash")],
        [("spam", "all"), ("empty", "spam")],
    ],
    ids=["deleted-from-trash", "deleted-from-spam", "trash-emptied", "spam-emptied"],
)
def test_a_photo_is_deleted_with_the_last_entry_that_holds_it(
    app, live_server, moderator, mention, actions
):
    assert stored_photos(app) != []
    for action, tab in actions:
        if action == "empty":
            response = submit_form(moderator, f"/moderation/?status={tab}", "form.empty")
            assert response.status_code == 303
        else:
            act(moderator, mention, action, tab)
    assert entries(app) == []
    assert stored_photos(app) == []


def test_a_photo_another_entry_holds_is_kept(
    app, live_server, moderator, mention, other_post, source_server
):
    other = reply(app, live_server, source_server, "/other-reply", "another-post")
    act(moderator, other, "approve")
    act(moderator, mention, "trash")
    act(moderator, mention, "delete", "trash")
    assert len(stored_photos(app)) == 1
    assert served(live_server) == 200


def test_a_resent_mention_with_a_new_photo_drops_the_old_one(
    app, live_server, moderator, mention, source_server
):
    act(moderator, mention, "approve")
    target = f"{live_server}/posts/a-post/"
    source_server.page("/new.png", OTHER_PNG, content_type="image/png")
    source = source_server.page(
        "/reply", h_entry(target, source_server.url("/new.png"), content="Hi")
    )
    send(f"{live_server}/webmention", source, target)
    jobs.run_due_jobs(app)
    assert stored_photos(app) == [photo_path(OTHER_PNG).removeprefix("/photos/")]
    assert served(live_server, OTHER_PNG) == 404  # held again until a moderator approves
    act(moderator, mention, "approve", "pending")
    assert served(live_server, OTHER_PNG) == 200
