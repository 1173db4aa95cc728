"""Comment moderation and linkback service.

Importing the package loads nothing heavy: create_app imports the extensions, the
blueprints and the command line inside itself, as Flask's tutorial does, so importing
a pure module (moderation.rules.policy, say) loads neither Flask nor SQLAlchemy.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> "Flask":
    """Build the app: config, then database, then extensions, then blueprints, then the
    command line."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from moderation.infra import config, db, fragments, jobs, ratelimit
    from moderation.services import mail, maintenance, notices, sites, webhooks
    from moderation.services.linkbacks import mentions
    from moderation.web import (
        cli,
        cli_maintenance,
        dashboard,
        embed,
        errors,
        feeds,
        filters,
        linkback,
        privacy_notice,
        public,
        revalidation,
        scripts,
        security,
        subscriptions,
        your_data,
    )
    from moderation.web.api import views as api

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
    jobs.init_app(
        app,
        {
            mentions.VERIFY: mentions.KIND,
            sites.FETCH_TITLE: sites.TITLE_KIND,
            mail.SEND: mail.KIND,
            notices.DIGEST: notices.DIGEST_KIND,
            maintenance.RUN: maintenance.KIND,
            webhooks.DELIVER: webhooks.KIND,
        },
    )
    security.init_app(app)
    errors.init_app(app)
    ratelimit.init_app(app)
    fragments.init_app(app)
    filters.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(linkback.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(scripts.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(subscriptions.bp)
    app.register_blueprint(your_data.bp)
    app.register_blueprint(privacy_notice.bp)
    # Exempt from CSRF tokens: the linkback receivers, protocols rather than forms (SPEC
    # §3, Security headers); the embed frame and the JSON API, which have no session of
    # ours, so a signed form stamp and an Origin check guard their POSTs (issue 13). The
    # readers' own pages exempt themselves (security.guard_reader_forms).
    for exempt in (linkback.bp, embed.bp, api.bp):
        security.csrf.exempt(exempt)
    dashboard.init_app(app)
    cli_maintenance.init_app(app)  # the daily retention job's chain
    cli.init_app(app)
    revalidation.init_app(app)  # outermost: around ProxyFix too
    return app
