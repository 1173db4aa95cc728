"""A reader's comment taken in, whichever form it came from: the post page's, the embed
frame's or the JSON API's. One path for all three: the form's checks, the signed stamp
and its age, COMMENT_RATE_LIMIT, the flood rule (SPEC §2, COMMENT_FLOOD_SECONDS), then
the comment service; and the cookies that let its author see it while it is pending.

The clock is this module's `time` (the tests move it).
"""

import time
from collections.abc import Callable

from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError

from moderation.infra import db, ratelimit
from moderation.rules import errors
from moderation.services import comments, places
from moderation.web import cookies
from moderation.web.forms import CommentForm, form_stamp


def take_comment(
    form: CommentForm,
    stamped_for: str,
    thread_slug: Callable[[], str],
    again: Callable[..., Response],
    exempt: Callable[[], bool],
) -> Response | places.Place:
    """Screen a reader's comment (the post page's form, the embed frame's or the API's) and store it
    with the status the Discussion rules give: its place, committed; or the form again,
    `again(status, notice="")`, saying why not.

    `stamped_for` is the thread the form's stamp must have been made for (shown_stamp);
    `thread_slug` names the post once the form has passed its checks (the frame's first
    comment creates its thread then, and a refusal leaves no thread: nothing is committed);
    `exempt` tells whether the sender is spared the flood rule and the rate limit.
    """
    if not form.validate():
        return again(400)
    config = current_app.config
    submission = form.submission(request, config["SECRET_KEY"], time.time(), stamped_for)
    age = submission.facts.seconds_on_form
    if age is None or age > config["COMMENT_FORM_MAX_SECONDS"]:
        return again(400, "This form is too old to be sent. Please check it and send it again.")
    spared = exempt()
    if not spared and _over_rate_limit():
        return again(429, "You are posting comments too quickly. Slow down.")
    flood_seconds = 0 if spared else config["COMMENT_FLOOD_SECONDS"]
    try:
        return _store(form, thread_slug, again, submission, flood_seconds)
    except IntegrityError:
        # Two first comments on one page at once: the other request made the thread first,
        # and nothing of this one was kept. Send it again, to that thread.
        db.get_session().rollback()
        return _store(form, thread_slug, again, submission, flood_seconds)


def _store(
    form: CommentForm,
    thread_slug: Callable[[], str],
    again: Callable[..., Response],
    submission: comments.Submission,
    flood_seconds: int,
) -> Response | places.Place:
    """Hand the comment to the service and commit; or the form again, saying why not."""
    session = db.get_session()
    min_seconds = current_app.config["COMMENT_FORM_MIN_SECONDS"]
    try:
        stored = comments.submit_comment(
            session, thread_slug(), submission, flood_seconds, min_seconds
        )
    except errors.Refused as refused:
        form[refused.field if refused.field in form else "comment"].errors = [refused.message]
        return again(400)
    except (errors.Closed, errors.Duplicate, errors.Flooding) as refused:
        return again(REFUSAL_STATUS[type(refused)], refused.message)
    session.commit()
    return stored


def remember_author(
    response: Response, form: CommentForm, entry_id: int, partitioned: bool = False
) -> None:
    """Let the author alone see their new entry while it is pending, and keep or forget
    their details as they chose (`partitioned`: cookies for another site's frame, see
    cookies.py)."""
    cookies.remember_own_entry(response, entry_id, partitioned)
    if form.remember.data:
        cookies.remember_commenter(
            response, form.name.data, form.email.data, form.website.data, partitioned
        )
    else:
        cookies.forget_commenter(response, partitioned)


REFUSAL_STATUS = {errors.Closed: 403, errors.Duplicate: 409, errors.Flooding: 429}


def _over_rate_limit() -> bool:
    """Count this post of the form against COMMENT_RATE_LIMIT for the client's IP."""
    limit = current_app.config["COMMENT_RATE_LIMIT"]
    return not ratelimit.admit(limit, ("comment", request.remote_addr or ""))


def shown_stamp(thread: str) -> str:
    """A comment form's `shown` stamp for now, on `thread` (forms.form_stamp; tests move
    this module's clock, `time`)."""
    return form_stamp(current_app.config["SECRET_KEY"], time.time(), thread)


def stamp_era() -> int:
    """Which stretch of time a kept form stamp belongs to: a quarter of
    COMMENT_FORM_MAX_SECONDS. A shared read that carries a stamp (the embed frame, the
    API's thread) puts it in its ETag, so a copy kept by a cache or revalidated with a 304
    is never too old to be sent."""
    era = max(int(current_app.config["COMMENT_FORM_MAX_SECONDS"]) // 4, 1)
    return int(time.time()) // era
