"""Comment moderation and linkback service."""

from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation.infra import config, db, jobs, ratelimit
from moderation.services.linkbacks import mentions
from moderation.web import cli, dashboard, errors, linkback, public, security

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, then database, then blueprints, then the command line."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.resolve(app.instance_path, test_config))
    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies: the client's address and scheme come from their headers.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    jobs.init_app(app, {mentions.VERIFY: mentions.KIND})
    csrf.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(linkback.bp)
    csrf.exempt(linkback.bp)  # §3: protocols, not forms
    dashboard.init_app(app)
    cli.init_app(app)
    return app
