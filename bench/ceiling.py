"""The framework ceiling: the least a Flask + SQLAlchemy Core app can do for the same pages.

One SELECT per post page (the approved comments: id, author, body_html, created, in order)
rendered with a minimal Jinja template compiled once; one INSERT per comment POST,
answered with a 303; one SELECT per thread JSON (GET /api/v1/thread?url=<page>, the
API's path): the first BENCH_PER_PAGE approved top-level comments of the post at that URL,
oldest first, with all their approved replies, the entries the API's first page holds,
dumped as plain JSON with the API's fields (stand-ins where the API computes one: the
avatar's address, the envelope's count and form), so that both answers are of a size;
and an empty 304 at /not-modified, answered before Flask: the least any app on the
same server answers. No forms, sanitising, threading, avatars, ETags or cookies:
whatever the real app spends beyond this is its own cost.
Served by bench/run.py as `gunicorn --chdir bench ceiling:app`, on a copy of the
benchmark database (DATABASE_URL).

The SQLite connection settings mirror moderation.db.make_engine (WAL, synchronous=NORMAL,
busy timeout) so the two apps pay the same price per read and per commit.
"""

import json
import os
from datetime import UTC, datetime

from flask import Flask, Response, redirect, request
from markupsafe import escape
from sqlalchemy import create_engine, event, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], connect_args={"timeout": 10})


@event.listens_for(engine, "connect")
def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


COMMENTS = text(
    "SELECT e.id, e.author, e.body_html, e.created FROM entries AS e"
    " JOIN posts AS p ON p.id = e.post_id"
    " WHERE p.slug = :slug AND e.status = 'approved'"
    " ORDER BY e.created"
)
THREAD = text(
    "WITH RECURSIVE page(id) AS ("
    " SELECT id FROM (SELECT e.id FROM entries AS e"
    " JOIN posts AS p ON p.id = e.post_id"
    " WHERE p.url = :url AND e.status = 'approved' AND e.parent_id IS NULL"
    " ORDER BY e.created, e.id LIMIT :per_page)"
    " UNION ALL"
    " SELECT e.id FROM entries AS e JOIN page ON e.parent_id = page.id"
    " WHERE e.status = 'approved')"
    " SELECT e.id, e.author, e.body_html, e.created, e.parent_id, e.type, e.mention_kind,"
    " e.website, e.source_url FROM entries AS e"
    " JOIN page ON page.id = e.id ORDER BY e.created, e.id"
)
PER_PAGE = int(os.environ.get("BENCH_PER_PAGE", "50"))  # the Discussion comments_per_page
INSERT = text(
    "INSERT INTO entries (post_id, type, status, reason, author, email, website, body,"
    " body_html, ip_address, user_agent, created, updated)"
    " SELECT id, 'comment', 'pending', 'held for a moderator', :author, :email, :website,"
    " :body, :body_html, :ip, :ua, :now, :now FROM posts WHERE slug = :slug"
)
PAGE = app.jinja_env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ slug }}</title></head>
<body><ol>
{% for row in rows %}<li id="comment-{{ row.id }}"><b>{{ row.author }}</b> <time>{{ row.created }}</time><div>{{ row.body_html|safe }}</div></li>
{% endfor %}</ol></body></html>
"""  # noqa: E501
)


@app.get("/posts/<slug>/")
def post(slug: str) -> str:
    with engine.connect() as connection:
        rows = connection.execute(COMMENTS, {"slug": slug}).all()
    return PAGE.render(slug=slug, rows=rows)


@app.get("/api/v1/thread")
def thread() -> Response:
    with engine.connect() as connection:
        rows = connection.execute(
            THREAD, {"url": request.args.get("url", ""), "per_page": PER_PAGE}
        ).all()
    url = request.args.get("url", "")
    entries = [
        {
            "id": id_,
            "type": type_,
            "kind": kind,
            "label": None,
            "author": author,
            "website": website,
            "avatar": f"{request.host_url}avatars/{id_:x}-{len(author)}.svg",
            "photo": None,
            "html": html,
            "created": created,
            "pending": False,
            "by_moderator": False,
            "replyable": True,
            "source": source,
            "parent": parent,
            "replies": [],
        }
        for id_, author, html, created, parent, type_, kind, website, source in rows
    ]
    body = {
        "url": url,
        "title": url,
        "count": len(entries),
        "open": True,
        "page": 1,
        "pages": 1,
        "entries": entries,
        "reactions": [],
        "form": {"stamp": "", "thread_depth": 5, "limits": {}},
        "feed": f"{request.host_url}feeds/thread.atom?url={url}",
    }
    return Response(json.dumps(body), mimetype="application/json")


def _server_floor(flask_app):
    """The server's floor, before Flask: an empty 304 at /not-modified, the least any app
    on this server (gunicorn, sync workers) answers."""

    def answer(environ, start_response):
        if environ["PATH_INFO"] == "/not-modified":
            start_response("304 NOT MODIFIED", [])
            return []
        return flask_app(environ, start_response)

    return answer


app.wsgi_app = _server_floor(app.wsgi_app)


@app.post("/posts/<slug>/comments")
def submit_comment(slug: str) -> Response:
    form = request.form
    body = form.get("comment", "")
    with engine.begin() as connection:
        result = connection.execute(
            INSERT,
            {
                "slug": slug,
                "author": form.get("name", ""),
                "email": form.get("email", ""),
                "website": form.get("website", ""),
                "body": body,
                "body_html": str(escape(body)),
                "ip": request.remote_addr or "",
                "ua": request.user_agent.string[:512],
                "now": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            },
        )
    return redirect(f"/posts/{slug}/#comment-{result.lastrowid}", 303)
