"""Deploying and looking up process definitions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from .. import forms
from ..audit.operations import fact, record
from ..engine import BpmnInvalid, Budgets, parse_definition
from ..errors import NotFound
from ..extensions import db
from ..identity.models import User
from ..models_base import utcnow
from .models import ProcessDefinition


def deploy(
    data: bytes,
    *,
    filename: str,
    actor,
    max_bytes: int,
    starter_groups: list[str] | None = None,
    starter_users: list[str] | None = None,
) -> tuple[ProcessDefinition, bool]:
    """Validate and store a BPMN file. Returns (definition, created).

    Identical content for a key returns the existing version; changed content makes
    version n+1. Two deploys racing for the same version collide on the unique
    (key, version) constraint and the loser gets 409. Who may start it comes from the BPMN
    (camunda:candidateStarterGroups / candidateStarterUsers) unless starter_groups or
    starter_users are given here; given again with identical content, they replace the
    existing version's. A new version of a process that starts on a timer needs an instance
    waiting on it: the caller arms it (instances.operations.arm_timer_start).
    """
    budgets = Budgets.from_settings(current_app.config)  # the limits the app's engine runs with
    parsed = parse_definition(data, filename=filename, max_bytes=max_bytes, budgets=budgets)
    declared = parsed.declarations
    _check_forms(parsed)
    starters = {
        "starter_groups": _names(starter_groups, declared.starter_groups),
        "starter_users": _names(starter_users, declared.starter_users),
    }
    existing = db.session.scalar(
        sa.select(ProcessDefinition).where(
            ProcessDefinition.key == parsed.key, ProcessDefinition.checksum == parsed.checksum
        )
    )
    if existing is not None:
        given = {}
        if starter_groups:
            given["starter_groups"] = starters["starter_groups"]
        if starter_users:
            given["starter_users"] = starters["starter_users"]
        if any(getattr(existing, k) != v for k, v in given.items()):
            for name, value in given.items():
                setattr(existing, name, value)
            _audit_starters(existing, actor)
        return existing, False
    latest = db.session.scalar(
        sa.select(sa.func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)
    )
    now = utcnow()
    definition = ProcessDefinition(
        key=parsed.key,
        version=(latest or 0) + 1,
        name=parsed.name,
        checksum=parsed.checksum,
        filename=filename,
        bpmn=data,
        spec_blob=parsed.spec_blob,
        deployed_at=now,
        deployed_by_id=actor.id if actor is not None else None,
        start_form=declared.start_form,
        protected_variables=list(declared.protected_variables),
        **starters,
    )
    db.session.add(definition)
    db.session.flush()
    record(
        [
            fact(
                "definition_deployed",
                at=now,
                actor=actor,
                data={
                    "key": definition.key,
                    "version": definition.version,
                    "checksum": definition.checksum,
                    **starters,
                },
            )
        ]
    )
    return definition, True


def _names(given: list[str] | None, declared: tuple[str, ...] | None) -> list[str] | None:
    """Starter groups or users: those given at deploy, else those the BPMN declares (None: none)."""
    names = given if given else declared
    return list(dict.fromkeys(n.strip() for n in names if n.strip())) if names else None


def _audit_starters(definition: ProcessDefinition, actor) -> None:
    record(
        [
            fact(
                "definition_starters_changed",
                at=utcnow(),
                actor=actor,
                data={
                    "key": definition.key,
                    "version": definition.version,
                    "starter_groups": definition.starter_groups,
                    "starter_users": definition.starter_users,
                },
            )
        ]
    )


def _check_forms(parsed) -> None:
    """Every form the definition names exists and declares no variable the process computes.

    A user task's formKey (or formJsonSchemaFilename, as the engine reads it) and the start
    event's formKey name forms/<key>.schema.json in MOTCUA_FORMS_DIR. A missing form, or a form
    that would let callers set a variable the process computes (a unit, a due date, a script's
    result), is refused like any invalid BPMN (422 bpmn_invalid with the element and line).
    """
    protected = set(parsed.declarations.protected_variables)
    refs = list(parsed.form_refs)
    if parsed.declarations.start_form:
        refs.append(("start event", "formKey", parsed.declarations.start_form, None))
    for element_id, name, key, line in refs:
        fields = forms.declared(key)
        stem = key.removesuffix(".json").removesuffix(".schema")
        if fields is None:
            raise BpmnInvalid(
                f"The element '{element_id}' names the form '{key}' ({name}), but there is no "
                f"such form: forms/{stem}.schema.json is missing or is not a valid JSON Schema.",
                element_id=element_id,
                line=line,
            )
        clash = sorted(fields & protected)
        if clash:
            raise BpmnInvalid(
                f"The form '{key}' of element '{element_id}' declares {', '.join(clash)}, which the "
                "process computes (a script, a multi-instance item, a service result, a unit or due-date "
                "variable); callers may not set it. Rename the form's field or the process variable.",
                element_id=element_id,
                line=line,
            )


def get(key: str, version: int | None = None) -> ProcessDefinition:
    """A definition version, or the latest one of key."""
    query = sa.select(ProcessDefinition).where(ProcessDefinition.key == key)
    if version is None:
        query = query.order_by(ProcessDefinition.version.desc()).limit(1)
    else:
        query = query.where(ProcessDefinition.version == version)
    definition = db.session.scalar(query)
    if definition is None:
        what = f"version {version} of " if version is not None else ""
        raise NotFound(f"There is no {what}process definition {key!r}.")
    return definition


def versions(key: str) -> list[ProcessDefinition]:
    return list(
        db.session.scalars(
            sa.select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version)
        )
    )


def latest_page(page: int, per_page: int) -> tuple[list[ProcessDefinition], int]:
    """The latest version of every key, by key."""
    latest = (
        sa.select(ProcessDefinition.key, sa.func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    query = (
        sa.select(ProcessDefinition)
        .join(
            latest,
            sa.and_(ProcessDefinition.key == latest.c.key, ProcessDefinition.version == latest.c.version),
        )
        .order_by(ProcessDefinition.key)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(latest))
    items = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return items, total or 0


def overview() -> list[dict]:
    """Every deployed key, by key: its latest version (the row), the number of versions and who
    deployed the latest one (username, or None)."""
    counts = (
        sa.select(
            ProcessDefinition.key,
            sa.func.max(ProcessDefinition.version).label("version"),
            sa.func.count().label("versions"),
        )
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ProcessDefinition, counts.c.versions, User.username)
        .join(
            counts,
            sa.and_(ProcessDefinition.key == counts.c.key, ProcessDefinition.version == counts.c.version),
        )
        .outerjoin(User, User.id == ProcessDefinition.deployed_by_id)
        .order_by(ProcessDefinition.key)
    )
    return [{"definition": row[0], "versions": row[1], "deployed_by": row[2]} for row in rows]
