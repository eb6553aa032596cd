"""The reads of the Camunda API, composed of the domains' own queries and visibility rules.

Tasks come from the worklist query (tasks.queries.where / select_page, with the caller's
`visible_to`), instances from instances.operations.search (with the instances' `visible_to`);
only the filters Camunda names and Motcua's domains do not are added here, as conditions.
Definitions are readable by every authenticated user, as in /api/v1/process-definitions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..definitions import operations as definitions
from ..definitions.models import ProcessDefinition
from ..errors import NotFound
from ..extensions import db
from ..identity.models import User
from ..identity.operations import principal_for_user
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..tasks import queries as tasks
from ..tasks.models import Task, task_candidates
from ..tasks.permissions import candidate_of
from . import shapes

RUNNING = ("running", "suspended", "error")  # Camunda's runtime API shows instances not yet ended


def definition(ident: str) -> ProcessDefinition:
    """The definition version a Camunda id names (404 when none)."""
    key, version, row = shapes.parse_definition_id(ident)
    found = definitions.get(key, version)
    if found.id != row:
        raise NotFound(f"No process definition with id '{ident[:300]}'.", code="definition_not_found")
    return found


@dataclass(frozen=True)
class Window:
    """Camunda's firstResult and maxResults (capped by the caller)."""

    first: int
    size: int


def _definition_conditions(filters: dict) -> list:
    conditions = []
    if "key" in filters:
        conditions.append(ProcessDefinition.key == filters["key"])
    if "keysIn" in filters:
        conditions.append(ProcessDefinition.key.in_(filters["keysIn"]))
    if "name" in filters:
        conditions.append(ProcessDefinition.name == filters["name"])
    if "nameLike" in filters:
        conditions.append(ProcessDefinition.name.like(filters["nameLike"]))
    if "filename" in filters:
        conditions.append(ProcessDefinition.filename == filters["filename"])
    if "version" in filters:
        conditions.append(ProcessDefinition.version == filters["version"])
    for name in ("id", "deploymentId"):
        if name in filters:
            key, version, row = shapes.parse_definition_id_or_none(filters[name])
            conditions.append(
                sa.and_(
                    ProcessDefinition.id == row,
                    ProcessDefinition.key == key,
                    ProcessDefinition.version == version,
                )
                if row is not None
                else sa.false()
            )
    if filters.get("latestVersion"):
        newest = aliased(ProcessDefinition)
        latest = (
            sa.select(sa.func.max(newest.version))
            .where(newest.key == ProcessDefinition.key)
            .scalar_subquery()
        )
        conditions.append(ProcessDefinition.version == latest)
    return conditions


def definitions_page(filters: dict, window: Window) -> list[ProcessDefinition]:
    query = (
        sa.select(ProcessDefinition)
        .where(*_definition_conditions(filters))
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
        .offset(window.first)
        .limit(window.size)
    )
    return list(db.session.scalars(query))


def definitions_count(filters: dict) -> int:
    query = sa.select(sa.func.count()).select_from(ProcessDefinition).where(*_definition_conditions(filters))
    return db.session.scalar(query) or 0


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _instance_conditions(filters: dict) -> list:
    conditions = [ProcessInstance.state.in_(RUNNING)]
    if "processDefinitionId" in filters:
        _key, _version, row = shapes.parse_definition_id_or_none(filters["processDefinitionId"])
        conditions.append(ProcessInstance.definition_id == row if row is not None else sa.false())
    if "processInstanceIds" in filters:
        ids = [each for each in map(_uuid, filters["processInstanceIds"]) if each is not None]
        conditions.append(ProcessInstance.id.in_(ids))
    if filters.get("suspended"):
        conditions.append(ProcessInstance.state == "suspended")
    if filters.get("active"):
        conditions.append(ProcessInstance.state == "running")
    return conditions


def instances_page(user, filters: dict, window: Window) -> tuple[list[ProcessInstance], int]:
    return instances.search(
        user,
        *_instance_conditions(filters),
        definition_key=filters.get("processDefinitionKey"),
        business_key=filters.get("businessKey"),
        per_page=window.size,
        offset=window.first,
    )


def running_instance(instance_id: str, *, with_state: bool = False) -> ProcessInstance:
    """An instance not yet ended (Camunda's runtime API forgets ended ones: 404)."""
    ident = _uuid(instance_id)
    found = instances.get(ident, with_state=with_state) if ident is not None else None
    if found is None or found.state not in RUNNING:
        raise NotFound(
            f"Process instance with id {instance_id[:80]} does not exist (or has ended).",
            code="instance_not_found",
        )
    return found


