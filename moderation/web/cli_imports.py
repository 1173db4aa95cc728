"""Command line: `flask import wordpress|disqus|isso FILE [--dry-run]` (issue 15).

Each system is one command calling `run_import` with its reader: a function from the
opened file to import records (rules/imports.py).
"""

import hashlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from moderation.infra import db, isso_reader
from moderation.rules import disqus_reader, wxr_reader
from moderation.rules.imports import Item, MalformedFile
from moderation.rules.statuses import ImportSystem
from moderation.services import importing, sites
from moderation.web.commands import CLI, fail

import_cli = AppGroup("import", help="Import comments from WordPress, Disqus or Isso.")

Reader = Callable[[BinaryIO], Iterable[Item]]


def import_options(command: Callable) -> Callable:
    """The argument and options every import command takes: FILE, --dry-run,
    --batch-size."""
    command = click.option(
        "--batch-size",
        type=click.IntRange(1, 100_000),
        default=importing.BATCH_SIZE,
        show_default=True,
        help="Items written per transaction: a run that stops resumes after the last one.",
    )(command)
    command = click.option(
        "--dry-run", is_flag=True, help="Read and check everything, count, write nothing."
    )(command)
    return click.argument(
        "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
    )(command)


@import_cli.command("wordpress")
@import_options
def import_wordpress(file: Path, dry_run: bool, batch_size: int) -> None:
    """Import the comments, pingbacks and trackbacks of a WordPress export (WXR)."""
    run_import(ImportSystem.WORDPRESS, file, wxr_reader.read, dry_run, batch_size)


@import_cli.command("disqus")
@import_options
def import_disqus(file: Path, dry_run: bool, batch_size: int) -> None:
    """Import the threads, posts and parents of a Disqus export (XML)."""
    run_import(ImportSystem.DISQUS, file, disqus_reader.read, dry_run, batch_size)


@import_cli.command("isso")
@import_options
@click.option(
    "--site",
    "site_url",
    metavar="ORIGIN",
    help="The registered site Isso served, such as https://blog.example: Isso names a "
    "page by its path. Needed unless exactly one site is registered.",
)
def import_isso(file: Path, dry_run: bool, batch_size: int, site_url: str | None) -> None:
    """Import the threads, comments and parents of an Isso database (SQLite)."""
    session = db.get_session()
    if site_url is not None:
        site = sites.site_for(session, site_url)
        if site is None:
            raise click.BadParameter(
                f"no site is registered at {site_url}: add it first (flask sites add).",
                param_hint="--site",
            )
    else:
        registered = sites.all_sites(session)
        if len(registered) != 1:
            named = ", ".join(each.origin for each in registered) or "none is registered"
            raise click.UsageError(
                f"Name the site Isso served with --site ORIGIN (sites: {named})."
            )
        site = registered[0]
    origin = site.origin
    run_import(
        ImportSystem.ISSO,
        file,
        lambda _source: isso_reader.read(file, origin),  # SQLite opens the file itself
        dry_run,
        batch_size,
    )


def run_import(
    system: ImportSystem, file: Path, read: Reader, dry_run: bool, batch_size: int
) -> importing.Tally:
    """Import a file with its reader: a progress bar, one commit per batch (none for a dry
    run), a summary; exit status 1, with the line, when the file is malformed."""
    session = db.get_session()
    run = None
    if not dry_run:
        run = importing.open_run(session, system, _digest(file), file.name)
        session.commit()
    importer = importing.Importer(session, system, run, current_app.config["SITE_URL"])
    tally = importer.tally
    with (
        file.open("rb") as source,
        click.progressbar(length=file.stat().st_size, label=_label(tally), file=sys.stderr) as bar,
    ):
        try:
            for tally in importer.batches(read(source), batch_size):
                if not dry_run:
                    session.commit()
                bar.label = _label(tally)
                bar.update(source.tell() - bar.pos)
        except MalformedFile as malformed:
            session.rollback()
            _malformed(malformed, tally, dry_run)
    if dry_run:
        session.rollback()
    else:
        importing.finish(session, run, tally, CLI)
        session.commit()
    _summary(system, file, tally, dry_run)
    return tally


def _digest(file: Path) -> str:
    """The sha256 of the file: what names its run, so a second run resumes it."""
    digest = hashlib.sha256()
    with file.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _label(tally: importing.Tally) -> str:
    return f"{tally.threads} threads, {tally.entries} entries"


def _malformed(malformed: MalformedFile, tally: importing.Tally, dry_run: bool) -> None:
    if dry_run:
        done = "Nothing was written (dry run)."
    elif tally.position:
        # The same file fails at the same place: only a fixed file (a new digest, a new
        # run from its first item) goes further, and it skips what is imported already.
        done = (
            f"The first {tally.position} items are imported and kept; nothing of the batch "
            "after them was written. Once the file is fixed, a new run skips the entries "
            "already imported."
        )
    else:
        done = "Nothing was written."
    fail(f"{malformed}. {done}")


def _summary(system: ImportSystem, file: Path, tally: importing.Tally, dry_run: bool) -> None:
    name = importing.NAMES[system]
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} from {name} ({file.name}): {tally.threads} threads "
        f"({tally.posts_created} new posts), {tally.imported} entries imported, "
        f"{tally.skipped} skipped as already there, {tally.refused} refused."
    )
    for reason, count in sorted(tally.refusals.items(), key=lambda pair: (-pair[1], pair[0])):
        click.echo(f"  refused {count}: {reason}")
    if dry_run:
        click.echo("Dry run: nothing was written.")
