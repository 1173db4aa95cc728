"""The pages the Approve, Spam and Trash links of moderators' mail open (issue 14).

The token in the link is the credential: no login is needed. A GET never changes
anything (mail scanners fetch every link): it shows the entry and one button, whose
POST (with its CSRF token) acts, as the link's moderator. A link that cannot be used
gets a page that says why, with a 4xx status. These pages can be opened by whoever
holds the link, so they show the entry's author and text, never its email or IP address.
"""

from flask import Blueprint, make_response, render_template, request
from flask_wtf.csrf import CSRFError

from moderation.infra import db
from moderation.services import mail_actions
from moderation.services.mail_links import BUTTONS
from moderation.web import caching
from moderation.web.dashboard.common import bp

# Under the dashboard's blueprint (/moderation/mail/action/<token>), with an error
# handler of its own for an expired CSRF token.
mail_bp = Blueprint("mail_actions", __name__, url_prefix="/mail/action")
bp.register_blueprint(mail_bp)

REFUSED = {
    mail_actions.InvalidLink: (400, "Link not valid"),
    mail_actions.RevokedLink: (403, "Link no longer valid"),
    mail_actions.EntryGone: (404, "Entry gone"),
    mail_actions.ModeratedMeanwhile: (409, "Moderated meanwhile"),
    mail_actions.ExpiredLink: (410, "Link expired"),
    mail_actions.UsedLink: (410, "Link already used"),
}
EXPIRED_FORM = "This page had expired. Please press the button again."


@mail_bp.get("/<token>")
def confirm_page(token: str):
    """Show the entry and the one button that does what the link says."""
    return _confirm(token)


@mail_bp.post("/<token>")
def act(token: str):
    """Carry out the link's action as its moderator: the page's button, token included."""
    session = db.get_session()
    try:
        usable, moved = mail_actions.use(session, token, request.remote_addr or "")
    except mail_actions.LinkRefused as refused:
        return _refused(refused)
    session.commit()
    return _page(200, usable=usable, done=True, moved=moved)


@mail_bp.errorhandler(CSRFError)
def expired_form(error: CSRFError):
    """The button's CSRF token had expired, or the cookie that holds it was gone: the
    page again, with a fresh token, saying so."""
    return _confirm(request.view_args["token"], notice=EXPIRED_FORM, status=400)


def _confirm(token: str, notice: str = "", status: int = 200):
    try:
        usable = mail_actions.check(db.get_session(), token)
    except mail_actions.LinkRefused as refused:
        return _refused(refused)
    return _page(status, usable=usable, token=token, notice=notice)


def _refused(refused: mail_actions.LinkRefused):
    status, title = REFUSED[type(refused)]
    meanwhile = refused if isinstance(refused, mail_actions.ModeratedMeanwhile) else None
    return _page(status, refused=refused, title=title, meanwhile=meanwhile)


def _page(status: int, **context):
    """The page, kept by no cache, and its secret URL sent as a Referer to our own pages
    alone (the CSRF check over https wants one)."""
    response = make_response(
        render_template("dashboard/mail_action.html", buttons=BUTTONS, **context), status
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return caching.private(response)
