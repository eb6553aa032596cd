"""The heatmap of a procedure's process over a period: per BPMN element, the Mẫu 05 steps
(`dossier_steps`) that ended in the period, for dossiers of the procedure (of a unit, if given):

- `dossiers`: how many dossiers passed there (distinct), `steps`: how many rounds (a step reopened
  after a supplement or a consultation counts again);
- `median_days`, `p90_days`: the working days a round used there (`used_days`), the 50th and 90th
  percentiles, interpolated between the two nearest values like PostgreSQL's `percentile_cont`;
- `late`, `judged`, `late_share`: rounds judged late against their allotment, rounds with an
  allotment, and the share (None when no round had one).

Counts and shares are one GROUP BY in SQL on every database. The percentiles are
`percentile_cont(...) WITHIN GROUP (ORDER BY used_days)` on PostgreSQL; SQLite has no ordered-set
aggregate, so there the values are read ordered by element and days, one element's values at a
time, and interpolated in Python with the same formula (`percentile`), so both answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

import sqlalchemy as sa

from ..calendar.periods import Period
from ..definitions.models import ProcessDefinition
from ..dossiers.models import Dossier, DossierStep
from ..extensions import db
from ..procedures import operations as procedures


def percentile(ordered: list[float], fraction: float) -> float | None:
    """The continuous percentile of values sorted ascending (PostgreSQL's percentile_cont)."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _where(procedure_code: str, period: Period, unit: str | None) -> list:
    conditions = [
        Dossier.procedure_id.in_(procedures.version_ids(procedure_code)),  # under any of its versions
        DossierStep.ended_at >= period.start,
        DossierStep.ended_at < period.end,
    ]
    if unit:
        conditions.append(Dossier.unit_code == unit)
    return conditions


def _percentiles(conditions: list) -> dict[str, tuple[float | None, float | None]]:
    if db.session.get_bind().dialect.name == "postgresql":
        median = sa.func.percentile_cont(0.5).within_group(DossierStep.used_days)
        p90 = sa.func.percentile_cont(0.9).within_group(DossierStep.used_days)
        query = (
            sa.select(DossierStep.element_id, median, p90)
            .join(Dossier, Dossier.id == DossierStep.dossier_id)
            .where(*conditions)
            .group_by(DossierStep.element_id)
        )
        return {element: (low, high) for element, low, high in db.session.execute(query)}
    query = (
        sa.select(DossierStep.element_id, DossierStep.used_days)
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .where(*conditions)
        .order_by(DossierStep.element_id, DossierStep.used_days)
        .execution_options(yield_per=1000)
    )
    out = {}
    rows: Iterable = db.session.execute(query)
    for element, values in groupby(rows, key=lambda row: row[0]):
        ordered = [float(row[1]) for row in values]
        out[element] = (percentile(ordered, 0.5), percentile(ordered, 0.9))
    return out


def heatmap(procedure_code: str, period: Period, unit: str | None) -> dict:
    """The heatmap's numbers for a procedure (404 if unknown), a period and a unit (None: all)."""
    procedure = procedures.get(procedure_code)
    conditions = _where(procedure.code, period, unit)
    late = sa.func.sum(sa.case((DossierStep.verdict == "late", 1), else_=0))
    judged = sa.func.count(DossierStep.verdict)
    query = (
        sa.select(
            DossierStep.element_id,
            sa.func.max(DossierStep.name),
            sa.func.count(sa.distinct(DossierStep.dossier_id)),
            sa.func.count(DossierStep.id),
            late,
            judged,
        )
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .where(*conditions)
        .group_by(DossierStep.element_id)
        .order_by(DossierStep.element_id)
    )
    percentiles = _percentiles(conditions)
    elements = []
    for element, name, dossiers, steps, late_count, judged_count in db.session.execute(query):
        median, p90 = percentiles.get(element, (None, None))
        elements.append(
            {
                "element_id": element,
                "name": name,
                "dossiers": dossiers,
                "steps": steps,
                "median_days": _round(median),
                "p90_days": _round(p90),
                "late": int(late_count or 0),
                "judged": judged_count,
                "late_share": round(late_count / judged_count, 4) if judged_count else None,
            }
        )
    definition = _latest_definition(procedure.process_key)
    return {
        "procedure": procedure.code,
        "procedure_name": procedure.name,
        "period": period.key,
        "label": period.label,
        "unit": unit,
        "definition_key": procedure.process_key,
        "definition_version": definition.version if definition else None,
        "definition_id": definition.id if definition else None,
        "elements": elements,
    }


def _round(value) -> float | None:
    return None if value is None else round(float(value), 4)


def _latest_definition(key: str) -> ProcessDefinition | None:
    """The version of the procedure's process drawn (its latest)."""
    return db.session.scalar(
        sa.select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
