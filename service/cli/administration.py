"""The administration's commands: users, tokens, org units, the procedure catalogue, deploy,
housekeeping."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..uow import unit_of_work
from .group import fail, main


@main.group()
def users():
    """Manage users."""


@users.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--group", "groups", multiple=True, help="A group (BPMN lane / candidate group); repeatable.")
@click.option("--unit", help="Org unit code.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--display-name", help="Full name.")
@with_appcontext
def create_user(name, password, groups, unit, admin, display_name):
    """Create a user NAME."""
    from ..identity.operations import create_user as create

    try:
        with unit_of_work():
            create(name, password, groups=groups, unit=unit, admin=admin, display_name=display_name)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"created user {name}", err=True)


@main.group()
def tokens():
    """Manage API tokens."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--name", help="What the token is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Repeat for each scope of a system's token: read, deploy, start:KEY, messages:NAME, "
    "tasks:KEY, external-tasks:TOPIC, integrations:SYSTEM (integrations:dvcqg: the national "
    "portal) ('*' for every name). None: the user's full rights.",
)
@with_appcontext
def create_token(username, name, scopes):
    """Create an API token; only the token is printed on stdout."""
    from ..identity.operations import create_token as create
    from ..identity.operations import find_user

    try:
        with unit_of_work():
            token = create(find_user(username), name=name, scopes=list(scopes) or None)
    except ServiceError as exc:
        fail(exc)
    click.echo(token)


@main.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def deploy(paths):
    """Deploy .bpmn files (or every .bpmn file of the folders given)."""
    from ..deployment.operations import deploy as deploy_file
    from ..engine import EngineError

    files = []
    for path in paths:
        files.extend(sorted(path.glob("*.bpmn")) if path.is_dir() else [path])
    failed = False
    for file in files:
        try:
            with unit_of_work():
                deployment, warnings = deploy_file(
                    file.read_bytes(),
                    filename=file.name,
                    actor=None,
                    max_bytes=current_app.config["MOTCUA_MAX_BPMN_BYTES"],
                )
            deployed = [(d.key, d.version, created) for d, created in deployment.definitions]
            if deployment.diagram is not None:
                deployed.append(
                    (deployment.diagram.key, deployment.diagram.version, deployment.diagram_created)
                )
            for key, version, created in deployed:
                verb = "deployed" if created else "unchanged"
                what = " (diagram only)" if deployment.diagram is not None else ""
                click.echo(f"{verb} {key} v{version}{what} ({file})", err=True)
            for note in deployment.parsed.report:
                click.echo(f"  note {note.element_id or ''}: {note.message}", err=True)
            for warning in warnings:
                click.echo(f"  note: {warning['message']}", err=True)
        except (EngineError, ServiceError) as exc:
            failed = True
            details = exc.details() if isinstance(exc, EngineError) else exc.details
            click.echo(f"error {file}: {exc.message} {details or ''}".rstrip(), err=True)
    if failed:
        sys.exit(1)


@main.group()
def procedures():
    """Manage the procedure catalogue."""


@procedures.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_procedures(path):
    """Load (create or update) procedures from a .json or .csv file."""
    from ..procedures.operations import load

    fmt = "csv" if path.suffix.lower() == ".csv" else "json"
    try:
        with unit_of_work():
            created, updated = load(path.read_text(encoding="utf-8"), fmt=fmt)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"procedures: {created} created, {updated} updated ({path})", err=True)


@main.group()
def units():
    """Manage org units."""


@units.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--national-code", help="The unit code that numbers its dossiers, e.g. 000.17.22.H56.")
@click.option("--parent", help="The code of the unit above it (its indicators count this one's dossiers).")
@with_appcontext
def create_unit(code, name, national_code, parent):
    """Create or update an org unit."""
    from ..identity.operations import get_or_create_unit
    from ..identity.tree import check_parent

    try:
        with unit_of_work():
            unit = get_or_create_unit(code, name)
            unit.name, unit.national_code = name, national_code or unit.national_code
            if parent is not None:
                unit.parent_code = check_parent(code, parent)
    except ServiceError as exc:
        fail(exc)
    above = f", under {unit.parent_code}" if unit.parent_code else ""
    click.echo(f"unit {code}: {name} ({unit.national_code or 'no national code'}{above})", err=True)


@main.command("housekeeping")
@with_appcontext
def housekeeping():
    """Delete old outbox events and ended sessions now (the workers' beat does it daily)."""
    from ..jobs.operations import housekeeping as clean
    from ..models_base import utcnow

    counts = clean(utcnow())
    events, sessions = counts["outbox_events"], counts["sessions"]
    click.echo(f"deleted {events} outbox events, {sessions} ended sessions", err=True)
