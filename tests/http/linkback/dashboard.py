"""The moderators' side of the linkback tests: the dashboard's pages as they render, and
their forms sent as a browser sends them."""

from tests.forms import submit_form


def act(moderator, entry_id: int, action: str, tab: str = "all"):
    """Click an entry's action button in the queue, as a moderator does: the form the
    queue page rendered, its token included."""
    selector = f'#entry-{entry_id} form[action$="/{action}"]'
    response = submit_form(moderator, f"/moderation/?status={tab}", selector)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def queue_row(moderator, entry_id: int, tab: str = "all") -> str:
    """The queue's row of one entry, as moderators read it."""
    page = moderator.get(f"/moderation/?status={tab}").get_data(as_text=True)
    start = page.index(f'id="entry-{entry_id}"')
    return page[start : page.index("</li>", start)]


def close_pings(moderator, post) -> None:
    """Untick "pings open" for the post on the Posts page and save."""
    selector = f'form[action$="/moderation/posts/{post.id}"]'
    response = submit_form(moderator, "/moderation/posts", selector, pings_open=None)
    assert response.status_code == 303, response.get_data(as_text=True)
