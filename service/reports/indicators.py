"""The QĐ 766/QĐ-TTg index (DOMAIN.md §5) for a unit (with its sub-units) or the province, a period
and optionally a procedure, from the dossiers as they stood at the period's end (dossiers/judging.py;
the SQL in reports/indicator_queries.py).

The index itself (its groups, sub-indicators, points and ratings, as the law and DVCQG define them)
is reports/index766.py; this module counts the dossiers and scores them with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app

from ..calendar.periods import Period
from ..dossiers.drill import judged_at
from ..dossiers.judging import Standing
from ..dvcqg import mapping as dvcqg_mapping
from ..identity import operations as identity
from ..identity import tree
from ..models_base import utcnow
from ..procedures import operations as procedures
from . import indicator_queries as queries
from .index766 import DVCQG, GOOD, GROUPS, IN_TIME, IN_TIME_STANDINGS, LATE, Group, Indicator, points, rating

TREND_SECONDS = 600  # how long the trends keep a period that is over (trend())
TREND_KEPT = 5000  # at most this many kept periods (units x procedures x periods), then forgotten


def _link(filters: dict, extra) -> str:
    return "/api/v1/dossiers?" + urlencode({**filters, **dict(extra)})


def compute(
    period: Period,
    *,
    unit: str | None = None,
    procedure: str | None = None,
    now: datetime | None = None,
    detail: bool = True,
) -> dict:
    """The index for the period: the unit with its sub-units (None: the province), optionally one
    procedure. The JSON contract of GET /api/v1/reports/indicators (indicator_schemas.IndicatorsSchema);
    without `detail`, no procedures' and steps' tables (the dashboard's trends)."""
    moment = judged_at(period, now)
    unit_row = identity.find_unit(unit) if unit else None
    procedure_row = procedures.get(procedure) if procedure else None
    condition = queries.scope(tree.subtree(unit) if unit else None, procedure)
    per_procedure = queries.by_procedure(period.start, period.end, moment, condition)
    counts = queries.totals(per_procedure)
    del counts["worked_sum"], counts["worked_n"]
    counts["in_time"] = sum(counts[s.value] for s in IN_TIME_STANDINGS)
    counts["late_total"] = counts[Standing.LATE.value] + counts[Standing.OPEN_LATE.value]
    counts["supplements_per_dossier"] = (
        round(counts["supplement_requests"] / counts["counted"], 4) if counts["counted"] else None
    )
    base = {"period": period.key}
    if unit:
        base["org_unit"] = unit
    if procedure:
        base["procedure"] = procedure
    known = sources()
    groups = [_group(group, counts, base, known) for group in GROUPS]
    scored = [i for g in groups for i in g["indicators"] if i["points"] is not None]
    total_points = round(sum(i["points"] for i in scored), 2)
    scored_max = float(sum(i["max_points"] for i in scored))
    scaled = round(total_points * 100 / scored_max, 2) if scored_max else None
    return {
        "unit": {"code": unit_row.code, "name": unit_row.name} if unit_row else None,
        "period": {"key": period.key, "label": period.label, "start": period.start, "end": period.end},
        "procedure": {"code": procedure_row.code, "name": procedure_row.name} if procedure_row else None,
        "judged_at": moment,
        "counts": counts,
        "links": _count_links(base),
        "groups": groups,
        "total": {
            "points": total_points,
            "max_points": float(sum(g.max_points for g in GROUPS)),
            "scored_max": scored_max,
            "scaled": scaled,
            "rating": rating(scaled) if scaled is not None else None,
            "provisional": scored_max < 100,
            "target": GOOD,
        },
        "procedures": _procedures(per_procedure, base) if detail else [],
        "steps": _steps(queries.steps(period.start, period.end, moment, condition), base) if detail else [],
    }


def trend(
    period: Period, *, unit: str | None = None, procedure: str | None = None, count: int = 6
) -> list[dict]:
    """The index of the `count` periods of the same kind up to this one, oldest first: per period
    its key, label, total and each indicator's rate (the dashboard's charts).

    A period that is over is judged at its end, so its numbers do not change as its dossiers
    move on: they are kept for TREND_SECONDS in this app (a correction of past data, a unit
    moved or a procedure's online flag shows in the charts after that), the running one never."""
    periods = [period]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    now = utcnow()
    kept = current_app.extensions.setdefault("motcua.indicator_trend", {})
    points = []
    for each in periods:
        key = (each.key, unit, procedure)
        hit = kept.get(key)
        if hit is not None and hit[0] > now:
            points.append(hit[1])
            continue
        data = compute(each, unit=unit, procedure=procedure, now=now, detail=False)
        rates = {i["key"]: i["rate"] for g in data["groups"] for i in g["indicators"] if i["status"] == "ok"}
        point = {"key": each.key, "label": each.label, "total": data["total"], "rates": rates}
        if each.end <= now:
            if len(kept) > TREND_KEPT:
                kept.clear()
            kept[key] = (now + timedelta(seconds=TREND_SECONDS), point)
        points.append(point)
    return points


def sources() -> frozenset[str]:
    """The systems Motcua has the data of: DVCQG when its connector is configured (every dossier's
    statuses are pushed) or a dossier was ever synced (the data stays when it is removed)."""
    configured = current_app.extensions["motcua.connectors"].configs
    synced = dvcqg_mapping.connector() in configured or queries.ever_synced()
    return frozenset({DVCQG} if synced else ())


def _group(group: Group, counts: dict, base: dict, sources: frozenset[str]) -> dict:
    indicators = [_indicator(indicator, counts, base, sources) for indicator in group.indicators]
    scored = [i["points"] for i in indicators if i["points"] is not None]
    return {
        "key": group.key,
        "name": group.name,
        "max_points": float(group.max_points),
        "points": round(sum(scored), 2) if scored else None,
        "indicators": indicators,
    }


def _indicator(indicator: Indicator, counts: dict, base: dict, sources: frozenset[str]) -> dict:
    data = {
        "key": indicator.key,
        "name": indicator.name,
        "threshold": indicator.threshold,
        "max_points": float(indicator.max_points),
        "target": indicator.target,
    }
    if not indicator.has_data(sources):
        return {
            **data,
            "numerator": None,
            "denominator": None,
            "rate": None,
            "points": None,
            "status": "no_data",
            "dossiers": None,
            "denominator_dossiers": None,
        }
    numerator, denominator = counts[indicator.numerator], counts[indicator.denominator]
    rate = numerator / denominator if denominator else None
    scored = None
    if rate is not None and indicator.max_points:
        scored = round(points(rate, indicator.max_points, indicator.threshold), 2)
    elif rate is not None:
        scored = 0.0  # informational: shown, never scored
    return {
        **data,
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(rate, 4) if rate is not None else None,
        "points": scored,
        "status": "ok",
        "dossiers": _link(base, (*indicator.denominator_filters, *indicator.numerator_filters)),
        "denominator_dossiers": _link(base, indicator.denominator_filters),
    }


def _count_links(base: dict) -> dict:
    links = {"counted": _link(base, ()), "in_time": _link(base, (("standing", IN_TIME),))}
    links["late_total"] = _link(base, (("standing", LATE),))
    for standing in Standing:
        links[standing.value] = _link(base, (("standing", standing.value),))
    return links


def _steps(rows: list[dict], base: dict) -> list[dict]:
    """The worst steps, each with the dossiers behind its numbers."""
    for row in rows:
        own = {**base, "procedure": row["procedure"], "step": row["element_id"]}
        row["dossiers"] = _link(own, ())
        row["late_dossiers"] = _link(own, (("step_late", "true"),))
    return rows


def _procedures(rows: list[dict], base: dict) -> list[dict]:
    out = []
    for row in rows:
        own = {**base, "procedure": row["code"]}
        out.append(
            {
                "code": row["code"],
                "name": row["name"],
                "counted": row["counted"],
                "received": row["received"],
                "finished": row["finished"],
                "early": row[Standing.EARLY.value],
                "on_time": row[Standing.ON_TIME.value],
                "late": row[Standing.LATE.value] + row[Standing.OPEN_LATE.value],
                "average_days": row["average_days"],
                "dossiers": _link(own, ()),
                "late_dossiers": _link(own, (("standing", LATE),)),
            }
        )
    out.sort(key=lambda r: (-r["late"], -(r["counted"] or 0), r["code"]))
    return out
