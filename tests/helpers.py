"""Test helpers shared by the HTTP and browser tests."""

import re
import time
from datetime import timedelta

from sqlalchemy import insert

from moderation import db, discussion, services
from moderation.accounts import Actor
from moderation.forms import form_stamp
from moderation.models import Entry, EntryType, Status, utcnow

COMMENT = {
    "comment": "A thoughtful comment.",
    "name": "Ada Reader",
    "email": "ada.reader@example.net",
    "website": "https://ada.example.net/",
}


def form_data(app, seconds_ago: float = 60, **fields) -> dict:
    """The comment form's fields as a browser sends them, shown `seconds_ago`; None removes one."""
    stamp = form_stamp(app.config["SECRET_KEY"], time.time() - seconds_ago)
    data = {**COMMENT, "shown": stamp, **fields}
    return {key: value for key, value in data.items() if value is not None}


def submit(client, slug: str = "a-post", **fields):
    """Post the comment form with sensible defaults; None removes a field."""
    return client.post(f"/posts/{slug}/comments", data=form_data(client.application, **fields))


def entries(app) -> list[Entry]:
    with app.app_context():
        return list(services.queue(db.get_session()))


def approve(app, *ids: int) -> None:
    with app.app_context():
        session = db.get_session()
        services.set_status(session, ids, Status.APPROVED, "approved in a test")
        session.commit()


def add_comment(app, text: str, status: Status = Status.PENDING, slug: str = "a-post", **fields):
    """Submit a comment through the service and move it to `status`; return its id."""
    values = {
        "text": text,
        "name": "Ada Reader",
        "email": "ada.reader@example.net",
        "website": "",
        "parent_id": None,
        "ip_address": "192.0.2.1",
        "user_agent": "test",
        **fields,
    }
    with app.app_context():
        session = db.get_session()
        entry_id = services.submit_comment(session, slug, services.Submission(**values)).id
        if status != Status.PENDING:
            services.set_status(session, [entry_id], status, f"{status} in a test")
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
        discussion.save(session, Actor(None, "test", "127.0.0.1"), values)
        session.commit()


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_in(page: str) -> str:
    """The CSRF token of the (first) form in a page."""
    return CSRF_TOKEN.search(page).group(1)


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at `url`, for `client`'s session."""
    return token_in(client.get(url).get_data(as_text=True))
