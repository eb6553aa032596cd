"""The dossiers' reads: which a user may see, a dossier by its reference, a page of them (by
status, unit, procedure and SLA class), their steps (Mẫu 05), and the
worklist's rows with the dossier each task's instance drives.

Reads live here, writes in operations.py. The API routes and the pages call the same functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from .. import sla
from ..errors import NotFound
from ..extensions import db
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..models_base import page_of
from ..procedures.models import Procedure
from ..tasks import projection
from ..tasks import queries as tasks
from ..tasks.models import Task
from . import drill
from . import search as finding
from .models import PAID, SLA_COLUMNS, Dossier, DossierStep, Payment
from .permissions import visible_to

# The order of a list of dossiers: newest first.
NEWEST = (Dossier.submitted_at.desc(), Dossier.id.desc())


def find(ref: str) -> Dossier:
    """A dossier by its code, or by its id before it is registered."""
    query = sa.select(Dossier)
    try:
        query = query.where(sa.or_(Dossier.code == ref, Dossier.id == uuid.UUID(ref)))
    except ValueError:
        query = query.where(Dossier.code == ref)
    dossier = db.session.scalar(query)
    if dossier is None:
        raise NotFound(f"There is no dossier {ref!r}.")
    return dossier


def of_instance(instance_id) -> Dossier | None:
    """The dossier an instance drives, if any."""
    return db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == instance_id))


def where(
    user,
    *,
    status=None,
    unit=None,
    procedure=None,
    overdue=None,
    due: str | None = None,
    q: str | None = None,
    window: sla.Window | None = None,
    filters: drill.Drill | None = None,
) -> sa.ColumnElement[bool]:
    """The dossiers a user may see, filtered: status, receiving unit, procedure code, overdue (late
    or not), due (an SLA class of service/sla.py), q (words of the code, the applicant's name, CCCD
    number or phone: search.py), and the indicators' filters (drill.py)."""
    conditions = [visible_to(user)]
    found = finding.condition(Dossier.search_text, q)
    if found is not None:
        conditions.append(found)
    if filters is not None and filters.given():
        conditions.append(drill.condition(filters))
    if status is not None:
        conditions.append(Dossier.status == status)
    if unit:
        conditions.append(Dossier.unit_code == unit)
    if procedure:
        conditions.append(
            Dossier.procedure_id.in_(sa.select(Procedure.id).where(Procedure.code == procedure))
        )
    if overdue is not None or due:
        window = window or tasks.sla_window()
    if overdue is not None:
        late = sla.condition(sla.Sla.LATE, window, SLA_COLUMNS)
        conditions.append(late if overdue else sa.not_(late))
    if due:
        conditions.append(sla.condition(due, window, SLA_COLUMNS))
    return sa.and_(*conditions)


def count(condition: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier).where(condition)) or 0


def page(condition: sa.ColumnElement[bool], number: int, per_page: int) -> list[Dossier]:
    """One page of the dossiers that match, newest first: one query (the procedure is joined
    eagerly, the applicant is a column)."""
    return list(
        db.session.scalars(
            sa.select(Dossier)
            .where(condition)
            .order_by(*NEWEST)
            .offset((number - 1) * per_page)
            .limit(per_page)
        )
    )


def search(
    user,
    *,
    status=None,
    unit=None,
    procedure=None,
    overdue=None,
    due=None,
    q=None,
    filters=None,
    page=1,
    per_page=50,
):
    """A page of the dossiers a user may see, newest first, with their count (see where())."""
    condition = where(
        user, status=status, unit=unit, procedure=procedure, overdue=overdue, due=due, q=q, filters=filters
    )
    return page_of(Dossier, condition, NEWEST, page, per_page)


def procedures_visible_to(user, limit: int = 1000) -> list[tuple[str, str]]:
    """(code, name) of the procedures of the dossiers a user may see, by code."""
    rows = db.session.execute(
        sa.select(Procedure.code, Procedure.name)
        .where(Procedure.id.in_(sa.select(Dossier.procedure_id).where(visible_to(user))))
        .order_by(Procedure.code, Procedure.version.desc())
        .limit(limit)
    ).all()
    return _one_per_code(rows)


def _one_per_code(rows) -> list[tuple[str, str]]:
    """A code once (its newest version's name first in `rows`), though dossiers hold several versions."""
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, name)
    return list(seen.items())


def steps(dossier: Dossier) -> list[DossierStep]:
    """The handovers of Mẫu 05, in order."""
    return list(
        db.session.scalars(
            sa.select(DossierStep).where(DossierStep.dossier_id == dossier.id).order_by(DossierStep.id)
        )
    )


