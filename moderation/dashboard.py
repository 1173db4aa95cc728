"""The moderators' dashboard at /moderation/: login, the queue and every action on it."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from . import accounts, db, discussion, moderating, ratelimit, services
from .forms import (
    ActionForm,
    EditForm,
    LoginForm,
    PasswordForm,
    PostSettingsForm,
    ReplyForm,
    SettingsForm,
    entry_id,
)
from .models import MAX_ID, EntryType, Status

bp = Blueprint("dashboard", __name__, url_prefix="/moderation")
login_manager = LoginManager()
login_manager.login_view = "dashboard.login"
login_manager.login_message = "Please log in to moderate."

# An id in a path: a larger one is no row (404), not a database error on PostgreSQL.
ID = f"int(max={MAX_ID})"
TOO_MANY_LOGINS = "Too many failed logins. Please wait a minute and try again."
WRONG_LOGIN = "Unknown username or wrong password."


@login_manager.user_loader
def _load_moderator(session_id: str):
    return accounts.load_moderator(db.get_session(), session_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


def _actor() -> accounts.Actor:
    return accounts.Actor(current_user.id, current_user.username, request.remote_addr or "")


def _back() -> str:
    """Where an action returns to: the queue view it came from (same tab, filters, page)."""
    target = request.form.get("next", "")
    # A path of ours only, and one that fits in a header: a CR or LF in it would
    # fail the redirect after the action had been committed.
    if target.startswith("/moderation/") and target.isprintable():
        return target
    return url_for("dashboard.queue_view")


def _checked(form: ActionForm) -> None:
    if not form.validate():
        abort(400, "The form had expired. Please go back, reload and try again.")


def _done(message: str, status: Status | None = None, code: int = 200):
    """Answer an action: JSON for the page's script, else a redirect back and a message."""
    if request.accept_mimetypes.best == "application/json":
        counts = moderating.status_counts(db.get_session())
        return jsonify(message=message, status=status.value if status else None, counts=counts), (
            code
        )
    flash(message)
    return redirect(_back(), 303)


