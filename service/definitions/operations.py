"""Deploying and looking up process definitions."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from integrations import contracts

from .. import forms
from ..audit.operations import fact, record
from ..engine import BpmnInvalid, Budgets, ParsedDefinition, ParsedFile, parse_file
from ..errors import NotFound
from ..extensions import db
from ..identity.models import User
from ..models_base import utcnow
from .models import Diagram, ProcessDefinition


@dataclass
class Deployment:
    """What one deploy of a file did: each executable process's definition (and whether it is a new
    version), or the diagram when the file has none, and the parse (its report)."""

    parsed: ParsedFile
    definitions: list[tuple[ProcessDefinition, bool]] = field(default_factory=list)
    diagram: Diagram | None = None
    diagram_created: bool = False

    @property
    def created(self) -> bool:
        return self.diagram_created or any(created for _, created in self.definitions)


def deploy_file(
    data: bytes,
    *,
    filename: str,
    actor,
    max_bytes: int,
    starter_groups: list[str] | None = None,
    starter_users: list[str] | None = None,
) -> Deployment:
    """Validate and store a BPMN file: each executable process as its own definition (versioned by
    its process id, see deploy_definition), or, without one, the file as a diagram (stored and
    listed, never started). Diagrams from Camunda Modeler are mapped at deploy (engine/modeler.py);
    the parse's report says what is kept but will not run. A new version of a process that starts
    on a timer needs an instance waiting on it: the caller arms it (instances.operations.arm_timer_start).
    """
    budgets = Budgets.from_settings(current_app.config)  # the limits the app's engine runs with
    parsed = parse_file(data, filename=filename, max_bytes=max_bytes, budgets=budgets)
    deployment = Deployment(parsed)
    for each in parsed.definitions:
        _check_forms(each)
        _check_service_calls(each)
    for each in parsed.definitions:
        deployment.definitions.append(
            deploy_definition(
                each,
                data,
                filename=filename,
                actor=actor,
                starter_groups=starter_groups,
                starter_users=starter_users,
            )
        )
    if parsed.diagram_only:
        deployment.diagram, deployment.diagram_created = _deploy_diagram(parsed, data, filename, actor)
    return deployment


def deploy(data: bytes, **kwargs) -> tuple[ProcessDefinition, bool]:
    """Deploy a file that declares one executable process (deploy_file); its (definition, created)."""
    deployment = deploy_file(data, **kwargs)
    if len(deployment.definitions) != 1:
        raise BpmnInvalid(
            f"The file declares {len(deployment.definitions)} executable processes; deploy it through "
            "the API, which deploys each of them (or none, as a diagram)."
        )
    return deployment.definitions[0]


def deploy_definition(
    parsed: ParsedDefinition,
    data: bytes,
    *,
    filename: str,
    actor,
    starter_groups: list[str] | None = None,
    starter_users: list[str] | None = None,
) -> tuple[ProcessDefinition, bool]:
    """Store one compiled process of a file. Returns (definition, created).

    Identical content for a key returns the existing version; changed content makes
    version n+1. Two deploys racing for the same version collide on the unique
    (key, version) constraint and the loser gets 409. Who may start it comes from the BPMN
    (camunda:candidateStarterGroups / candidateStarterUsers) unless starter_groups or
    starter_users are given here; given again with identical content, they replace the
    existing version's.
    """
    declared = parsed.declarations
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
        initiator_variable=declared.initiator_variable,
        start_messages=list(declared.start_messages) or None,
        day_kind=declared.day_kind,
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


def _deploy_diagram(parsed: ParsedFile, data: bytes, filename: str, actor) -> tuple[Diagram, bool]:
    """Store a file without an executable process as a diagram; identical content: the existing one."""
    existing = db.session.scalar(
        sa.select(Diagram).where(Diagram.key == parsed.key, Diagram.checksum == parsed.checksum)
    )
    if existing is not None:
        return existing, False
    latest = db.session.scalar(sa.select(sa.func.max(Diagram.version)).where(Diagram.key == parsed.key))
    now = utcnow()
    diagram = Diagram(
        key=parsed.key[:255],
        version=(latest or 0) + 1,
        name=parsed.name[:255],
        checksum=parsed.checksum,
        filename=filename,
        bpmn=data,
        processes=list(parsed.non_executable),
        report=[note.as_dict() for note in parsed.report],
        deployed_at=now,
        deployed_by_id=actor.id if actor is not None else None,
    )
    db.session.add(diagram)
    db.session.flush()
    record(
        [
            fact(
                "diagram_deployed",
                at=now,
                actor=actor,
                data={"key": diagram.key, "version": diagram.version, "checksum": diagram.checksum},
            )
        ]
    )
    return diagram, True


def _version_of(model, key: str, version: int | None, noun: str):
    """A version of a versioned row (a definition or a diagram), or the latest one of key."""
    query = sa.select(model).where(model.key == key)
    if version is None:
        query = query.order_by(model.version.desc()).limit(1)
    else:
        query = query.where(model.version == version)
    found = db.session.scalar(query)
    if found is None:
        what = f"version {version} of " if version is not None else ""
        raise NotFound(f"There is no {what}{noun} {key!r}.")
    return found


def diagram(key: str, version: int | None = None) -> Diagram:
    """A diagram version, or the latest one of key."""
    return _version_of(Diagram, key, version, "diagram")


def diagrams() -> list[Diagram]:
    """The latest version of every diagram, by key."""
    latest = (
        sa.select(Diagram.key, sa.func.max(Diagram.version).label("version")).group_by(Diagram.key).subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Diagram)
            .join(latest, sa.and_(Diagram.key == latest.c.key, Diagram.version == latest.c.version))
            .order_by(Diagram.key)
        )
    )


def diagram_versions(key: str) -> list[Diagram]:
    return list(db.session.scalars(sa.select(Diagram).where(Diagram.key == key).order_by(Diagram.version)))


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


def _check_service_calls(parsed) -> None:
    """Every service task names an operation a connector's contract offers, with the parameters it
    takes (integrations/contracts/): an unknown operation, a missing required parameter, one it
    does not take, or a literal value that cannot fit is refused like invalid BPMN (422
    bpmn_invalid naming the element)."""
    offered = contracts.load()
    for call in parsed.declarations.service_calls:
        problems = contracts.deploy_problems(
            call.operation, [name for name, _ in call.params], dict(call.literals), offered
        )
        if problems:
            raise BpmnInvalid(
                f"The service task '{call.name}' ({call.element_id}) cannot call "
                f"{call.operation or '(no operation)'}: " + "; ".join(problems) + ".",
                element_id=call.element_id,
            )


def get(key: str, version: int | None = None) -> ProcessDefinition:
    """A definition version, or the latest one of key."""
    return _version_of(ProcessDefinition, key, version, "process definition")


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
