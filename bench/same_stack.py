"""The same-stack ceiling: what any comment POST on our stack must do, and no more.

GET /posts/<slug>/ shows the form (its CSRF token in the session cookie, as Flask-WTF
keeps it); POST /posts/<slug>/comments checks the CSRF token, validates a WTForms form of
the four fields (comment, name and email required; the UTF-8 byte limits of
moderation.rules.limits; email_validator through WTForms' Email), sanitises the comment
in one bleach Cleaner pass with LinkifyFilter and our allowlist (moderation.rules.sanitize's
tags, attributes, protocols and link rel), looks the post up, INSERTs the entry through
the ORM (our Entry model, on our engine settings) and commits, then answers 303.

No rules, duplicate check, flood rule, rate limit, form stamp, thread cache, counts,
notices or cookies of the reader's own: whatever the real app spends beyond this is
its own cost (issue 16: our POST should reach 0.9x of this). Served by bench/run.py as
`gunicorn --chdir bench same_stack:app`, on a copy of the benchmark database
(DATABASE_URL, SECRET_KEY).
"""

import os
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from flask import Flask, abort, redirect, render_template_string
from flask_wtf import CSRFProtect, FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.wrappers import Response
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, StopValidation

from moderation.infra import db
from moderation.infra.models import Entry, Post
from moderation.rules import sanitize
from moderation.rules.limits import (
    COMMENT_MAX_BYTES,
    EMAIL_MAX_BYTES,
    NAME_MAX_BYTES,
    WEBSITE_MAX_BYTES,
)
from moderation.rules.statuses import EntryType, Status

app = Flask(__name__)
app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], WTF_CSRF_TIME_LIMIT=None)
CSRFProtect(app)
engine = db.make_engine(os.environ["DATABASE_URL"])
Session = sessionmaker(engine, expire_on_commit=False)


def max_bytes(limit: int):
    """The field's UTF-8 size within `limit` bytes."""

    def check(_form, field) -> None:
        if len((field.data or "").encode()) > limit:
            raise StopValidation(f"At most {limit:,} bytes.")

    return check


class CommentForm(FlaskForm):
    comment = TextAreaField(validators=[DataRequired(), max_bytes(COMMENT_MAX_BYTES)])
    name = StringField(validators=[DataRequired(), max_bytes(NAME_MAX_BYTES)])
    email = EmailField(validators=[DataRequired(), max_bytes(EMAIL_MAX_BYTES), Email()])
    website = StringField(validators=[max_bytes(WEBSITE_MAX_BYTES)])


def _rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = sanitize.LINK_REL
    return attrs


# One Cleaner per process: gunicorn's sync workers serve one request at a time.
CLEANER = bleach.Cleaner(
    tags=sanitize.COMMENT_TAGS,
    attributes=sanitize.COMMENT_ATTRIBUTES,
    protocols=sanitize.PROTOCOLS,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_rel], skip_tags={"code"})],
)
PAGE = """<!doctype html><title>{{ slug }}</title>
<form class="comment-form" method="post" action="/posts/{{ slug }}/comments">
{{ form.csrf_token }}{{ form.comment }}{{ form.name }}{{ form.email }}{{ form.website }}
<button>Post Comment</button></form>{% for field in form.errors %}<p>{{ field }}</p>{% endfor %}
"""


@app.get("/posts/<slug>/")
def post(slug: str) -> str:
    return render_template_string(PAGE, slug=slug, form=CommentForm())


@app.post("/posts/<slug>/comments")
def submit_comment(slug: str) -> Response | tuple[str, int]:
    form = CommentForm()
    if not form.validate():
        return render_template_string(PAGE, slug=slug, form=form), 400
    with Session() as session:
        post_id = session.scalar(select(Post.id).where(Post.slug == slug))
        if post_id is None:
            abort(404)
        entry = Entry(
            post_id=post_id,
            type=EntryType.COMMENT,
            status=Status.PENDING,
            reason="held for a moderator",
            author=form.name.data,
            email=form.email.data,
            website=form.website.data or "",
            body=form.comment.data,
            body_html=CLEANER.clean(sanitize.paragraphs(form.comment.data)),
        )
        session.add(entry)
        session.commit()
        return redirect(f"/posts/{slug}/#comment-{entry.id}", 303)
