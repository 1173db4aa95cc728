"""Test helpers shared by the HTTP and browser tests."""

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import insert, select

from moderation.infra import db
from moderation.infra.models import Entry, utcnow
from moderation.rules import policy
from moderation.rules.statuses import EntryType, Status
from moderation.services import comments, discussion, moderating
from moderation.services.accounts import Actor
from moderation.services.moderating import Action
from moderation.web import intake
from tests.forms import Form, page_form, send

COMMENT = {
    "comment": "A thoughtful comment.",
    "name": "Ada Reader",
    "email": "ada.reader@example.net",
    "website": "https://ada.example.net/",
}


def reader(app, number: int = 1):
    """A test client of a reader of their own, at their own address (the flood rule and
    rate limits count per address, as for real readers)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number}"
    return client


def comment_form(
    client, slug: str = "a-post", parent: str | None = None, request: dict | None = None
) -> Form:
    """The comment form as the post page rendered it (replying to `parent` when given)."""
    options = {**(request or {}), "query_string": {"replytocom": parent} if parent else {}}
    return page_form(client, f"/posts/{slug}/", "form.comment-form", options)


def submit(
    client,
    slug: str = "a-post",
    typing_seconds: float = 30,
    to: str | None = None,
    request: dict | None = None,
    **fields,
):
    """Fill in and send the comment form the post page rendered, hidden fields included,
    `typing_seconds` after it was shown. `fields` replace COMMENT's values (None leaves one
    out); `to` sends the form somewhere else than its action; `request` holds the test
    client's options (headers, environ_base…)."""
    form = comment_form(client, slug, fields.get("parent"), request)
    if to is not None:
        form = replace(form, action=to)
    intake.time.advance(typing_seconds)  # tests/conftest.py: clock
    return send(client, form, request=request, **{**COMMENT, **fields})


def time_passes(app, seconds: float = 60) -> None:
    """Move every entry `seconds` into the past, as if that long had gone by since it was
    posted: the flood rule, which counts from the stored time, lets its author post again."""
    with app.app_context():
        session = db.get_session()
        for entry in session.scalars(select(Entry)):
            entry.created -= timedelta(seconds=seconds)
        session.commit()


def entries(app) -> list[Entry]:
    with app.app_context():
        return list(db.get_session().scalars(select(Entry).order_by(Entry.id.desc())))


ACTION_FOR = {
    Status.APPROVED: Action.APPROVE,
    Status.SPAM: Action.SPAM,
    Status.TRASH: Action.TRASH,
}
TEST_ACTOR = Actor(None, "test", "127.0.0.1")


def approve(app, *ids: int) -> None:
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, ids, Action.APPROVE)
        session.commit()


def add_comment(app, text: str, status: Status = Status.PENDING, slug: str = "a-post", **fields):
    """Submit a comment through the service and move it to `status`; return its id."""
    parent_id = fields.pop("parent_id", None)
    facts = policy.Facts(
        **{
            "text": text,
            "name": "Ada Reader",
            "email": "ada.reader@example.net",
            "website": "",
            "ip_address": "192.0.2.1",
            "user_agent": "test",
            **fields,
        }
    )
    with app.app_context():
        session = db.get_session()
        submission = comments.Submission(facts, parent_id)
        entry_id = comments.submit_comment(session, slug, submission).id
        if status != Status.PENDING:
            moderating.moderate(session, TEST_ACTOR, [entry_id], ACTION_FOR[status])
        session.commit()
        return entry_id


def add_approved_comment(app, post, text: str = "An approved comment.", **fields) -> Entry:
    """Create an approved comment through the services, as a moderator would leave it."""
    fields = {"name": "Approved Author", "email": "approved.author@example.org", **fields}
    entry_id = add_comment(app, text, Status.APPROVED, post.slug, **fields)
    with app.app_context():
        return db.get_session().get(Entry, entry_id)


def seed_many(app, post_id: int, count: int, status: Status = Status.PENDING) -> list[int]:
    """Volume seeding: one bulk INSERT in one transaction, newest first by number."""
    now = utcnow()
    rows = [
        {
            "post_id": post_id,
            "type": EntryType.COMMENT,
            "status": status,
            "reason": "seeded",
            "author": f"Seeded Reader {number}",
            "email": f"reader{number}@example.net",
            "website": f"https://reader{number}.example/",
            "body": f"Seeded comment {number}",
            "body_html": f"<p>Seeded comment {number}</p>",
            "ip_address": "192.0.2.200",
            "created": now - timedelta(seconds=number),
            "updated": now,
        }
        for number in range(count)
    ]
    with app.app_context():
        session = db.get_session()
        ids = list(session.scalars(insert(Entry).returning(Entry.id), rows))
        session.commit()
        return ids


def save_settings(app, **values) -> None:
    """Save Discussion settings through the service the settings page uses."""
    with app.app_context():
        session = db.get_session()
        discussion.save(session, TEST_ACTOR, values)
        session.commit()


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_in(page: str) -> str:
    """The CSRF token of the (first) form in a page."""
    return CSRF_TOKEN.search(page).group(1)


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at `url`, for `client`'s session."""
    return token_in(client.get(url).get_data(as_text=True))
