"""Command line: `flask --app wsgi ...` (SPEC §2, Command line)."""

import json
import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, url_for
from flask.cli import AppGroup, with_appcontext

from moderation.infra import db, jobs
from moderation.infra.models import utcnow
from moderation.rules import errors
from moderation.rules.limits import MAX_ID
from moderation.rules.statuses import EntryType, MailKind, MailNotices, MailState, Status
from moderation.services import accounts, demo, mail, moderating, notices, posts, queue, sites
from moderation.web import cli_maintenance
from moderation.web.cli_export import export_command
from moderation.web.cli_imports import import_cli
from moderation.web.cli_privacy import privacy_cli
from moderation.web.commands import CLI, fail

db_cli = AppGroup("db", help="Manage the database schema.")
posts_cli = AppGroup("posts", help="Manage posts.")
comments_cli = AppGroup("comments", help="Read and moderate the queue.")
moderators_cli = AppGroup("moderators", help="Manage dashboard accounts.")
sites_cli = AppGroup("sites", help="Manage the sites whose pages take comments.")
mail_cli = AppGroup("mail", help="Send mail.")

STATUS = click.Choice([status.value for status in Status])
TYPE = click.Choice([entry_type.value for entry_type in EntryType])
NOTICES = click.Choice([choice.value for choice in MailNotices])


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    before, after = db.upgrade(db.engine())
    if before is None:
        click.echo(f"Created the schema (revision {after}).")
    elif before != after:
        click.echo(f"Migrated the schema from revision {before} to {after}.")
    else:
        click.echo(f"The schema is already up to date (revision {after}).")


@click.command("demo")
@with_appcontext
def load_demo() -> None:
    """Load the demo post, with an approved pingback and two approved comments."""
    session = db.get_session()
    if demo.loaded(session):
        click.echo(f"Demo post already loaded: {permalink(demo.SLUG)}")
        return
    post = demo.load(session)
    session.commit()
    click.echo(f"Demo post loaded: {permalink(post.slug)}")


@posts_cli.command("create")
@click.option("--slug", required=True, help="The address: /posts/SLUG/")
@click.option("--title", required=True)
@click.option("--url", help="Register a post hosted elsewhere, at this address.")
@click.option("--body-file", type=click.File("r", encoding="utf-8"), help="The post's HTML.")
def create_post(slug: str, title: str, url: str | None, body_file) -> None:
    """Create a post and print its permalink."""
    session = db.get_session()
    body = body_file.read() if body_file else ""
    try:
        post = posts.create_post(session, slug, title, body, url)
    except errors.Refused as refused:
        fail(refused.message)
    session.commit()
    click.echo(post.url or permalink(post.slug))


@sites_cli.command("add")
@click.argument("url")
@click.option("--name", default="", help="What the dashboard calls the site.")
@click.option("--keep-query", is_flag=True, help="The query names a page (?p=123): keep it.")
def add_site(url: str, name: str, keep_query: bool) -> None:
    """Register a site (an origin: https://blog.example) and print its origin."""
    session = db.get_session()
    try:
        site = sites.add_site(session, url, name, keep_query)
    except errors.Refused as refused:
        fail(refused.message)
    session.commit()
    click.echo(site.origin)


@sites_cli.command("list")
def list_sites() -> None:
    """List the sites: origin, name, whether the query is kept, how many posts."""
    session = db.get_session()
    counts = sites.site_post_counts(session)
    for site in sites.all_sites(session):
        count = counts.get(site.id, 0)
        query = "keeps the query" if site.keep_query else "drops the query"
        posts_held = f"{count} {'post' if count == 1 else 'posts'}"
        click.echo(f"{site.origin}  {site.name or '-'}  {query}  {posts_held}")


@sites_cli.command("remove")
@click.argument("url")
def remove_site(url: str) -> None:
    """Remove a site; its posts and their entries stay, with no site."""
    session = db.get_session()
    try:
        site = sites.remove_site(session, url)
    except (errors.NotFound, errors.Refused) as refused:
        fail(refused.message)
    session.commit()
    click.echo(f"Site {site.origin} removed; its posts and their entries stay.")


@comments_cli.command("list")
@click.option("--status", type=STATUS)
@click.option("--type", "entry_type", type=TYPE)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_comments(status: str | None, entry_type: str | None, as_json: bool) -> None:
    """List queue entries, newest first (a moderator's tool: emails included)."""
    wanted = queue.QueueFilter(
        tab=status or queue.ANY, entry_type=EntryType(entry_type) if entry_type else None
    )
    for row in queue.queue_rows(db.get_session(), wanted):
        if as_json:
            click.echo(json.dumps(_entry_json(row), ensure_ascii=False))
        else:
            click.echo(
                f"{row.id:>6}  {row.status.value:<8}  {row.type.value:<10}  "
                f"{row.post_slug}  {row.author}"
                + (f" <{row.email}>" if row.email else "")
                + f"  {row.reason}"
            )


def _entry_json(row: queue.QueueRow) -> dict:
    """The fields of SPEC §2 (`comments list --json`), the email included."""
    return {
        "id": row.id,
        "type": row.type.value,
        "status": row.status.value,
        "post": row.post_slug,
        "parent_id": row.parent_id,
        "author": row.author,
        "email": row.email,
        "website": row.website,
        "text": row.text,
        "html": str(row.html),
        "source_url": row.source_url,
        "reason": row.reason,
        "created": row.created.isoformat(),
    }