def _task_conditions(filters: dict) -> list:
    conditions = []
    if "taskDefinitionKey" in filters:
        conditions.append(Task.element_id == filters["taskDefinitionKey"])
    if "taskDefinitionKeyIn" in filters:
        conditions.append(Task.element_id.in_(filters["taskDefinitionKeyIn"]))
    if "processInstanceIdIn" in filters:
        ids = [each for each in map(_uuid, filters["processInstanceIdIn"]) if each is not None]
        conditions.append(Task.instance_id.in_(ids))
    if "processDefinitionKeyIn" in filters:
        keys = sa.select(ProcessDefinition.id).where(
            ProcessDefinition.key.in_(filters["processDefinitionKeyIn"])
        )
        conditions.append(
            sa.exists().where(ProcessInstance.id == Task.instance_id, ProcessInstance.definition_id.in_(keys))
        )
    if "candidateGroups" in filters:
        conditions.append(
            sa.exists().where(
                task_candidates.c.task_id == Task.id,
                task_candidates.c.group_name.in_(filters["candidateGroups"]),
            )
        )
    if "assigneeIn" in filters:
        conditions.append(
            Task.assignee_id.in_(sa.select(User.id).where(User.username.in_(filters["assigneeIn"])))
        )
    if "name" in filters:
        conditions.append(Task.name == filters["name"])
    if "processInstanceBusinessKey" in filters:
        conditions.append(
            Task.instance_id.in_(
                sa.select(ProcessInstance.id).where(
                    ProcessInstance.business_key == filters["processInstanceBusinessKey"]
                )
            )
        )
    if "processDefinitionId" in filters:
        _key, _version, row = shapes.parse_definition_id_or_none(filters["processDefinitionId"])
        conditions.append(
            Task.instance_id.in_(sa.select(ProcessInstance.id).where(ProcessInstance.definition_id == row))
            if row is not None
            else sa.false()
        )
    if "candidateUser" in filters:
        user = db.session.scalar(sa.select(User.id).where(User.username == filters["candidateUser"]))
        candidate = principal_for_user(user) if user is not None else None
        conditions.append(candidate_of(candidate) if candidate is not None else sa.false())
    candidates = {"candidateUser", "candidateGroup", "candidateGroups"} & set(filters)
    if filters.get("unassigned") or (candidates and not filters.get("includeAssignedTasks")):
        conditions.append(Task.assignee_id.is_(None))
    if filters.get("assigned"):
        conditions.append(Task.assignee_id.is_not(None))
    return conditions


def _task_condition(user, filters: dict):
    instance = filters.get("processInstanceId")
    instance_id = _uuid(instance) if instance is not None else None
    which = tasks.Worklist(
        state=tasks.OPEN,
        candidate_group=filters.get("candidateGroup"),
        assignee=filters.get("assignee"),
        instance_id=instance_id,
        process=filters.get("processDefinitionKey"),
    )
    extra = _task_conditions(filters)
    if instance is not None and instance_id is None:
        extra.append(sa.false())
    return tasks.where(user, which, *extra)


@dataclass(frozen=True)
class TaskRow:
    task: Task
    definition_id: str
    instance_state: str
    assignee: str | None


def tasks_page(user, filters: dict, window: Window) -> list[TaskRow]:
    query = tasks.select_page(
        _task_condition(user, filters),
        ProcessDefinition.key,
        ProcessDefinition.version,
        ProcessDefinition.id,
        ProcessInstance.state,
        per_page=window.size,
        offset=window.first,
    )
    return [
        TaskRow(task, f"{key}:{version}:{row}", state, task.assignee.username if task.assignee else None)
        for task, _name, _business_key, key, version, row, state in db.session.execute(query).all()
    ]


def tasks_count(user, filters: dict) -> int:
    return tasks.count(_task_condition(user, filters))


def definition_ids_of(instance_ids) -> dict:
    """instance id -> the Camunda id of its definition, for these instances."""
    if not instance_ids:
        return {}
    rows = db.session.execute(
        sa.select(ProcessInstance.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id.in_(list(instance_ids)))
    )
    return {ident: f"{key}:{version}:{row}" for ident, key, version, row in rows}
