"""Command line: `flask export` (issue 15), every post and entry as WXR or JSON Lines."""

import click
from flask import current_app
from flask.cli import with_appcontext

from moderation.infra import db
from moderation.rules.errors import NotFound
from moderation.services import exporting
from moderation.web.commands import CLI, fail

NO_ADDRESS = (
    "SITE_URL is not set: our own posts' links in the export are paths (/posts/SLUG/), "
    "not full URLs."
)


@click.command("export")
@click.option(
    "--format",
    "export_format",
    type=click.Choice([each.value for each in exporting.Format]),
    required=True,
    help="wxr: a WordPress export (WXR 1.2); jsonl: one JSON object per line.",
)
@click.option("--site", "site_url", help="Only the threads of this registered site (its URL).")
@click.option("--post", "slug", help="Only the post at this slug.")
@click.option(
    "--output",
    # atomic: the file appears once it is whole, never half-written.
    type=click.File("w", encoding="utf-8", atomic=True),
    default="-",
    help="Write the export here (default: standard output).",
)
@with_appcontext
def export_command(export_format: str, site_url: str | None, slug: str | None, output) -> None:
    """Export posts and their comments and linkbacks, every field, emails included."""
    session = db.get_session()
    try:
        chosen = exporting.selection(session, site_url, slug)
    except NotFound as missing:
        fail(missing.message)
    if not current_app.config["SITE_URL"]:
        click.echo(f"Warning: {NO_ADDRESS}", err=True)
    wanted = exporting.Format(export_format)
    for piece in exporting.export(session, chosen, wanted, exporting.own_links()):
        output.write(piece)
    output.flush()
    exporting.record_export(session, CLI, chosen, wanted)
    session.commit()
