"""Logging in and out, one's password, and the accounts (administrators)."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from moderation.infra import db, ratelimit
from moderation.rules import errors
from moderation.services import accounts
from moderation.web.dashboard.common import actor, admin_required, bp, checked
from moderation.web.dashboard.forms import ActionForm, LoginForm, PasswordForm

TOO_MANY_LOGINS = "Too many failed logins. Please wait a minute and try again."
WRONG_LOGIN = "Unknown username or wrong password."
ADMINISTRATORS_ONLY = "Only administrators manage accounts."


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
    checked(ActionForm())
    dbs = db.get_session()
    accounts.record(dbs, actor(), "logout")
    accounts.close_login(dbs, current_user)
    dbs.commit()
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"), 303)


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
            except errors.Refused as refused:
                form.new.errors = [refused.message]
            else:
                accounts.record(dbs, actor(), "password-changed")
                accounts.open_login(dbs, moderator)  # this session carries on
                dbs.commit()
                login_user(moderator)
                flash("Password changed.")
                return redirect(url_for("dashboard.queue_view"), 303)
    status = 200 if request.method == "GET" else 400
    return render_template("dashboard/password.html", form=form), status


@bp.get("/moderators")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def moderators():
    """Administrators: the accounts, and who may log in."""
    return render_template(
        "dashboard/moderators.html",
        moderators=accounts.all_moderators(db.get_session()),
        form=ActionForm(),
    )


@bp.post("/moderators/<username>")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def moderator_access(username: str):
    """Administrators: disable an account (its sessions end at once) or enable it again."""
    checked(ActionForm())
    disable = request.form.get("disabled") == "1"
    if disable and username.lower() == current_user.username.lower():
        abort(400, "You cannot disable your own account.")
    dbs = db.get_session()
    try:
        moderator = accounts.set_disabled(dbs, username, disable)
    except errors.NotFound:
        abort(404)
    accounts.record(dbs, actor(), "disable" if disable else "enable", (), moderator.username)
    dbs.commit()
    flash(f"{moderator.username} {'disabled' if disable else 'enabled'}.")
    return redirect(url_for("dashboard.moderators"), 303)
