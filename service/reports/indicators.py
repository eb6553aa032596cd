"""The QĐ 766/QĐ-TTg index (DOMAIN.md §5) for a unit (with its sub-units) or the province, a period
and optionally a procedure, from the dossiers as they stood at the period's end (dossiers/judging.py;
the SQL in reports/indicator_queries.py).

**The catalogue** (`GROUPS`): the five groups and their points [P: Sở Nội vụ Nam Định], the
sub-indicators as DVCQG scores them [T], each with its maximum, its threshold and its target:

- points: at or above the threshold, the maximum; below it, rate x maximum / threshold [T];
- a threshold the sources do not give is 100 % [I] (the on-time rate, electronic results);
- the share of the period's dossiers synced to DVCQG by its end (`dossiers.dvcqg_synced_at`: the
  portal accepted a status push of it, service/dvcqg/pushes.py) is `no_data` while the `dvc`
  connector is not configured and no dossier was ever synced;
- indicators Motcua holds no data for (publication, CSDLQG, e-certified copies, data
  reuse, the personal data warehouse, the population database, PAKN, satisfaction) are `no_data`:
  never 0 nor 100; their points are null, and the total says the maximum it is out of
  (`scored_max`); an indicator whose denominator is 0 in the period has a null rate and points too;
- informational indicators (max 0): the share received online (the formula's 50 % threshold has no
  points in the dashboard's table [T]) and dossiers with more than one supplement request (DVCQG
  counts them late [T]; Motcua judges them by their clock, DOMAIN.md §2, and shows them apart).

**The rating** (`RATINGS`): "Tốt" from 80 to under 90 points [S 9.4, the seed's target]; "Xuất sắc"
from 90 [R]; "Khá" 70 to 80, "Trung bình" 50 to 70, "Yếu" under 50 [R]. While only part of the 100
points can be computed, the rating reads the points scaled to 100 (`scaled`), marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
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

IN_TIME_STANDINGS = (Standing.EARLY, Standing.ON_TIME, Standing.OPEN_IN_TIME, Standing.PAUSED)
IN_TIME = ",".join(s.value for s in IN_TIME_STANDINGS)
LATE = ",".join(s.value for s in (Standing.LATE, Standing.OPEN_LATE))


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    max_points: float
    threshold: float | None = None  # the rate from which the maximum is given
    target: float | None = None  # the seed's target rate [S]
    numerator: str | None = None  # the count (queries' column) above, None: no data in Motcua
    denominator: str | None = None
    # The dossier list's filters (dossiers/drill.py) of the numerator and of the denominator.
    numerator_filters: tuple[tuple[str, str], ...] = ()
    denominator_filters: tuple[tuple[str, str], ...] = ()
    # A system the data comes from (DVCQG): without it, `no_data` (`sources`).
    source: str | None = None

    def has_data(self, sources: frozenset[str] = frozenset()) -> bool:
        return self.numerator is not None and (self.source is None or self.source in sources)


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    max_points: float
    indicators: tuple[Indicator, ...]


DVCQG = "dvcqg"  # the sync to the national portal (service/dvcqg/pushes.py)
_RESULTED = (("finished", "true"), ("outcome", "approved"))
_PAID = (("returned", "true"), ("fee_payment", "online,counter,post"))

GROUPS: tuple[Group, ...] = (
    Group(
        "cong_khai",
        "Công khai, minh bạch",
        18,
        (
            Indicator("tthc_published_on_time", "Công bố, công khai TTHC đúng hạn", 6),
            Indicator("csdlqg_updated", "Cập nhật CSDL quốc gia về TTHC đúng hạn (≤ 5 ngày làm việc)", 4),
            Indicator("tthc_seven_parts", "Công khai đủ 7 bộ phận của TTHC", 2),
            Indicator(
                "synced_to_dvcqg",
                "Hồ sơ đồng bộ lên Cổng DVC quốc gia",
                6,
                threshold=1.0,
                target=1.0,
                numerator="synced",
                denominator="counted",
                numerator_filters=(("dvcqg_synced", "true"),),
                source=DVCQG,
            ),
        ),
    ),
    Group(
        "tien_do",
        "Tiến độ, kết quả giải quyết",
        20,
        (
            Indicator(
                "on_time_rate",
                "Hồ sơ giải quyết đúng hạn (đã xong hoặc đang xử lý trong hạn / tiếp nhận và xử lý trong kỳ)",
                20,
                threshold=1.0,
                numerator="in_time",
                denominator="counted",
                numerator_filters=(("standing", IN_TIME),),
            ),
            Indicator(
                "multiple_supplements",
                "Hồ sơ yêu cầu bổ sung quá 01 lần (DVCQG tính là trễ hạn; không chấm điểm riêng)",
                0,
                numerator="multiple_supplements",
                denominator="counted",
                numerator_filters=(("min_supplements", "2"),),
            ),
        ),
    ),
    Group(
        "so_hoa",
        "Số hóa hồ sơ, kết quả",
        22,
        (
            Indicator(
                "e_results",
                "Kết quả giải quyết điện tử (ký số)",
                6,
                threshold=1.0,
                target=1.0,
                numerator="e_results",
                denominator="resulted",
                numerator_filters=(*_RESULTED, ("e_result", "true")),
                denominator_filters=_RESULTED,
            ),
            Indicator(
                "digitised",
                "Hồ sơ được số hóa khi tiếp nhận",
                4,
                threshold=0.8,
                target=0.8,
                numerator="digitised",
                denominator="counted",
                numerator_filters=(("digitised", "true"),),
            ),
            Indicator("e_certified_copies", "Cấp bản sao điện tử, chứng thực điện tử", 2),
            Indicator("data_reuse", "Khai thác, tái sử dụng dữ liệu số hóa", 2, target=0.5),
            Indicator("personal_data_warehouse", "Kết nối Kho dữ liệu cá nhân, tổ chức", 4),
            Indicator("population_database", "Khai thác Cơ sở dữ liệu quốc gia về dân cư", 4),
        ),
    ),
    Group(
        "truc_tuyen",
        "Cung cấp dịch vụ trực tuyến",
        22,
        (
            Indicator(
                "full_online",
                "Hồ sơ trực tuyến toàn trình / hồ sơ của TTHC cung cấp DVC trực tuyến toàn trình",
                12,
                threshold=0.8,
                target=0.8,
                numerator="full_online",
                denominator="eligible",
                numerator_filters=(("full_online", "true"), ("channel", "online")),
                denominator_filters=(("full_online", "true"),),
            ),
            Indicator(
                "online_payment",
                "Hồ sơ thanh toán trực tuyến / hồ sơ có nộp phí, lệ phí",
                6,
                threshold=0.6,
                target=0.6,
                numerator="paid_online",
                denominator="paid",
                numerator_filters=(("returned", "true"), ("fee_payment", "online")),
                denominator_filters=_PAID,
            ),
            Indicator("online_payment_services", "TTHC tích hợp thanh toán trực tuyến trên Cổng DVC", 4),
            Indicator(
                "online_share",
                "Hồ sơ tiếp nhận trực tuyến / tổng số hồ sơ (không chấm điểm)",
                0,
                threshold=0.5,
                target=0.6,
                numerator="online",
                denominator="counted",
                numerator_filters=(("channel", "online"),),
            ),
        ),
    ),
    Group(
        "hai_long",
        "Mức độ hài lòng",
        18,
        (
            Indicator("pakn_on_time", "Xử lý phản ánh, kiến nghị đúng hạn", 6, target=1.0),
            Indicator("pakn_satisfaction", "Hài lòng về xử lý phản ánh, kiến nghị", 6, target=0.9),
            Indicator("tthc_satisfaction", "Hài lòng trong thực hiện TTHC", 6, threshold=0.9, target=0.9),
        ),
    ),
)

# (lowest scaled points, rating), best first; see the module's docstring for the sources.
RATINGS = ((90.0, "Xuất sắc"), (80.0, "Tốt"), (70.0, "Khá"), (50.0, "Trung bình"), (0.0, "Yếu"))
GOOD = 80.0  # the seed's target: "Tốt" for every unit [S 9.4]
TREND_SECONDS = 600  # how long the trends keep a period that is over (trend())
TREND_KEPT = 5000  # at most this many kept periods (units x procedures x periods), then forgotten


def points(rate: float, max_points: float, threshold: float | None) -> float:
    """At or above the threshold the maximum; below it rate x maximum / threshold."""
    threshold = threshold or 1.0
    return float(max_points) if rate >= threshold else rate * max_points / threshold


def rating(scaled: float) -> str:
    return next(name for lowest, name in RATINGS if scaled >= lowest)


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
