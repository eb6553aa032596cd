"""The SQL behind the QĐ 766 indicators (reports/indicators.py): one pass over a period's dossiers,
aggregated in the database (GROUP BY), never a loop over dossiers in Python.

`judged` is the period's dossiers, one row each, with how each stood at the moment T (the period's
end, or now while it is not over: `dossiers.judging`) and the facts the indicators read, each as it
was at T (digitised by T, synced to the national portal by T, finished by T, returned by T,
supplement requests made by T), so a past period gives the same numbers after its dossiers move
on. `by_procedure` sums it per procedure (one query) and `totals` adds those up for the whole
scope, `steps` ranks the steps of Mẫu 05 by lateness.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..dossiers import judging
from ..dossiers.drill import step_window, supplements_by
from ..dossiers.judging import Standing
from ..dossiers.models import Dossier, DossierStep
from ..dossiers.permissions import in_units
from ..extensions import db
from ..procedures.models import Procedure

PAID = ("online", "counter", "post")  # a fee was paid (the return form's fee_payment)


def scope(unit_codes: list[str] | None, procedure: str | None) -> sa.ColumnElement[bool]:
    """SQL: the dossiers of these org units (None: the province, every dossier) and procedure."""
    conditions = []
    if unit_codes is not None:
        conditions.append(in_units(unit_codes))
    if procedure:
        conditions.append(
            Dossier.procedure_id.in_(sa.select(Procedure.id).where(Procedure.code == procedure))
        )
    return sa.and_(sa.true(), *conditions)


def _by(column, moment: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column.is_not(None), column <= moment)


def judged(start: datetime, end: datetime, moment: datetime, condition) -> sa.Subquery:
    """The dossiers the period [start, end) counts within `condition`, judged at `moment`."""
    finished = _by(Dossier.finished_at, moment)
    return (
        sa.select(
            Dossier.procedure_id.label("procedure_id"),
            judging.standing(moment).label("standing"),
            (Dossier.received_at >= start).label("received_in"),
            (Dossier.channel == "online").label("online"),
            Procedure.full_online.label("eligible"),
            _by(Dossier.digitised_at, moment).label("digitised"),
            _by(Dossier.dvcqg_synced_at, moment).label("synced"),
            sa.and_(finished, Dossier.outcome == "approved").label("resulted"),
            sa.and_(finished, Dossier.outcome == "approved", Dossier.e_result.is_(True)).label("e_result"),
            sa.and_(_by(Dossier.returned_at, moment), Dossier.fee_payment.in_(PAID)).label("paid"),
            sa.and_(_by(Dossier.returned_at, moment), Dossier.fee_payment == "online").label("paid_online"),
            supplements_by(moment).label("supplements"),
            finished.label("finished"),
            sa.case((finished, Dossier.outcome), else_=None).label("outcome"),
            sa.case((finished, Dossier.worked_days), else_=None).label("worked_days"),
        )
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(judging.counted(start, end), condition)
        # A fence (OFFSET 0): the database computes each row's columns once, instead of pulling
        # the subquery up into every aggregate that reads a column (PostgreSQL would run the
        # judging's correlated subqueries once per reference: dozens per dossier).
        .offset(0)
        .subquery("judged")
    )


# The counts of `_columns`, by name, that add up over procedures.
SUMMED = (
    "counted",
    "received",
    "finished",
    *(standing.value for standing in Standing),
    "online",
    "eligible",
    "full_online",
    "digitised",
    "synced",
    "resulted",
    "e_results",
    "paid",
    "paid_online",
    "supplement_requests",
    "with_supplements",
    "multiple_supplements",
    "refused",
    "withdrawn",
    "stopped",
    "worked_sum",
    "worked_n",
)


def _n(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _columns(rows: sa.Subquery) -> list:
    c = rows.c
    standings = [_n(c.standing == value.value).label(value.value) for value in Standing]
    return [
        sa.func.count().label("counted"),
        _n(c.received_in).label("received"),
        _n(c.finished).label("finished"),
        *standings,
        _n(c.online).label("online"),
        _n(c.eligible).label("eligible"),
        _n(sa.and_(c.eligible, c.online)).label("full_online"),
        _n(c.digitised).label("digitised"),
        _n(c.synced).label("synced"),
        _n(c.resulted).label("resulted"),
        _n(c.e_result).label("e_results"),
        _n(c.paid).label("paid"),
        _n(c.paid_online).label("paid_online"),
        sa.func.coalesce(sa.func.sum(c.supplements), 0).label("supplement_requests"),
        _n(c.supplements > 0).label("with_supplements"),
        _n(c.supplements > 1).label("multiple_supplements"),
        _n(c.outcome == "refused").label("refused"),
        _n(c.outcome == "withdrawn").label("withdrawn"),
        _n(c.outcome == "stopped").label("stopped"),
        sa.func.coalesce(sa.func.sum(c.worked_days), 0).label("worked_sum"),
        sa.func.count(c.worked_days).label("worked_n"),
    ]


def ever_synced() -> bool:
    """Whether any dossier was ever synced to the national portal: the first moment of the index
    (min() reads one end of ix_dossiers_dvcqg_synced_at; an EXISTS of IS NOT NULL was planned as a
    scan of every dossier, 0.3 s at a million, when none was ever synced)."""
    return db.session.scalar(sa.select(sa.func.min(Dossier.dvcqg_synced_at))) is not None


def by_procedure(start: datetime, end: datetime, moment: datetime, condition) -> list[dict]:
    """The period's counts per procedure, with its code and name (one pass: the scope's totals
    are their sums, `totals`)."""
    rows = judged(start, end, moment, condition)
    query = (
        sa.select(Procedure.code, Procedure.name, *_columns(rows))
        .select_from(rows)
        .join(Procedure, Procedure.id == rows.c.procedure_id)
        .group_by(Procedure.code, Procedure.name)
    )
    return [_plain(row) for row in db.session.execute(query).mappings()]


def totals(per_procedure: list[dict]) -> dict:
    """The scope's counts: the sums of the procedures' (the average over every finished one)."""
    total = dict.fromkeys(SUMMED, 0)
    for row in per_procedure:
        for key in SUMMED:
            total[key] += row[key]
    return _averaged(total)


def steps(start: datetime, end: datetime, moment: datetime, condition, limit: int = 10) -> list[dict]:
    """The steps of Mẫu 05 done in the period (by `moment`) for the period's dossiers in the scope,
    by procedure and element: how many dossiers went through it, in how many it was late (a
    reopened step counts once per dossier), the average working days a round used; most late
    first. The dossier list's `step` and `step_late` filters (dossiers/drill.py) hold the same."""
    late = sa.func.count(sa.distinct(sa.case((DossierStep.verdict == "late", DossierStep.dossier_id))))
    done = sa.func.count(sa.distinct(DossierStep.dossier_id))
    query = (
        sa.select(
            Procedure.code.label("procedure"),
            DossierStep.element_id,
            sa.func.max(DossierStep.name).label("name"),
            done.label("done"),
            late.label("late"),
            sa.func.avg(DossierStep.used_days).label("average_days"),
        )
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(step_window(start, end, moment), judging.counted(start, end), condition)
        .group_by(Procedure.code, DossierStep.element_id)
        .order_by(late.desc(), done.desc(), Procedure.code, DossierStep.element_id)
        .limit(limit)
    )
    return [_plain(row) for row in db.session.execute(query).mappings()]


def _plain(row) -> dict:
    data = dict(row)
    for key, value in data.items():
        if key == "average_days":
            data[key] = round(float(value), 2) if value is not None else None
        elif key == "worked_sum":
            data[key] = float(value or 0)
        elif key not in ("code", "name", "procedure", "element_id") and value is not None:
            data[key] = int(value)
    return _averaged(data) if "worked_sum" in data else data


def _averaged(data: dict) -> dict:
    """The average working days of the finished dossiers from their sum and number."""
    count = data.get("worked_n") or 0
    data["average_days"] = round(data["worked_sum"] / count, 2) if count else None
    return data
