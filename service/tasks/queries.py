"""The tasks' reads: the worklist (one query for GET /api/v1/tasks and the worklist page, which
adds the dossier's columns through dossiers.queries), a task with its instance, the names of tasks,
the completed steps of an instance (from the audit), the SLA window of now.

Reads live here, writes in operations.py. The task states are re-exported for the pages, which
import no model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, undefer

from .. import frozen, inserts, sla, steps, uow
from ..audit.models import AuditEvent
from ..calendar.operations import calendar
from ..definitions.models import ProcessDefinition
from ..errors import NotFound
from ..extensions import db
from ..identity.models import User
from ..instances.models import ProcessInstance
from ..instances.queries import open_of
from ..models_base import utcnow
from .models import CANCELLED, COMPLETED, OPEN, SLA_COLUMNS, Task, task_candidates
from .permissions import candidate_of, visible_to

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "OPEN",
    "SCOPES",
    "STATES",
    "Worklist",
    "WorklistRow",
    "completions",
    "count",
    "get_with_instance",
    "involving",
    "names",
    "open_of",
    "processes_of",
    "select_page",
    "sla_window",
    "where",
    "worklist",
]

STATES = (OPEN, COMPLETED, CANCELLED)
# Whose tasks: "visible" every task the user may see (the API); "mine" those assigned to the user
# (open) or completed by them; "group" the open, unclaimed tasks of the user's groups and unit.
SCOPES = ("visible", "mine", "group")
# The orders of a page: "created" oldest first (the API's), "due" due first, none last, then oldest
# (the worklist page's default: the order of the open-tasks index), "due_desc" latest due first.
ORDERS = {
    "created": (Task.created_at, Task.id),
    "due": (Task.due_at.asc().nulls_last(), Task.created_at, Task.id),
    # Latest due first (none last): the worklist page's other order.
    "due_desc": (Task.due_at.desc().nulls_last(), Task.created_at, Task.id),
}


def sla_window() -> sla.Window:
    """Now, with the working calendar: what an SLA class is judged against (service/sla.py)."""
    return sla.Window.at(utcnow(), calendar())


@dataclass(frozen=True)
class Worklist:
    """Which tasks: a scope (SCOPES) and filters, each optional.

    state: in the "visible" scope a task state (None: any); in "mine" "open" (assigned to the
    user), "completed" (completed by the user) or None (either); the "group" scope is open tasks.
    process: a definition key. due: an SLA class (service/sla.py: late, due_soon, early, ...) or
    "none" (no due moment).
    """

    scope: str = "visible"
    state: str | None = OPEN
    candidate_group: str | None = None
    assignee: str | None = None  # a username, or "me"
    instance_id: object = None
    due_before: datetime | None = None
    process: str | None = None
    due: str | None = None


def _scope(user, scope: str, state: str | None) -> sa.ColumnElement[bool]:
    if scope == "group":
        return sa.and_(Task.state == OPEN, Task.assignee_id.is_(None), candidate_of(user))
    if scope == "mine":
        mine = sa.and_(Task.state == OPEN, Task.assignee_id == user.id)
        done = sa.and_(Task.state == COMPLETED, Task.completed_by_id == user.id)
        return {OPEN: mine, COMPLETED: done}.get(state or "", sa.or_(mine, done))
    visible = visible_to(user)
    return sa.and_(visible, Task.state == state) if state else visible


def involving(user) -> sa.ColumnElement[bool]:
    """The tasks of the user's worklist page, both tabs: assigned to or completed by them, or open
    and unclaimed in their groups and unit."""
    return sa.or_(_scope(user, "mine", None), _scope(user, "group", OPEN))


def where(user, which: Worklist, *extra, window: sla.Window | None = None) -> sa.ColumnElement[bool]:
    """The SQL condition of a worklist (and of any `extra` conditions on tasks)."""
    conditions = [_scope(user, which.scope, which.state)]
    if which.candidate_group:
        conditions.append(
            sa.exists().where(
                task_candidates.c.task_id == Task.id, task_candidates.c.group_name == which.candidate_group
            )
        )
    if which.assignee:
        if which.assignee == "me":
            conditions.append(Task.assignee_id == user.id)
        else:
            conditions.append(Task.assignee_id.in_(sa.select(User.id).where(User.username == which.assignee)))
    if which.instance_id is not None:
        conditions.append(Task.instance_id == which.instance_id)
    if which.due_before is not None:
        conditions.append(Task.due_at < which.due_before)
    if which.process:
        # A correlated EXISTS probe of the task's own instance, not an IN list of every instance
        # of the process.
        definitions = sa.select(ProcessDefinition.id).where(ProcessDefinition.key == which.process)
        conditions.append(
            sa.exists().where(
                ProcessInstance.id == Task.instance_id, ProcessInstance.definition_id.in_(definitions)
            )
        )
    if which.due:
        conditions.append(sla.condition(which.due, window or sla_window(), SLA_COLUMNS))
    return sa.and_(*conditions, *extra)


def count(condition: sa.ColumnElement[bool]) -> int:
    """How many tasks match a condition (from where())."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(condition)) or 0


