"""The readers' "Your data" page (issue 15): give an address, get a link by mail, and
through it see, download or erase what we hold on that address.

The form answers the same whether or not the address is known, so it is no oracle, and
it is rate-limited (DATA_REQUEST_RATE_LIMIT) per IP and per address, the address
counted by a keyed digest: limiter keys may be stored or logged, the address must not.
No page, URL or header names the address; the mailed link's key is the credential. A
GET changes nothing (mail scanners follow links): the buttons POST, from our own pages
alone (security.guard_reader_forms: no session, no cookie).
"""

import hashlib
import hmac
import json

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask_wtf import FlaskForm

from moderation.infra import db, ratelimit
from moderation.services import data_requests, personal_data
from moderation.web import caching, security, site
from moderation.web.forms import email_field

bp = Blueprint("your_data", __name__)
security.guard_reader_forms(bp)

ASKED = (
    "If we hold anything for that address, we have sent it a link that shows what, "
    "lets you download it and erase it. The link works for 24 hours. No mail means we "
    "hold nothing for that address."
)
TOO_MANY = (
    "Too many requests from here or for that address. Please try again in an hour; a "
    "link already sent still works."
)
NO_ADDRESS = (
    "This site cannot mail links yet: its owner has not set its address (SITE_URL). "
    "Please ask the site's owner for your data directly."
)


class DataRequestForm(FlaskForm):
    """The address a reader asks about."""

    class Meta:
        csrf = False

    email = email_field("Email address")


@bp.get("/your-data")
def ask():
    """Show the form that asks for a link to one's data."""
    return _ask_page(DataRequestForm())


@bp.post("/your-data")
def send_link():
    """Mail a link to the address when we hold anything on it; answer the same either way."""
    form = DataRequestForm()
    if not site.known():
        return _ask_page(form, status=503)
    if not form.validate():
        return _ask_page(form, status=400)
    if not _admitted(form.email.data):
        return _ask_page(form, notice=TOO_MANY, status=429)
    session = db.get_session()
    data_requests.ask(session, form.email.data)
    session.commit()
    return _page("public/your_data.html", form=None, notice=ASKED)


def _admitted(email: str) -> bool:
    """Count the request against the limit for this IP and for this address, as a digest
    keyed with SECRET_KEY (a plain hash of an address is as good as the address)."""
    secret = current_app.config["SECRET_KEY"].encode()
    keyed = hmac.new(secret, personal_data.address(email).encode(), hashlib.sha256).hexdigest()
    limit = current_app.config["DATA_REQUEST_RATE_LIMIT"]
    return ratelimit.admit(
        limit, ("data-request", request.remote_addr or ""), ("data-request-address", keyed)
    )


def _ask_page(form: DataRequestForm, notice: str = "", status: int = 200):
    known = site.known()
    return _page(
        "public/your_data.html",
        status,
        form=form if known else None,
        notice=notice or ("" if known else NO_ADDRESS),
    )


@bp.get("/your-data/<key>")
def request_page(key: str):
    """Show how much we hold on the link's address, with Download and Erase buttons."""
    session = db.get_session()
    found = data_requests.find(session, key)
    held = personal_data.held(session, found.email)
    return _page("public/your_data_request.html", key=key, held=held)


@bp.post("/your-data/<key>/download")
def download(key: str):
    """Download everything held on the link's address, as JSON; the link keeps working."""
    session = db.get_session()
    found = data_requests.find(session, key)
    exported = personal_data.export(session, data_requests.READER, found.email)
    session.commit()
    response = Response(
        json.dumps(exported, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="your-data.json"'},
    )
    return caching.private(response)


@bp.post("/your-data/<key>/erase")
def erase(key: str):
    """Anonymise the link's address's entries and remove it from everywhere else; the
    link goes with it."""
    session = db.get_session()
    found = data_requests.find(session, key)
    personal_data.erase(session, data_requests.READER, found.email)
    session.commit()
    return _page("public/your_data_erased.html")


def _page(template: str, status: int = 200, **context):
    """A page kept by no cache, whose secret URL goes as a Referer to our own pages alone
    (guard_reader_forms reads it when a POST has no Origin)."""
    response = make_response(render_template(template, **context), status)
    response.headers["Referrer-Policy"] = "same-origin"
    return caching.private(response)
