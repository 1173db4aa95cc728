"""Test helpers shared by the HTTP and browser tests."""

from moderation import db, services
from moderation.models import Entry, Status

COMMENT = {
    "comment": "A thoughtful comment.",
    "name": "Ada Reader",
    "email": "ada.reader@example.net",
    "website": "https://ada.example.net/",
}


def submit(client, slug: str = "a-post", **fields):
    """Post the comment form with sensible defaults; None removes a field."""
    data = {**COMMENT, **fields}
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(f"/posts/{slug}/comments", data=data)


def entries(app) -> list[Entry]:
    with app.app_context():
        return list(services.queue(db.get_session()))


def approve(app, *ids: int) -> None:
    with app.app_context():
        session = db.get_session()
        services.set_status(session, ids, Status.APPROVED, "approved in a test")
        session.commit()


def add_approved_comment(app, post, **fields) -> Entry:
    """Create an approved comment through the services, as a moderator would leave it."""
    values = {
        "text": "An approved comment.",
        "name": "Approved Author",
        "email": "approved.author@example.org",
        "website": "",
        "parent_id": None,
        "ip_address": "192.0.2.1",
        "user_agent": "test",
    }
    values.update(fields)
    with app.app_context():
        session = db.get_session()
        entry_id = services.submit_comment(session, post.slug, services.Submission(**values))
        services.set_status(session, [entry_id], Status.APPROVED, "approved in a test")
        session.commit()
        return session.get(Entry, entry_id)
