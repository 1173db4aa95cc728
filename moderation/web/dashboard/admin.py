"""Posts, the Discussion settings and the audit log."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from moderation.infra import db
from moderation.services import accounts, discussion
from moderation.services import posts as post_admin
from moderation.web.dashboard.common import ID, actor, admin_required, bp, checked, page_number
from moderation.web.dashboard.forms import ActionForm, PostSettingsForm, SettingsForm


@bp.get("/posts")
@login_required
def posts():
    """Posts with their counts, and whether they take comments and pings."""
    return render_template(
        "dashboard/posts.html", posts=post_admin.post_rows(db.get_session()), form=ActionForm()
    )


@bp.post(f"/posts/<{ID}:post_id>")
@login_required
def post_settings(post_id: int):
    """Open or close comments and pings on a post."""
    form = PostSettingsForm()
    checked(form)
    dbs = db.get_session()
    post = post_admin.set_post_open(
        dbs, actor(), post_id, form.comments_open.data, form.pings_open.data
    )
    dbs.commit()
    flash(f"Settings of “{post.title}” saved.")
    return redirect(url_for("dashboard.posts"), 303)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
@admin_required("Only administrators change the Discussion settings.")
def settings():
    """Administrators: the Discussion settings, what new entries get and how posts show them."""
    dbs = db.get_session()
    if request.method == "GET":
        form = SettingsForm(data=discussion.raw(dbs))
    else:
        form = SettingsForm()
        if form.validate():
            changes = discussion.save(dbs, actor(), form.values())
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
    number = page_number()
    events, more = accounts.audit_events(db.get_session(), number)
    return render_template("dashboard/audit.html", events=events, page=number, more=more)