@comments_cli.command("moderate")
@click.option("--status", type=STATUS, required=True)
@click.argument("ids", nargs=-1, type=click.IntRange(1, MAX_ID), required=True)
def moderate(status: str, ids: tuple[int, ...]) -> None:
    """Set the status of entries; if any id is unknown, nothing changes."""
    session = db.get_session()
    try:
        count = moderating.set_status(session, CLI, ids, Status(status))
    except errors.NotFound as missing:
        fail(missing.message)
    session.commit()
    click.echo(f"{count} {'entry' if count == 1 else 'entries'} set to {status}.")


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@moderators_cli.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="An administrator.")
@click.option("--email", default="", help="The address moderators' mail goes to.")
@click.option(
    "--notices",
    "mail_notices",
    type=NOTICES,
    help="A mail for every waiting entry, a daily digest, or none "
    "(default: every for an administrator, none for others).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_moderator(
    username: str, admin: bool, email: str, mail_notices: str | None, password_stdin: bool
) -> None:
    """Create a moderator account."""
    session = db.get_session()
    chosen = MailNotices(mail_notices) if mail_notices else None
    try:
        moderator = accounts.create_moderator(
            session, username, _new_password(password_stdin), admin, email.strip(), chosen
        )
    except errors.Refused as refused:
        fail(refused.message)
    if moderator.mail_notices == MailNotices.DIGEST:
        notices.seed_digests(session)
    session.commit()
    click.echo(f"Moderator {username} created{' (administrator)' if admin else ''}.")


@moderators_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def moderator_password(username: str, password_stdin: bool) -> None:
    """Set a moderator's password; their open sessions end."""
    session = db.get_session()
    moderator = accounts.find_moderator(session, username)
    if moderator is None:
        fail(f"No moderator is called {username!r}.")
    try:
        accounts.change_password(session, moderator, _new_password(password_stdin))
    except errors.Refused as refused:
        fail(refused.message)
    session.commit()
    click.echo(f"Password of {moderator.username} changed.")


@moderators_cli.command("disable")
@click.argument("username")
def disable_moderator(username: str) -> None:
    """Disable an account: it can no longer log in, and its sessions end."""
    _set_disabled(username, True)


@moderators_cli.command("enable")
@click.argument("username")
def enable_moderator(username: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    session = db.get_session()
    try:
        moderator = accounts.set_disabled(session, username, disabled)
    except errors.NotFound as missing:
        fail(missing.message)
    session.commit()
    click.echo(f"Moderator {moderator.username} {'disabled' if disabled else 'enabled'}.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Work the linkback job queue: RQ with REDIS_URL, else the database directly."""
    cli_maintenance.start_chain()  # whoever works the queue runs the daily maintenance too
    try:
        jobs.work(current_app._get_current_object(), burst)
    except jobs.QueueUnavailable as unavailable:
        fail(str(unavailable))


@mail_cli.command("test")
@click.argument("address")
def mail_test(address: str) -> None:
    """Send a test message to ADDRESS now, and say how it went."""
    try:
        recipient = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as invalid:
        fail(f"{address!r} is not an email address: {invalid}")
    session = db.get_session()
    sent = mail.queue_mail(
        session,
        recipient,
        MailKind.TEST,
        "test",
        "Test message from the comment moderation service",
        {"sent_at": f"{utcnow():%Y-%m-%d %H:%M}"},
    )
    job_id = mail.job_of(session, sent)
    session.commit()
    # At once, in this process: the job's first attempt, and its answer here.
    jobs.run_job(current_app._get_current_object(), job_id)
    session.refresh(sent)
    if sent.state == MailState.SENT and not mail.configured():
        click.echo(f"MAIL_URL is not set: the message was written to {mail.outbox()}/.")
    elif sent.state == MailState.SENT:
        click.echo(f"Sent to {recipient}.")
    elif sent.state == MailState.FAILED:
        fail(f"Not sent: {sent.error}.")
    else:
        fail("Not sent yet: the SMTP server could not take it. The job queue tries again.")


@mail_cli.command("digest")
def mail_digest() -> None:
    """Send today's digest now to the moderators who chose one, unless it went out (for
    cron; the job queue sends it at MAIL_DIGEST_HOUR by itself)."""
    session = db.get_session()
    day = utcnow().date()
    written = notices.send_digest(session, day)
    if written is None:
        click.echo(f"The digest of {day} was sent already.")
        return
    job_ids = [mail.job_of(session, each) for each in written]
    session.commit()
    if not written:
        click.echo(f"Nothing to send for {day}: no entry waits, or no moderator wants a digest.")
        return
    # At once, in this process, as `mail test` does: the first attempt of each.
    for job_id in job_ids:
        jobs.run_job(current_app._get_current_object(), job_id)
    for each in written:
        session.refresh(each)
    sent = sum(each.state == MailState.SENT for each in written)
    click.echo(f"The digest of {day}: {sent} of {len(written)} mails sent.")
    if sent < len(written):
        fail("The others were refused, or wait for the job queue to try them again.")


def permalink(slug: str) -> str:
    """The post's address: absolute with SITE_URL, else a path on whatever host serves it."""
    # The command line has no request for url_for: build on a stand-in one, at the root
    # (SITE_URL brings any path of its own) and at a host TRUSTED_HOSTS accepts.
    trusted = current_app.config["TRUSTED_HOSTS"] or ["localhost"]
    with current_app.test_request_context(base_url=f"http://{trusted[0].lstrip('.')}/"):
        path = url_for("public.post", slug=slug)
    return (current_app.config["SITE_URL"] or "") + path


def init_app(app: Flask) -> None:
    commands = (db_cli, posts_cli, comments_cli, moderators_cli, sites_cli, mail_cli)
    data = (import_cli, export_command, privacy_cli, cli_maintenance.maintenance_command)
    for command in (*commands, *data, load_demo, worker):
        app.cli.add_command(command)
