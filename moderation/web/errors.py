"""Error pages: a clear message and the right status, never a stack trace."""

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from moderation.rules.errors import Closed, NotFound, Refused
from moderation.web import security, site
from moderation.web.dashboard.common import bp as dashboard_bp


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return _page("Not found", error.message, 404)

    @app.errorhandler(Closed)
    def closed(error: Closed):
        return _page("Closed", error.message, 403)

    @app.errorhandler(Refused)
    def refused(error: Refused):
        return _page("Refused", error.message, 400)

    @app.errorhandler(site.NoOwnAddress)
    def no_own_address(error: site.NoOwnAddress):
        # The linkback receivers answer it in their own protocols (web/linkback.py).
        return Response(error.message + "\n", 503, content_type="text/plain; charset=utf-8")

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS: Flask built no URL adapter, so no url_for() and
        # no template; and the refused name is not echoed back.
        return Response(
            "This site does not answer to that host name.\n", 400, mimetype="text/plain"
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not take that kind of request.",
            413: "What you sent is too large.",
        }
        message = messages.get(error.code or 500, error.description or "")
        if _in_api():  # no route matched under /api/v1/: still JSON, as its own errors are
            return jsonify(error=message), error.code or 500
        return _page(error.name, message, error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return _page("Something went wrong", "Please try again in a moment.", 500)


def _in_api() -> bool:
    return request.path == security.API_PATH or request.path.startswith(security.API_PATH + "/")


def _in_dashboard() -> bool:
    prefix = dashboard_bp.url_prefix or ""
    return request.path == prefix or request.path.startswith(prefix + "/")


def _page(title: str, message: str, status: int):
    """An error page: in the dashboard's layout, leading back to the queue, under
    /moderation/; in the site's, leading to the front page, elsewhere."""
    template = "dashboard/error.html" if _in_dashboard() else "error.html"
    try:
        return render_template(template, title=title, message=message), status
    except Exception:  # templates ask the database who is logged in: it may be what failed
        current_app.logger.exception("the error page could not be rendered")
        return Response(f"{title}\n\n{message}\n", status, mimetype="text/plain")
