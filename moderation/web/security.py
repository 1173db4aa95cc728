"""CSRF protection, security headers and cookie flags for every response (SPEC §3
(Security headers): nosniff, a Referrer-Policy, a CSP without inline script, no framing
of the dashboard; HttpOnly, SameSite=Lax session cookies, Secure behind https). The
embed frame's pages (issue 13, under /embed/) may be framed by the registered sites too.
"""

import re
from collections.abc import Iterable

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from moderation.infra import db
from moderation.services import sites

# Every state change needs a token, but for three blueprints that create_app exempts: the
# linkback receivers (protocols, not forms), and the JSON API and the embed frame (no
# session: a signed form stamp and an Origin check guard their POSTs instead).
csrf = CSRFProtect()

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


def frame_origins() -> list[str]:
    """The registered sites' origins, read once per request (services.sites)."""
    if "frame_origins" not in g:
        g.frame_origins = sites.site_origins(db.get_session())
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
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response: Response) -> None:
        """Leave a public read (web/caching.py) alone: no Set-Cookie, which a CDN would
        hand to every reader, and no `Vary: Cookie` (Flask-Login looks into every
        session), which would keep one copy per cookie."""
        if response.cache_control.public:
            return
        super().save_session(app, session, response)


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