def _refused(message: str):
    """Answer an action that was not carried out (JSON clients get a 400)."""
    return _done(message, code=400)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a moderator in; failed logins are limited per IP and per username."""
    form = LoginForm()
    if request.method == "GET" or not form.validate():
        return render_template("dashboard/login.html", form=form), (
            200 if request.method == "GET" else 400
        )
    if _password_guesses_used_up(form.username.data):
        return render_template("dashboard/login.html", form=form, error=TOO_MANY_LOGINS), 429
    dbs = db.get_session()
    moderator = accounts.log_in(
        dbs, form.username.data, form.password.data, request.remote_addr or ""
    )
    dbs.commit()
    if moderator is None:
        if _count_wrong_password(form.username.data):
            return render_template("dashboard/login.html", form=form, error=TOO_MANY_LOGINS), 429
        return render_template("dashboard/login.html", form=form, error=WRONG_LOGIN), 401
    session.clear()  # a fresh session (and CSRF token) for the logged-in moderator
    login_user(moderator)
    return redirect(url_for("dashboard.queue_view"), 303)


def _password_keys(username: str) -> tuple[str, str]:
    return f"ip:{request.remote_addr}", f"user:{username.lower()}"


def _password_guesses_used_up(username: str) -> bool:
    """LOGIN_RATE_LIMIT: wrong passwords, per IP and per username, at login and on the
    password page alike."""
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    return ratelimit.over_limit(limit, "login-failure", *_password_keys(username))


def _count_wrong_password(username: str) -> bool:
    """Count a wrong password; True when it used up the limit."""
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    return ratelimit.hit(limit, "login-failure", *_password_keys(username))


@bp.post("/logout")
@login_required
def logout():
    """Log out (a POST with a token, so no other site can log anyone out)."""
    _checked(ActionForm())
    dbs = db.get_session()
    accounts.record(dbs, _actor(), "logout")
    accounts.close_login(dbs, current_user)
    dbs.commit()
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"), 303)


def _page_number() -> int:
    """The ?page= of a listing: a whole number from 1, anything else is page 1."""
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1


def _queue_filter() -> moderating.QueueFilter:
    args = request.args
    tab = args.get("status", "all")
    entry_type = args.get("type", "")
    rule = args.get("rule", "")
    return moderating.QueueFilter(
        tab=tab if tab in moderating.TABS else "all",
        entry_type=EntryType(entry_type) if entry_type in set(EntryType) else None,
        post_id=entry_id(args.get("post")),
        # PostgreSQL text holds no NUL: such a search could match nothing anyway.
        search=args.get("q", "").replace("\x00", "").strip()[:200],
        rule=rule if rule in moderating.RULES else "",
        page=_page_number(),
    )


def _queue_params(wanted: moderating.QueueFilter, **changes: str) -> dict[str, object]:
    """The query string of a queue view, in one order, without empty values."""
    fields = {
        "status": wanted.tab,
        "type": wanted.entry_type.value if wanted.entry_type else "",
        "post": wanted.post_id or "",
        "rule": wanted.rule,
        "q": wanted.search,
        **changes,
    }
    return {key: value for key, value in fields.items() if value and value != "all"}


@bp.get("/")
@login_required
def queue_view():
    """The queue: status tabs with counts, filters (type, post, rule), search, 50 a page."""
    wanted = _queue_filter()
    dbs = db.get_session()
    page = moderating.queue_page(dbs, wanted)
    params = _queue_params(wanted)
    queue_url = url_for("dashboard.queue_view")
    return render_template(
        "dashboard/queue.html",
        wanted=wanted,
        page=page,
        counts=moderating.status_counts(dbs),
        posts=moderating.post_choices(dbs),
        tabs=moderating.TABS,
        types=list(EntryType),
        rules=[(rule, moderating.RULE_LABELS.get(rule, rule)) for rule in moderating.RULES],
        blockable=moderating.BLOCKABLE,
        params=params,
        here=request.full_path.rstrip("?"),
        page_url=lambda number: queue_url + "?" + urlencode({**params, "page": number}),
        rule_url=lambda rule: queue_url + "?" + urlencode(_queue_params(wanted, rule=rule)),
        form=ActionForm(),
    )


@bp.post(f"/entries/<{ID}:entry_id>/<action>")
@login_required
def act(entry_id: int, action: str):
    """Approve, unapprove, spam, not spam, trash, restore or delete one entry."""
    _checked(ActionForm())
    chosen = _action(action)
    dbs = db.get_session()
    moved = moderating.moderate(dbs, _actor(), [entry_id], chosen)
    dbs.commit()
    return _done(_moved_message(chosen, moved), moderating.ACTIONS[chosen][1])


@bp.post(f"/entries/<{ID}:entry_id>/block")
@login_required
def block(entry_id: int):
    """Mark an entry spam and add its email, IP address or website host to the disallowed words.

    One transaction (issue 6: spam from a moderator's hand teaches the rules).
    """
    _checked(ActionForm())
    dbs = db.get_session()
    try:
        moved, added, present = moderating.spam_and_block(
            dbs, _actor(), entry_id, request.form.getlist("block")
        )
    except services.Refused as refused:
        return _refused(refused.message)
    dbs.commit()
    said = [_moved_message(moderating.Action.SPAM, moved) if moved else "Already spam."]
    if added:
        said.append("Added to the disallowed words: " + ", ".join(added) + ".")
    if present:
        said.append("Already disallowed: " + ", ".join(present) + ".")
    return _done(" ".join(said), Status.SPAM)


@bp.post("/entries")
@login_required
def bulk():
    """Apply one action to every checked entry, in one statement."""
    _checked(ActionForm())
    chosen = _action(request.form.get("action", ""))
    ids = [value for value in map(entry_id, request.form.getlist("ids")) if value is not None]
    if not ids:
        return _refused("Tick at least one entry first.")
    dbs = db.get_session()
    moved = moderating.moderate(dbs, _actor(), ids, chosen)
    dbs.commit()
    return _done(_moved_message(chosen, moved), moderating.ACTIONS[chosen][1])


def _action(value: str) -> moderating.Action:
    try:
        return moderating.Action(value)
    except ValueError:
        abort(400, "There is no such action.")


def _moved_message(action: moderating.Action, count: int) -> str:
    noun = "entry" if count == 1 else "entries"
    done = {
        moderating.Action.APPROVE: "approved",
        moderating.Action.UNAPPROVE: "unapproved",
        moderating.Action.SPAM: "marked as spam",
        moderating.Action.NOT_SPAM: "restored from spam",
        moderating.Action.TRASH: "moved to the trash",
        moderating.Action.RESTORE: "restored from the trash",
        moderating.Action.DELETE: "deleted permanently",
    }[action]
    return f"{count} {noun} {done}."


@bp.post("/empty/<status>")
@login_required
def empty(status: str):
    """Delete everything in spam, or in the trash, for good."""
    _checked(ActionForm())
    if status not in ("spam", "trash"):
        abort(404)
    dbs = db.get_session()
    count = moderating.empty(dbs, _actor(), Status(status))
    dbs.commit()
    return _done(f"{count} {'entry' if count == 1 else 'entries'} deleted permanently.")


@bp.route(f"/entries/<{ID}:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    """Edit an entry's text, name, email and website."""
    dbs = db.get_session()
    entry = moderating.get_entry(dbs, entry_id)
    form = EditForm()
    if request.method == "GET":
        form.comment.data, form.name.data = entry.body, entry.author
        form.email.data, form.website.data = entry.email, entry.website
    elif form.validate():
        try:
            moderating.edit_entry(
                dbs,
                _actor(),
                entry_id,
                form.comment.data,
                form.name.data,
                form.email.data or "",
                form.website.data or "",
            )
        except services.Refused as refused:
            form.comment.errors = [refused.message]
        else:
            dbs.commit()
            flash("Entry saved.")
            return redirect(_back(), 303)
    status = 200 if request.method == "GET" else 400
    return render_template("dashboard/edit.html", form=form, entry=entry), status


@bp.post(f"/entries/<{ID}:entry_id>/reply")
@login_required
def reply(entry_id: int):
    """Reply as a moderator: approved at once, threaded under the entry."""
    form = ReplyForm()
    if not form.validate():
        return _refused(
            " ".join(form.comment.errors or ["The form had expired. Please try again."])
        )
    dbs = db.get_session()
    try:
        moderating.reply(dbs, _actor(), entry_id, form.comment.data)
    except services.Refused as refused:
        return _refused(refused.message)
    dbs.commit()
    return _done("Reply published.", Status.APPROVED)


@bp.get("/posts")
@login_required
def posts():
    """Posts with their counts, and whether they take comments and pings."""
    return render_template(
        "dashboard/posts.html", posts=moderating.post_rows(db.get_session()), form=ActionForm()
    )


@bp.post(f"/posts/<{ID}:post_id>")
@login_required
def post_settings(post_id: int):
    """Open or close comments and pings on a post."""
    form = PostSettingsForm()
    _checked(form)
    dbs = db.get_session()
    post = moderating.set_post_open(
        dbs, _actor(), post_id, form.comments_open.data, form.pings_open.data
    )
    dbs.commit()
    flash(f"Settings of “{post.title}” saved.")
    return redirect(url_for("dashboard.posts"), 303)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Administrators: the Discussion settings, what new entries get and how posts show them."""
    if not current_user.is_admin:
        abort(403, "Only administrators change the Discussion settings.")
    dbs = db.get_session()
    if request.method == "GET":
        form = SettingsForm(data=discussion.raw(dbs))
    else:
        form = SettingsForm()
        if form.validate():
            changes = discussion.save(dbs, _actor(), form.values())
            dbs.commit()
            flash("Settings saved." if changes else "Nothing changed.")
            return redirect(url_for("dashboard.settings"), 303)
    status = 200 if request.method == "GET" else 400
    return render_template(
        "dashboard/settings.html", form=form, ranges=_SETTING_RANGES, word_limits=_WORD_LIMITS
    ), status


_SETTING_RANGES = {
    "max_links": discussion.MAX_LINKS_RANGE,
    "close_after_days": discussion.CLOSE_AFTER_DAYS_RANGE,
    "thread_depth": discussion.THREAD_DEPTH_RANGE,
    "comments_per_page": discussion.COMMENTS_PER_PAGE_RANGE,
}
_WORD_LIMITS = {
    "lines": discussion.WORDS_MAX_LINES,
    "chars": discussion.WORDS_MAX_CHARS,
    "line_chars": discussion.WORD_MAX_CHARS,
}


@bp.get("/audit")
@login_required
def audit():
    """Who did what, when, from where."""
    number = _page_number()
    events, more = moderating.audit_events(db.get_session(), number)
    return render_template("dashboard/audit.html", events=events, page=number, more=more)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordForm()
    if request.method == "POST" and form.validate():
        dbs = db.get_session()
        if _password_guesses_used_up(current_user.username):
            form.current.errors = [TOO_MANY_LOGINS]
            return render_template("dashboard/password.html", form=form), 429
        moderator = accounts.authenticate(dbs, current_user.username, form.current.data)
        if moderator is None:
            _count_wrong_password(current_user.username)
            form.current.errors = ["That is not your current password."]
        else:
            try:
                accounts.change_password(dbs, moderator, form.new.data)
            except services.Refused as refused:
                form.new.errors = [refused.message]
            else:
                accounts.record(dbs, _actor(), "password-changed")
                accounts.open_login(dbs, moderator)  # this session carries on
                dbs.commit()
                login_user(moderator)
                flash("Password changed.")
                return redirect(url_for("dashboard.queue_view"), 303)
    status = 200 if request.method == "GET" else 400
    return render_template("dashboard/password.html", form=form), status


@bp.get("/moderators")
@login_required
def moderators():
    """Administrators: the accounts, and who may log in."""
    if not current_user.is_admin:
        abort(403, "Only administrators manage accounts.")
    return render_template(
        "dashboard/moderators.html",
        moderators=accounts.all_moderators(db.get_session()),
        form=ActionForm(),
    )


@bp.post("/moderators/<username>")
@login_required
def moderator_access(username: str):
    """Administrators: disable an account (its sessions end at once) or enable it again."""
    if not current_user.is_admin:
        abort(403, "Only administrators manage accounts.")
    _checked(ActionForm())
    disable = request.form.get("disabled") == "1"
    if disable and username.lower() == current_user.username.lower():
        abort(400, "You cannot disable your own account.")
    dbs = db.get_session()
    try:
        moderator = accounts.set_disabled(dbs, username, disable)
    except services.NotFound:
        abort(404)
    accounts.record(dbs, _actor(), "disable" if disable else "enable", (), moderator.username)
    dbs.commit()
    flash(f"{moderator.username} {'disabled' if disable else 'enabled'}.")
    return redirect(url_for("dashboard.moderators"), 303)
