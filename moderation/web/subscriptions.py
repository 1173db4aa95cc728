"""The pages readers' mails link to (issue 14): confirm an address, and unsubscribe one.

The secret key in the link is the credential; no login. A GET never changes anything
(mail scanners fetch every link): it shows one button, whose POST does, from our own
page alone (security.guard_reader_forms: no session, no cookie). The unsubscribe POST
also takes a mail client's one-click POST (RFC 8058, body `List-Unsubscribe=One-Click`),
which comes from no page: that view alone is taken from anywhere.
No page names the address: who is subscribed is nobody else's business (issue 14).
"""

from flask import Blueprint, make_response, redirect, render_template, url_for

from moderation.infra import db
from moderation.rules import notifications
from moderation.services import subscriptions
from moderation.web import caching, security

bp = Blueprint("subscriptions", __name__, url_prefix="/mail")
security.guard_reader_forms(bp, except_views=("subscriptions.unsubscribe",))


@bp.get("/confirm/<key>")
def confirm_page(key: str):
    """Show whether this address is confirmed, with a button to confirm it if not."""
    subscriber = subscriptions.find(db.get_session(), key)
    if notifications.subscribed(subscriber.confirmed, subscriber.unsubscribed):
        return _page(
            "Address confirmed",
            "Thank you: this address will be mailed when your comments are published and "
            "when someone replies to them, for the comments where you ticked the box.",
        )
    return _confirm_form(key)


@bp.post("/confirm/<key>")
def confirm(key: str):
    """Confirm this address (the page's button)."""
    session = db.get_session()
    subscriptions.confirm(session, key)
    session.commit()
    return redirect(url_for("subscriptions.confirm_page", key=key), 303)


@bp.get("/unsubscribe/<key>")
def unsubscribe_page(key: str):
    """Show a button that unsubscribes this address."""
    subscriber = subscriptions.find(db.get_session(), key)
    if subscriber.unsubscribed is not None:
        return _unsubscribed()
    return _page(
        "Unsubscribe",
        "Press the button to stop all mail about comments to this address.",
        button="Unsubscribe",
        action=url_for("subscriptions.unsubscribe", key=key),
    )


@bp.post("/unsubscribe/<key>")
def unsubscribe(key: str):
    """Unsubscribe this address at once: the page's button, or a mail client's one-click
    POST (RFC 8058), which comes from no page (the key in the URL is the credential)."""
    session = db.get_session()
    subscriptions.unsubscribe(session, key)
    session.commit()
    return _unsubscribed()


def _confirm_form(key: str):
    return _page(
        "Confirm your address",
        "Someone, we hope you, asked to be mailed about their comments at this address. "
        "Press the button to confirm it. If it was not you, do nothing: we send nothing "
        "else to an address until it is confirmed.",
        button="Confirm",
        action=url_for("subscriptions.confirm", key=key),
    )


def _unsubscribed():
    return _page(
        "Unsubscribed",
        "This address is unsubscribed: it will get no more mail about comments. Ticking "
        "the box under a comment again would ask you to confirm it once more.",
    )


def _page(title: str, message: str, status: int = 200, **form):
    """A short page: no address on it, kept by no cache, and its secret URL sent as a
    Referer to our own pages alone (guard_reader_forms reads it when a POST has no
    Origin)."""
    response = make_response(
        render_template("public/subscription.html", title=title, message=message, **form),
        status,
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return caching.private(response)
