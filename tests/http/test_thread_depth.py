"""Thread depth: replies nest at most `thread_depth` deep (top-level entries are depth 1);
the deepest entries offer no Reply link, and a reply to one is refused."""

import re

import pytest

from moderation.infra import db
from moderation.rules import errors
from moderation.rules.statuses import Status
from moderation.services import comments, moderating, threads
from tests.forms import page_form, send
from tests.helpers import (
    TEST_ACTOR,
    add_approved_comment,
    add_comment,
    entries,
    save_settings,
    submit,
)


def _page(response) -> str:
    return response.get_data(as_text=True)


def _chain(app, post, length: int) -> list[int]:
    """A top-level comment and replies each under the last: ids from depth 1 to `length`."""
    ids: list[int] = []
    for depth in range(1, length + 1):  # each reply needs the id of the one before
        parent = ids[-1] if ids else None
        ids.append(add_approved_comment(app, post, text=f"At depth {depth}", parent_id=parent).id)
    return ids


def _reply_links(page: str) -> list[int]:
    return [int(found) for found in re.findall(r"replytocom=(\d+)#respond", page)]


@pytest.mark.parametrize(
    ("thread_depth", "length", "answerable"),
    [
        (5, 5, [1, 2, 3, 4]),
        (3, 3, [1, 2]),
        (2, 2, [1]),
        (2, 1, [1]),
    ],
)
def test_entries_at_the_deepest_level_offer_no_reply_link(
    client, app, post, thread_depth, length, answerable
):
    save_settings(app, thread_depth=thread_depth)
    ids = _chain(app, post, length)
    page = _page(client.get("/posts/a-post/"))
    assert _reply_links(page) == [ids[depth - 1] for depth in answerable]


def test_a_reply_to_an_entry_at_the_deepest_level_is_refused_beside_the_form(client, app, post):
    save_settings(app, thread_depth=3)
    deepest = _chain(app, post, 3)[-1]
    stored = len(entries(app))
    response = submit(client, comment="One level too deep", parent=str(deepest))
    assert response.status_code == 400
    page = _page(response)
    assert '<p class="field-error" role="alert">Replies can be nested at most 3 deep.</p>' in page
    assert page.index("Replies can be nested") > page.index('<form class="comment-form"')
    assert "One level too deep" in page  # what was typed is kept
    assert len(entries(app)) == stored


def test_a_reply_one_level_above_the_deepest_is_taken(client, app, post):
    save_settings(app, thread_depth=3)
    middle = _chain(app, post, 3)[1]
    assert submit(client, comment="At the deepest level", parent=str(middle)).status_code == 303
    [reply] = [entry for entry in entries(app) if entry.body == "At the deepest level"]
    assert reply.parent_id == middle


def test_thread_depth_1_takes_no_replies_at_all(client, app, post):
    save_settings(app, thread_depth=1)
    top = add_approved_comment(app, post, text="Alone at the top")
    page = _page(client.get("/posts/a-post/"))
    assert "Alone at the top" in page and _reply_links(page) == []
    response = submit(client, comment="A reply", parent=str(top.id))
    assert response.status_code == 400
    assert "Replies can be nested at most 1 deep." in _page(response)
    assert [entry.body for entry in entries(app)] == ["Alone at the top"]


@pytest.mark.parametrize(("thread_depth", "refused"), [(4, False), (3, True), (2, True)])
def test_the_service_refuses_a_reply_past_the_depth_it_is_given(app, post, thread_depth, refused):
    deepest = _chain(app, post, 3)[-1]
    with app.app_context():
        session = db.get_session()
        if refused:
            with pytest.raises(errors.Refused, match=f"at most {thread_depth} deep") as error:
                comments._check_parent(session, "a-post", deepest, thread_depth)
            assert error.value.field == "parent"
        else:
            comments._check_parent(session, "a-post", deepest, thread_depth)


def test_the_parents_depth_is_found_in_one_query(app, post, count_queries):
    deepest = _chain(app, post, 5)[-1]
    with app.app_context(), count_queries() as statements:
        comments._check_parent(db.get_session(), "a-post", deepest, 6)
    assert len(statements) == 1, statements


def test_a_change_of_depth_shows_at_once(client, app, post):
    ids = _chain(app, post, 3)
    assert _reply_links(_page(client.get("/posts/a-post/"))) == ids  # default 5; now cached
    save_settings(app, thread_depth=2)
    assert _reply_links(_page(client.get("/posts/a-post/"))) == ids[:1]
    save_settings(app, thread_depth=1)
    assert _reply_links(_page(client.get("/posts/a-post/"))) == []


def test_depth_counts_only_ancestors_the_page_shows(client, app, post):
    save_settings(app, thread_depth=3)
    top, middle, deepest = _chain(app, post, 3)
    with app.app_context():
        session = db.get_session()
        moderating.set_status(session, TEST_ACTOR, [top], Status.TRASH)
        session.commit()
    # The middle entry now stands at the top, so the deepest one is at depth 2.
    page = _page(client.get("/posts/a-post/"))
    assert f'id="comment-{middle}" class="entry depth-0 comment"' in page
    assert _reply_links(page) == [middle, deepest]
    assert submit(client, comment="Now allowed", parent=str(deepest)).status_code == 303


def test_deep_threads_keep_a_capped_indent(client, app, post):
    save_settings(app, thread_depth=8)
    ids = _chain(app, post, 8)
    page = _page(client.get("/posts/a-post/"))
    classes = [
        re.search(rf'id="comment-{entry_id}" class="entry (depth-\d+)', page)[1] for entry_id in ids
    ]
    capped = threads.MAX_VISIBLE_DEPTH
    assert classes == [f"depth-{min(depth, capped)}" for depth in range(8)]


def _moderator_reply(moderator, parent: int):
    """The queue's Reply form for that entry, sent as the queue's script sends it."""
    form = page_form(moderator, "/moderation/", f"#entry-{parent} details.reply form")
    json = {"headers": {"Accept": "application/json"}}
    return send(moderator, form, request=json, comment="From the desk")


def test_a_moderators_reply_keeps_to_the_thread_depth_too(moderator, app, post):
    save_settings(app, thread_depth=3)
    ids = _chain(app, post, 3)
    refused = _moderator_reply(moderator, ids[-1])
    assert refused.status_code == 400
    assert refused.get_json()["message"] == "Replies can be nested at most 3 deep."
    assert _moderator_reply(moderator, ids[-2]).status_code == 200
    replies = [entry for entry in entries(app) if entry.body == "From the desk"]
    assert [reply.parent_id for reply in replies] == [ids[-2]]


def test_a_moderators_reply_to_a_pending_entry_counts_its_approved_ancestors(moderator, app, post):
    save_settings(app, thread_depth=3)
    top = _chain(app, post, 2)[-1]
    pending = add_comment(app, "Waiting at depth 3", parent_id=top)
    refused = _moderator_reply(moderator, pending)
    assert refused.status_code == 400
    assert refused.get_json()["message"] == "Replies can be nested at most 3 deep."
    assert [entry.status for entry in entries(app) if entry.id == pending] == [Status.PENDING]
