"""The dossier list's filters behind the QĐ 766 indicators (reports/indicators.py): every number the
indicators show links to `GET /api/v1/dossiers` (and the list page) with these filters, and the list
then holds exactly the dossiers counted (tests/reports check it).

- `org_unit`: the dossiers of an org unit and of its sub-units (received by one, or of a procedure
  one of them handles: `permissions.in_units`);
- `period` (`month:2026-11`...): the dossiers the period counts (received before its end, not
  finished before its start: `dossiers.judging.counted`);
- judged at the period's end, or now for a period not over (or without a period): `standing`
  (`dossiers.judging.Standing` values), `digitised` (by then), `dvcqg_synced` (synced to the
  national portal by then), `finished` (by then), `returned` (by then), `min_supplements`
  (supplement requests made by then);
- plain columns: `channel`, `full_online` (the procedure is offered fully online), `outcome`,
  `e_result`, `fee_payment`;
- `step` (a BPMN element id): a step of Mẫu 05 of that element completed in the period (by its
  end, or now), `step_late` whether that step was late (the dashboard's worst steps).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..calendar import periods
from ..errors import NotFound, Unprocessable
from ..identity import tree
from ..models_base import utcnow
from ..procedures.models import Procedure
from . import judging
from .models import PAYMENTS, Dossier, DossierPause, DossierStep
from .permissions import in_units

STANDINGS = tuple(s.value for s in judging.Standing)
__all__ = ["PAYMENTS", "STANDINGS", "Drill", "condition", "judged_at", "period_of", "supplements_by"]


@dataclass
class Drill:
    """The filters as given (None: not filtered)."""

    org_unit: str | None = None
    period: str | None = None
    standing: list[str] | None = None
    channel: str | None = None
    full_online: bool | None = None
    digitised: bool | None = None
    dvcqg_synced: bool | None = None
    finished: bool | None = None
    returned: bool | None = None
    outcome: str | None = None
    e_result: bool | None = None
    fee_payment: list[str] | None = None
    min_supplements: int | None = None
    step: str | None = None
    step_late: bool | None = None

    @classmethod
    def of(cls, args) -> Drill:
        """The filters among a request's parsed arguments (a dict)."""
        return cls(**{f.name: args.get(f.name) for f in fields(cls)})

    def given(self) -> bool:
        return any(getattr(self, f.name) not in (None, []) for f in fields(self))


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])


def period_of(key: str) -> periods.Period:
    """A period from its key; 422 on the field `period` when it is not one."""
    try:
        return periods.parse(key, zone())
    except periods.PeriodError as exc:
        raise Unprocessable(str(exc), details={"fields": {"period": [str(exc)]}}) from None


def judged_at(period: periods.Period | None, now: datetime | None = None) -> datetime:
    """The moment a period's dossiers are judged at: its end, or now while it is not over."""
    now = now or utcnow()
    return now if period is None or period.end > now else period.end


def supplements_by(moment: datetime):
    """SQL: the supplement requests a dossier had made by `moment` (its kept pauses). A dossier
    that never asked for one (`supplement_requests`, which only grows) is not looked up."""
    counted = (
        sa.select(sa.func.count())
        .select_from(DossierPause)
        .where(
            DossierPause.dossier_id == Dossier.id,
            DossierPause.kind == "supplement",
            DossierPause.started_at <= moment,
        )
        .correlate(Dossier)
        .scalar_subquery()
    )
    return sa.case((Dossier.supplement_requests > 0, counted), else_=0)


def step_window(start: datetime | None, end: datetime | None, moment: datetime) -> sa.ColumnElement[bool]:
    """SQL (on dossier_steps): a step of Mẫu 05 completed in [start, end) and by `moment`."""
    conditions = [DossierStep.outcome == "completed", DossierStep.ended_at <= moment]
    if start is not None and end is not None:
        conditions += [DossierStep.ended_at >= start, DossierStep.ended_at < end]
    return sa.and_(*conditions)


def condition(drill: Drill, *, now: datetime | None = None) -> sa.ColumnElement[bool]:
    """SQL: the dossiers the filters keep (see the module's docstring)."""
    conditions: list[sa.ColumnElement[bool]] = []
    period = period_of(drill.period) if drill.period else None
    moment = judged_at(period, now)
    if drill.org_unit:
        try:
            conditions.append(in_units(tree.subtree(drill.org_unit)))
        except NotFound:  # an unknown unit holds no dossier
            conditions.append(sa.false())
    if period is not None:
        conditions.append(judging.counted(period.start, period.end))
    if drill.standing:
        bad = [value for value in drill.standing if value not in STANDINGS]
        if bad:
            message = f"standing must be among {', '.join(STANDINGS)}; got {', '.join(bad)}"
            raise Unprocessable(message, details={"fields": {"standing": [message]}})
        conditions.append(Dossier.received_at.is_not(None))
        conditions.append(judging.standing(moment).in_(drill.standing))
    if drill.channel:
        conditions.append(Dossier.channel == drill.channel)
    if drill.full_online is not None:
        eligible = sa.select(Procedure.id).where(Procedure.full_online.is_(True))
        ids = Dossier.procedure_id.in_(eligible)
        conditions.append(ids if drill.full_online else sa.not_(ids))
    for flag, column in (
        (drill.digitised, Dossier.digitised_at),
        (drill.dvcqg_synced, Dossier.dvcqg_synced_at),
        (drill.finished, Dossier.finished_at),
        (drill.returned, Dossier.returned_at),
    ):
        if flag is not None:
            by_then = sa.and_(column.is_not(None), column <= moment)
            conditions.append(by_then if flag else sa.not_(by_then))
    if drill.outcome:
        conditions.append(Dossier.outcome == drill.outcome)
    if drill.e_result is not None:
        conditions.append(Dossier.e_result.is_(True) if drill.e_result else Dossier.e_result.is_not(True))
    if drill.fee_payment:
        conditions.append(Dossier.fee_payment.in_(drill.fee_payment))
    if drill.min_supplements is not None:
        conditions.append(supplements_by(moment) >= drill.min_supplements)
    if drill.step:
        window = step_window(period.start if period else None, period.end if period else None, moment)
        step = [DossierStep.dossier_id == Dossier.id, DossierStep.element_id == drill.step, window]
        if drill.step_late is not None:
            late = DossierStep.verdict == "late"
            step.append(late if drill.step_late else sa.or_(DossierStep.verdict.is_(None), sa.not_(late)))
        conditions.append(sa.exists().where(*step))
    return sa.and_(sa.true(), *conditions)
