"""The `motcua` command group, on which each module of the package registers its commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _app():
    from .. import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False, add_version_option=False)
def main():
    """Motcua administration."""


def fail(exc: Exception) -> None:
    """End the command with the error's message (exit code 1)."""
    message = getattr(exc, "message", None) or str(exc)
    raise click.ClickException(message)
