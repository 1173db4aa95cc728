"""One's own account: the address moderators' mail goes to, and which mail (issue 14)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from moderation.infra import address, db
from moderation.rules import errors
from moderation.rules.statuses import MailNotices
from moderation.services import mail, notices
from moderation.web.dashboard.common import actor, bp
from moderation.web.dashboard.forms import AccountForm


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Choose one's address and one's notices: every waiting entry, a daily digest, or none."""
    moderator = current_user._get_current_object()
    if request.method == "GET":
        form = AccountForm(data={"email": moderator.email, "notices": moderator.mail_notices.value})
        return _page(form)
    form = AccountForm()
    if not form.validate():
        return _page(form), 400
    dbs = db.get_session()
    try:
        changed = notices.choose(
            dbs, actor(), moderator, form.email.data or "", MailNotices(form.notices.data)
        )
    except errors.Refused as refused:
        form.email.errors.append(refused.message)
        return _page(form), 400
    dbs.commit()
    flash("Account saved." if changed else "Nothing changed.")
    return redirect(url_for("dashboard.account"), 303)


def _page(form: AccountForm) -> str:
    return render_template(
        "dashboard/account.html",
        form=form,
        mail_configured=mail.configured(),
        links=address.known(),
        digest_hour=current_app.config["MAIL_DIGEST_HOUR"],
    )
