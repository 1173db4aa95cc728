"""Command line: `flask privacy export|erase EMAIL` (issue 15), personal data by address."""

import json

import click
from flask.cli import AppGroup

from moderation.infra import db
from moderation.rules import errors
from moderation.services import personal_data
from moderation.web.commands import CLI, fail

privacy_cli = AppGroup("privacy", help="Export or erase the personal data of an email address.")


@privacy_cli.command("export")
@click.argument("email")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write the JSON here (default: standard output).",
)
def export(email: str, output) -> None:
    """Write everything held on EMAIL as JSON: entries, subscription, mails, data
    requests and audit log lines."""
    session = db.get_session()
    try:
        exported = personal_data.export(session, CLI, email)
    except errors.Refused as refused:
        fail(refused.message)
    output.write(json.dumps(exported, ensure_ascii=False, indent=2) + "\n")
    output.flush()  # the file holds it all before the export is logged as done
    session.commit()
    if output.name != "<stdout>":
        click.echo(f"Wrote {_held(exported)} to {output.name}.", err=True)


def _held(exported: dict) -> str:
    count = len(exported["entries"])
    subscription = ", a subscription" if exported["subscription"] else ""
    mails = len(exported["mails"])
    return f"{count} {'entry' if count == 1 else 'entries'}{subscription}, {mails} mails"


@privacy_cli.command("erase")
@click.argument("email")
@click.option(
    "--delete",
    "delete_entries",
    is_flag=True,
    help="Delete the entries instead of anonymising them (those that others answered "
    "stay as emptied, anonymous placeholders, so replies keep their thread).",
)
def erase(email: str, delete_entries: bool) -> None:
    """Anonymise EMAIL's entries (or delete them) and remove it from everywhere else."""
    session = db.get_session()
    try:
        erased = personal_data.erase(session, CLI, email, delete_entries)
    except errors.Refused as refused:
        fail(refused.message)
    session.commit()
    click.echo(erased.report())
    if erased.blocked:
        click.echo(personal_data.STILL_BLOCKED)