def select_page(
    condition: sa.ColumnElement[bool],
    *columns,
    order: str = "created",
    page: int = 1,
    per_page: int = 50,
    offset: int | None = None,
) -> sa.Select:
    """SELECT Task, its definition's name, its instance's business key (and `columns`) of one page
    (offset: the first row's index, instead of the page's).

    The page's ids are found first, in the order of an index, without touching another table;
    only those rows are then joined to their instance and definition (a caller outer-joins more
    to ProcessInstance for its columns).
    """
    ordering = ORDERS[order]
    page_ids = (
        sa.select(Task.id)
        .where(condition)
        .order_by(*ordering)
        .offset((page - 1) * per_page if offset is None else offset)
        .limit(per_page)
        .subquery()
    )
    return (
        sa.select(Task, ProcessDefinition.name, ProcessInstance.business_key, *columns)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(Task.id.in_(sa.select(page_ids.c.id)))
        .order_by(*ordering)
    )


@dataclass
class WorklistRow:
    """A task of a worklist page, with what a list shows beside it."""

    task: Task
    process_name: str | None
    business_key: str | None


def worklist(
    user, which: Worklist, *, page: int = 1, per_page: int = 50, order: str = "created"
) -> tuple[list[WorklistRow], int]:
    """A page of the tasks that match, with the total count: two statements, the count and the page."""
    condition = where(user, which)
    total = count(condition)
    query = select_page(condition, order=order, page=page, per_page=per_page)
    rows = [WorklistRow(task, name, key) for task, name, key in db.session.execute(query).all()]
    return rows, total


def processes_of(user) -> list[tuple[str, str | None]]:
    """(key, name) of the definitions of the user's worklist page's tasks, for its filter: EXISTS
    probes from the catalogue side (a handful of rows), never a DISTINCT over every task of the
    user (with tens of thousands of open tasks that scan cost more than the page itself)."""
    instance_has_task = sa.exists().where(Task.instance_id == ProcessInstance.id, involving(user))
    rows = db.session.execute(
        sa.select(ProcessDefinition.key, ProcessDefinition.name).where(
            sa.exists().where(ProcessInstance.definition_id == ProcessDefinition.id, instance_has_task)
        )
    ).all()
    return [(key, name) for key, name in rows]


def get_with_instance(
    task_id, *, with_state: bool = False, lock: bool = False
) -> tuple[Task, ProcessInstance]:
    """A task and its instance in one query. `with_state` (the task is about to be completed): with
    the engine state, and the rows the step pipeline will need (steps.completion_reads: a dossier),
    kept for the unit of work. `lock`: where the step's writes are gathered into one statement
    (PostgreSQL: service/inserts.py), the task's row is locked until the unit ends (FOR UPDATE; a
    concurrent completion waits here, then finds it completed), so its completion needs no
    compare-and-set of its own (`locked`)."""
    lock = lock and inserts.gathered()
    reads = steps.completion_reads() if with_state else ()
    row = db.session.execute(_task_query(reads, lock), {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"There is no task {task_id}.")
    for kept in row[2:]:
        if kept is not None:
            uow.keep(kept)
            frozen.seed_related(kept)
    frozen.seed_related(row[1])  # the instance's definition, left out of the query
    unit = uow.current()
    if lock and unit is not None:
        unit.mark(_LOCKED + str(row[0].id))
    return row[0], row[1]


@functools.lru_cache(maxsize=16)
def _task_query(reads: tuple, lock: bool):
    """get_with_instance's statement (bound parameter task_id), built once per shape: a completion
    spends nothing on building it or on SQLAlchemy's cache key (memoised on the statement)."""
    query = (
        sa.select(Task, ProcessInstance)
        .join(ProcessInstance, Task.instance_id == ProcessInstance.id)
        # the assignee is named only when the completion is refused (claimed by someone else);
        # the definition is found in the session (service/frozen.py) when the process keeps it
        .options(lazyload(Task.assignee), lazyload(ProcessInstance.definition))
    )
    if reads:
        query = query.options(undefer(ProcessInstance.engine_state))
        for entity, on, options in (read() for read in reads):
            query = query.add_columns(entity).outerjoin(entity, on).options(*options)
    if lock:
        query = query.with_for_update(of=Task)
    return query.where(Task.id == sa.bindparam("task_id", type_=Task.id.type))


_LOCKED = "tasks.locked:"


def locked(task_id) -> bool:
    """Whether this unit of work holds the task's row locked since it read it (get_with_instance)."""
    unit = uow.current()
    return unit is not None and unit.marked(_LOCKED + str(task_id))


def names(task_ids) -> dict:
    """task id -> its name, for these tasks."""
    ids = {task_id for task_id in task_ids if task_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Task.id, Task.name).where(Task.id.in_(ids))).all())


def completions(instance_id, *, limit: int) -> list[tuple]:
    """The completed tasks of an instance, latest first, from the audit's `task_completed` facts:
    (task id, moment, the fact's data, the task's name and form key, the user who completed it)."""
    return list(
        db.session.execute(
            sa.select(AuditEvent.task_id, AuditEvent.at, AuditEvent.data, Task.name, Task.form_key, User)
            .outerjoin(Task, Task.id == AuditEvent.task_id)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.instance_id == instance_id, AuditEvent.type == "task_completed")
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).all()
    )
