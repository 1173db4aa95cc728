"""The daily maintenance job (issue 15) from the entry points: `flask maintenance`, the
retention run at once for those who run it from cron; and the start of the job's daily
chain, by whatever works the queue (a serving process with its pool or with REDIS_URL,
and `flask worker`), committed here as entry points do."""

import logging
import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from moderation.infra import db
from moderation.infra.models import utcnow
from moderation.services import maintenance

logger = logging.getLogger(__name__)


@click.command("maintenance")
@with_appcontext
def maintenance_command() -> None:
    """Shorten old IP addresses, delete old spam and trash and what no entry uses any
    more (IP_RETENTION_DAYS, PURGE_AFTER_DAYS), and print what was done."""
    session = db.get_session()
    kept = maintenance.Retention.from_config(current_app.config)
    report = maintenance.run(session, kept, utcnow())
    session.commit()
    click.echo("Maintenance done.")
    for label, count in report.counts():
        click.echo(f"  {label}: {count}")


def start_chain() -> bool:
    """Submit the next daily run unless one waits; False, and logged, when the database
    cannot be reached or is not migrated yet (the caller may try again)."""
    session = db.get_session()
    try:
        maintenance.seed(session)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.exception("The daily maintenance job could not be scheduled")
        return False
    return True


def init_app(app: Flask) -> None:
    """Start the chain on the first request of each serving process that works the
    queue (its pool, or RQ with REDIS_URL): never at import, never before gunicorn forks."""
    if app.config["REDIS_URL"] is None and app.config["JOB_WORKERS"] <= 0:
        return
    started: set[int] = set()

    def start_once() -> None:
        if os.getpid() not in started and start_chain():
            started.add(os.getpid())

    app.before_request(start_once)
