"""Rows written in SQL, as any revision's schema takes them (the models are the head's)."""

from sqlalchemy import text

from moderation.infra.models import utcnow

_POST = text(
    "INSERT INTO posts (slug, title, body, body_html, url, comments_open, pings_open, created)"
    " VALUES ('a-post', 'A post', '', '', :url, true, true, :now)"
)


def add_post(connection, url: str | None = None) -> None:
    """The post "a-post", open; at `url` (a registered site's page) when given."""
    connection.execute(_POST, {"url": url, "now": utcnow()})
