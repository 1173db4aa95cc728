"""CSRF protection, security headers and cookie flags for every response (SPEC §3
(Security headers): nosniff, a Referrer-Policy, a CSP without inline script, no framing
of the dashboard; HttpOnly, SameSite=Lax session cookies, Secure behind https). The
embed frame's pages (issue 13, under /embed/) may be framed by the registered sites too.

Only the dashboard's forms carry a CSRF token, kept in the session. The readers' forms
(the comment form, Your data, the mailed links' buttons) must not need a session, so
that their pages set no cookie and a CDN may keep them (issue 16): their POSTs are
guarded by where they come from instead (`guard_reader_forms`), and the comment form by
its signed stamp too (forms.form_stamp).
"""

import re
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from moderation.infra import db
from moderation.rules import urls
from moderation.services import sites
from moderation.web import revalidation, site

# Every state change needs a token, but for the blueprints that create_app exempts: the
# linkback receivers (protocols, not forms), and the readers' forms, the JSON API and the
# embed frame (no session: an Origin check and a signed form stamp guard their POSTs).
csrf = CSRFProtect()

FOREIGN_ORIGIN = (
    "This form can be sent only from the page that shows it: the request came from "
    "another site, or did not say where it came from."
)

PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
DASHBOARD_CSP = PUBLIC_CSP.replace("frame-ancestors 'self'", "frame-ancestors 'none'")
EMBED_PATH = "/embed/"  # web/embed.py: the frame that registered sites put in their pages
API_PATH = "/api/v1"  # web/api/: the JSON API, which never reads the session
# What urls.origin makes of a site's address; anything else stays out of the header.
_CSP_ORIGIN = re.compile(r"https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d+)?")


def framed_csp(origins: Iterable[str]) -> str:
    """The public pages' policy, with `origins` (the registered sites) allowed to frame."""
    allowed = " ".join(["'self'", *(each for each in origins if _CSP_ORIGIN.fullmatch(each))])
    return PUBLIC_CSP.replace("frame-ancestors 'self'", f"frame-ancestors {allowed}")


def frame_origins() -> tuple[str, ...]:
    """The registered sites' origins (services.sites), read once per request, or less
    often (revalidation.recent)."""
    if "frame_origins" not in g:
        g.frame_origins = revalidation.recent(
            ("site origins",), lambda: tuple(sites.site_origins(db.get_session()))
        )
    return g.frame_origins


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request):
        """No session for the JSON API (issue 13): it never reads the dashboard's cookie,
        so a page cannot act as a moderator through it, and it sets no cookie."""
        if request.path == API_PATH or request.path.startswith(API_PATH + "/"):
            return self.make_null_session(app)
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            # A reader's request (they have no session): an empty one, without building
            # the cookie's signer, which Flask does first on every request.
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response: Response) -> None:
        """Leave a public read (web/caching.py) alone: no Set-Cookie, which a CDN would
        hand to every reader, and no `Vary: Cookie` for a look into the session (Flask-Login
        takes one); caching.public says it where our own cookies change the page."""
        if response.cache_control.public:
            return
        super().save_session(app, session, response)


def sender_origin() -> str | None:
    """The origin a POST says it comes from: its Origin header, else its Referer's; None
    when it names neither, or an opaque one ("null")."""
    sender = request.headers.get("Origin") or request.headers.get("Referer") or ""
    try:
        return urls.origin(sender)
    except ValueError:
        return None


def from_our_pages(*others: str) -> bool:
    """Whether the POST comes from a page of ours, or of one of the `others` origins.

    Ours is the address the POST went to, and SITE_URL's (a proxy in front may change
    the scheme). The Host header is safe here, unlike for the links we write: a browser
    sends the host of the address it posts to, and a page elsewhere cannot change it.
    """
    sender = sender_origin()
    if sender is None:
        return False
    ours = {urls.origin(request.host_url)}
    if site.known():
        ours.add(urls.origin(site.base_url()))
    return sender in ours or sender in others


def guard_reader_forms(bp: Blueprint, *, except_views: tuple[str, ...] = ()) -> None:
    """Take `bp`'s POSTs without a CSRF token, from our own pages alone: a POST from
    another site's page, or one that says not where it comes from, is refused before
    anything is read. Browsers send an Origin with every POST, so no reader's form is
    refused; a moderator's session cannot be borrowed by a page elsewhere either.
    `except_views` (endpoint names) are taken from anywhere: their URL's secret key is
    the credential, and mail clients post them (RFC 8058)."""
    csrf.exempt(bp)

    @bp.before_request
    def refuse_foreign_posts():
        if request.method != "POST" or request.endpoint in except_views:
            return None
        if from_our_pages():
            return None
        page = render_template("error.html", title="Forbidden", message=FOREIGN_ORIGIN)
        return Response(page, 403)


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    dashboard = request.path.startswith("/moderation")
    policy = DASHBOARD_CSP if dashboard else PUBLIC_CSP
    if request.path.startswith(EMBED_PATH):
        try:
            policy = framed_csp(frame_origins())
        except SQLAlchemyError:  # the database failed this request: framed by us alone
            policy = PUBLIC_CSP
    response.headers.setdefault("Content-Security-Policy", policy)
    if dashboard:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Turn on CSRF protection, Secure session cookies over https and the headers."""
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    app.after_request(_headers)
