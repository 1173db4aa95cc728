"""The dashboard's blueprint, its login manager, and what its views share."""

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, flash, jsonify, redirect, request, url_for
from flask_login import LoginManager, current_user

from moderation.infra import db
from moderation.rules.limits import MAX_ID
from moderation.rules.statuses import Status
from moderation.services import accounts, queue
from moderation.web.dashboard.forms import ActionForm

bp = Blueprint("dashboard", __name__, url_prefix="/moderation")
login_manager = LoginManager()
login_manager.login_view = "dashboard.login"
login_manager.login_message = "Please log in to moderate."

# An id in a path: a larger one is no row (404), not a database error on PostgreSQL.
ID = f"int(max={MAX_ID})"


@login_manager.user_loader
def _load_moderator(session_id: str):
    return accounts.load_moderator(db.get_session(), session_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


def admin_required(message: str) -> Callable[[Callable], Callable]:
    """Let administrators alone through to the view; anyone else gets 403 with `message`.

    Goes under @login_required, so a visitor who is not logged in is sent to log in first.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def admin_view(*args, **kwargs):
            if not current_user.is_admin:
                abort(403, message)
            return view(*args, **kwargs)

        return admin_view

    return decorate


def actor() -> accounts.Actor:
    return accounts.Actor(current_user.id, current_user.username, request.remote_addr or "")


def back() -> str:
    """Where an action returns to: the queue view it came from (same tab, filters, page)."""
    target = request.form.get("next", "")
    # A path of ours only, and one that fits in a header: a CR or LF in it would
    # fail the redirect after the action had been committed.
    if target.startswith("/moderation/") and target.isprintable():
        return target
    return url_for("dashboard.queue_view")


def checked(form: ActionForm) -> None:
    if not form.validate():
        abort(400, "The form had expired. Please go back, reload and try again.")


def done(message: str, status: Status | None = None, code: int = 200):
    """Answer an action: JSON for the page's script, else a redirect back and a message."""
    if request.accept_mimetypes.best == "application/json":
        counts = queue.status_counts(db.get_session())
        return jsonify(message=message, status=status.value if status else None, counts=counts), (
            code
        )
    flash(message)
    return redirect(back(), 303)


def refuse(message: str):
    """Answer an action that was not carried out (JSON clients get a 400)."""
    return done(message, code=400)


MAX_PAGE_DIGITS = 6  # a million pages; int() of thousands of digits raises


def page_number() -> int:
    """The ?page= of a listing: a whole number from 1, anything else is page 1."""
    page = request.args.get("page", "1")
    if page.isascii() and page.isdigit() and len(page) <= MAX_PAGE_DIGITS and int(page) > 0:
        return int(page)
    return 1