def steps_with_due(dossier: Dossier) -> list[tuple[DossierStep, object]]:
    """The handovers of Mẫu 05, each with its task's due moment (None without one)."""
    return [
        (step, due_at)
        for step, due_at in db.session.execute(
            sa.select(DossierStep, Task.due_at)
            .outerjoin(Task, Task.id == DossierStep.task_id)
            .where(DossierStep.dossier_id == dossier.id)
            .order_by(DossierStep.id)
        ).all()
    ]


def payments(dossier: Dossier) -> list[Payment]:
    """Its payments (fee, financial obligation; online or at the counter), in order."""
    if dossier.code is None:  # a payment names the dossier's code: none before registration
        return []
    return list(
        db.session.scalars(
            sa.select(Payment)
            .where(Payment.dossier_id == dossier.id)
            .order_by(Payment.created_at, Payment.id)
        )
    )


def fee_paid(dossier: Dossier) -> bool:
    """Whether its fee is paid, or its procedure collects none through the process."""
    if not dossier.procedure.fee_amount:
        return True
    paid = sa.select(Payment.id).where(
        Payment.dossier_id == dossier.id, Payment.purpose == "fee", Payment.state == PAID
    )
    return db.session.scalar(paid.limit(1)) is not None


def return_method(dossier: Dossier) -> str | None:
    """How its result was returned (the return step's `method`), once it was."""
    if dossier.returned_at is None:
        return None
    return (instances.get(dossier.instance_id).variables or {}).get("method")


def current_tasks(dossier: Dossier) -> list[Task]:
    return tasks.open_of(dossier.instance_id)


def received(step) -> tuple[list[Task], list[DossierStep]] | None:
    """A new dossier's open tasks and Mẫu 05 steps as its reception's step wrote them (steps.Step),
    as a read of them would give them, without reading them back; None when its open tasks are not
    exactly those the step opened (one failed to open: an incident), and must be read."""
    opened = projection.opened_all(step)
    if opened is None:
        return None
    handovers = [
        DossierStep(**projection.as_read(row))
        for table, rows in step.inserts
        if table is DossierStep.__table__
        for row in rows
    ]
    return opened, handovers


# --- the worklist's rows, with their dossier -----------------------------------------------------


@dataclass
class TaskRow(tasks.WorklistRow):
    """A worklist row with the dossier its task's instance drives (None for a process without one)."""

    dossier_code: str | None = None
    procedure_name: str | None = None
    applicant: str | None = None
    submitted_at: object = None  # tells apart the dossiers not numbered yet


def of_procedure(code: str) -> sa.ColumnElement[bool]:
    """Tasks of the dossiers of one procedure of the catalogue: a correlated EXISTS probe of the
    task's own instance."""
    versions = sa.select(Procedure.id).where(Procedure.code == code)  # every version of the code
    return sa.exists().where(Dossier.instance_id == Task.instance_id, Dossier.procedure_id.in_(versions))


def worklist(
    condition: sa.ColumnElement[bool], *, page: int = 1, per_page: int = 50, order: str = "due"
) -> list[TaskRow]:
    """A page of tasks.queries' worklist (`condition` from tasks.queries.where, `of_procedure`
    among its extras) in one query, each row with its dossier's code, applicant and procedure."""
    query = (
        # Columns, not the Dossier entity: its eager inner join to procedures would drop the rows
        # of processes without a dossier.
        tasks.select_page(
            condition,
            Dossier.id,
            Dossier.code,
            Dossier.applicant,
            Dossier.submitted_at,
            Procedure.name,
            order=order,
            page=page,
            per_page=per_page,
        )
        .outerjoin(Dossier, Dossier.instance_id == ProcessInstance.id)
        .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
    )
    rows = db.session.execute(query).all()
    return [
        TaskRow(
            task=task,
            process_name=process_name,
            business_key=business_key,
            dossier_code=code,
            procedure_name=procedure_name if dossier_id else None,
            applicant=(applicant or {}).get("name"),
            submitted_at=submitted_at,
        )
        for (
            task,
            process_name,
            business_key,
            dossier_id,
            code,
            applicant,
            submitted_at,
            procedure_name,
        ) in rows
    ]


def procedures_of_tasks(user) -> list[tuple[str, str]]:
    """(code, name) of the procedures of the user's worklist page's tasks, for its filter: EXISTS
    probes from the catalogue side (a handful of rows)."""
    rows = db.session.execute(
        sa.select(Procedure.code, Procedure.name)
        .where(
            sa.exists().where(
                Dossier.procedure_id == Procedure.id,
                sa.exists().where(Task.instance_id == Dossier.instance_id, tasks.involving(user)),
            )
        )
        .order_by(Procedure.code, Procedure.version.desc())
    ).all()
    return _one_per_code(rows)
