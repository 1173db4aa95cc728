"""CSRF protection, security headers and cookie flags for every response (SPEC §3
(Security headers): nosniff, a Referrer-Policy, a CSP without inline script, no framing
of the dashboard; HttpOnly, SameSite=Lax session cookies, Secure behind https)."""

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

# Every state change needs a token; create_app exempts the linkback blueprint alone.
csrf = CSRFProtect()

PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
DASHBOARD_CSP = PUBLIC_CSP.replace("frame-ancestors 'self'", "frame-ancestors 'none'")


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    dashboard = request.path.startswith("/moderation")
    response.headers.setdefault(
        "Content-Security-Policy", DASHBOARD_CSP if dashboard else PUBLIC_CSP
    )
    if dashboard:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Turn on CSRF protection, Secure session cookies over https and the headers."""
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    app.after_request(_headers)
