"""The worklist page's queries: my tasks and my groups' unassigned tasks, filtered and paged."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from .. import sla
from ..calendar.operations import calendar
from ..definitions.models import ProcessDefinition
from ..dossiers.models import Dossier
from ..extensions import db
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..procedures.models import Procedure
from ..tasks.models import COMPLETED, OPEN, SLA_COLUMNS, Task
from ..tasks.predicates import candidate_of
from . import display

PER_PAGE = 20
TABS = ("mine", "group")
STATES = ("open", "completed", "any")
DUES = ("late", "due_soon", "early", "none")


@dataclass
class Filters:
    tab: str = "mine"
    source: str = ""  # "process:<definition key>" or "procedure:<procedure code>"
    state: str = "open"  # of "mine"; the group tab shows open tasks only
    due: str = ""
    page: int = 1

    @classmethod
    def parse(cls, args) -> Filters:
        def pick(name, allowed, default):
            value = args.get(name, default)
            return value if value in allowed else default

        source = args.get("source", "")
        kind, _, value = source.partition(":")
        try:
            page = min(max(int(args.get("page", 1)), 1), 100_000)
        except ValueError:
            page = 1
        return cls(
            tab=pick("tab", TABS, "mine"),
            source=source if kind in {"process", "procedure"} and 0 < len(value) <= 255 else "",
            state=pick("state", STATES, "open"),
            due=pick("due", DUES, ""),
            page=page,
        )

    def query(self, **changes) -> dict:
        """URL arguments of these filters with some changed (empty ones left out)."""
        values = {"tab": self.tab, "source": self.source, "state": self.state, "due": self.due}
        values.update(changes)
        return {k: v for k, v in values.items() if v and not (k == "state" and v == "open")}


@dataclass
class Row:
    task: Task
    process_name: str
    business_key: str | None
    dossier_code: str | None
    procedure_name: str | None
    applicant: str | None
    due: str | None
    due_label: str
    created: str
    due_at: str
    can_claim: bool
    can_unclaim: bool


@dataclass
class Page:
    rows: list[Row]
    total: int
    counts: dict[str, int]
    pages: int
    sources: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


def _tab(user, tab: str, state: str) -> sa.ColumnElement[bool]:
    if tab == "group":
        return sa.and_(Task.state == OPEN, Task.assignee_id.is_(None), candidate_of(user))
    mine = sa.and_(Task.state == OPEN, Task.assignee_id == user.id)
    done = sa.and_(Task.state == COMPLETED, Task.completed_by_id == user.id)
    return {"open": mine, "completed": done}.get(state, sa.or_(mine, done))


def _source(source: str) -> sa.ColumnElement[bool] | None:
    """The tasks of one process (by key) or one procedure of the catalogue: correlated EXISTS
    probes of the task's own instance, not IN lists of every instance of the process."""
    kind, _, value = source.partition(":")
    if kind == "process":
        definitions = sa.select(ProcessDefinition.id).where(ProcessDefinition.key == value)
        return sa.exists().where(
            ProcessInstance.id == Task.instance_id, ProcessInstance.definition_id.in_(definitions)
        )
    if kind == "procedure":
        procedure = sa.select(Procedure.id).where(Procedure.code == value).scalar_subquery()
        return sa.exists().where(Dossier.instance_id == Task.instance_id, Dossier.procedure_id == procedure)
    return None


def _sources(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The processes and procedures of the caller's tasks, for the filter (both tabs).

    The catalogue side with EXISTS probes (a handful of rows), never a DISTINCT over every task
    of the user: with tens of thousands of open tasks that scan cost more than the page itself.
    """
    mine = sa.or_(_tab(user, "mine", "any"), _tab(user, "group", "open"))
    instance_has_task = sa.exists().where(Task.instance_id == ProcessInstance.id, mine)
    definitions = db.session.execute(
        sa.select(ProcessDefinition.key, ProcessDefinition.name).where(
            sa.exists().where(ProcessInstance.definition_id == ProcessDefinition.id, instance_has_task)
        )
    ).all()
    procedures = db.session.execute(
        sa.select(Procedure.code, Procedure.name).where(
            sa.exists().where(
                Dossier.procedure_id == Procedure.id,
                sa.exists().where(Task.instance_id == Dossier.instance_id, mine),
            )
        )
    ).all()
    latest: dict[str, str] = {}
    for key, name in definitions:  # one entry per key (its versions may be named differently)
        latest[key] = name or latest.get(key) or key
    processes = sorted(((f"process:{key}", name) for key, name in latest.items()), key=lambda o: o[1])
    catalogue = sorted((f"procedure:{code}", f"{code}{display.DASH}{name}") for code, name in procedures)
    return [
        (name, options) for name, options in (("process", processes), ("procedure", catalogue)) if options
    ]


def load(user, filters: Filters) -> Page:
    window = sla.Window.at(utcnow(), calendar())
    due = sla.condition(filters.due, window, SLA_COLUMNS) if filters.due else None
    extra = [c for c in (_source(filters.source), due) if c is not None]
    state = "open" if filters.tab == "group" else filters.state
    where = sa.and_(_tab(user, filters.tab, state), *extra)
    counts = {
        tab: db.session.scalar(
            sa.select(sa.func.count()).select_from(Task).where(_tab(user, tab, filters.state), *extra)
        )
        or 0
        for tab in TABS
    }
    total = counts[filters.tab]
    pages = max(1, math.ceil(total / PER_PAGE))
    filters.page = min(filters.page, pages)
    # Due first (none last), then oldest: the order of the open-tasks index, so the database
    # finds the page's ids without sorting every matching task; the joins then touch 20 rows.
    order = (Task.due_at.asc().nulls_last(), Task.created_at, Task.id)
    page_ids = (
        sa.select(Task.id)
        .where(where)
        .order_by(*order)
        .offset((filters.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .subquery()
    )
    query = (
        # Columns, not the Dossier entity: its eager inner join to procedures would drop the rows
        # of processes without a dossier.
        sa.select(
            Task,
            ProcessDefinition.name,
            ProcessInstance.business_key,
            Dossier.id,
            Dossier.code,
            Dossier.applicant,
            Procedure.name,
        )
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Dossier, Dossier.instance_id == ProcessInstance.id)
        .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
        .where(Task.id.in_(sa.select(page_ids.c.id)))
        .order_by(*order)
    )
    rows = []
    for task, process_name, business_key, dossier_id, code, applicant, procedure_name in db.session.execute(
        query
    ).all():
        status = task.sla_class(window)
        rows.append(
            Row(
                task=task,
                process_name=process_name,
                business_key=business_key,
                dossier_code=code,
                procedure_name=procedure_name if dossier_id else None,
                applicant=(applicant or {}).get("name"),
                due=status,
                due_label=display.due_label(status, task.state),
                created=display.local_datetime(task.created_at),
                due_at=display.local_datetime(task.due_at),
                can_claim=task.state == OPEN and task.assignee_id is None,
                can_unclaim=task.state == OPEN and task.assignee_id == user.id,
            )
        )
    return Page(rows=rows, total=total, counts=counts, pages=pages, sources=_sources(user))
