"""What every command of the command line shares: the name the audit log gives it, and
how it fails."""

import sys

import click

from moderation.services.accounts import Actor

CLI = Actor(None, "cli", "")  # who the audit log names for the command line


def fail(message: str) -> None:
    """Print the error and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
