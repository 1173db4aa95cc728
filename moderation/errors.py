"""Error pages: a clear message and the right status, never a stack trace."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from .domain_errors import Closed, NotFound, Refused


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return render_template("error.html", title="Not found", message=error.message), 404

    @app.errorhandler(Closed)
    def closed(error: Closed):
        return render_template("error.html", title="Closed", message=error.message), 403

    @app.errorhandler(Refused)
    def refused(error: Refused):
        return render_template("error.html", title="Refused", message=error.message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not take that kind of request.",
            413: "What you sent is too large.",
        }
        message = messages.get(error.code or 500, error.description or "")
        return render_template("error.html", title=error.name, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return render_template(
            "error.html", title="Something went wrong", message="Please try again in a moment."
        ), 500
