"""The QĐ 766 dashboard (/ui/dashboard): a unit's indicators (with its sub-units) or the province's,
for a period, each against its target; trends over the last periods as charts (chart.js, served by
vendor.py); the procedures and steps most often late; every number a link to the dossier list
filtered to the dossiers behind it (the list page reads the same filters as GET /api/v1/dossiers).

It computes through reports/indicators.py and authorises with reports/indicator_permissions.py, like the API.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..dossiers import drill
from ..dossiers import queries as dossier_reads
from ..dossiers.permissions import sees_all, units_of
from ..identity import queries as identity
from ..identity.auth import current_user
from ..reports import indicator_permissions as permissions
from ..reports import indicators, periods
from . import bp

API_LIST = "/api/v1/dossiers?"
KINDS = (
    ("month", _l("Tháng"), 12),
    ("reporting-month", _l("Kỳ báo cáo tháng (21 - 20)"), 6),
    ("quarter", _l("Quý"), 4),
    ("year", _l("Năm"), 2),
)
TREND_SERIES = (
    ("on_time_rate", _l("Đúng hạn")),
    ("full_online", _l("Trực tuyến toàn trình")),
    ("digitised", _l("Số hóa")),
    ("e_results", _l("Kết quả điện tử")),
)


def page_link(api_url: str | None) -> str | None:
    """A dossier list link of the indicators (the API's) as the list page's."""
    if not api_url:
        return None
    return url_for("ui.dossiers") + "?" + api_url.removeprefix(API_LIST)


def period_choices(now: datetime) -> list[tuple[str, str]]:
    """The periods offered: the last months, reporting months, quarters and years."""
    choices = []
    for kind, _label, count in KINDS:
        period = periods.containing(kind, now)
        for _ in range(count):
            choices.append((period.key, period.label))
            period = period.previous()
    return choices


def unit_choices(user) -> list[tuple[str, str]]:
    """The units the user may see the indicators of ("" the province, for those who see it)."""
    if sees_all(user):
        return [("", str(_l("Toàn tỉnh"))), *identity.units()]
    own = set(units_of(user))
    return [(code, name) for code, name in identity.units() if code in own]


def _linked(report: dict) -> dict:
    """The report with the list page's links in place of the API's."""
    for group in report["groups"]:
        for item in group["indicators"]:
            item["dossiers"] = page_link(item["dossiers"])
            item["denominator_dossiers"] = page_link(item["denominator_dossiers"])
    report["links"] = {key: page_link(url) for key, url in report["links"].items()}
    for row in report["procedures"] + report["steps"]:
        row["dossiers"], row["late_dossiers"] = page_link(row["dossiers"]), page_link(row["late_dossiers"])
    return report


def _meets(item: dict) -> bool | None:
    if item["rate"] is None or item["target"] is None:
        return None
    return item["rate"] >= item["target"]


@bp.get("/dashboard", endpoint="dashboard")
def dashboard():
    user = current_user()
    zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
    now = drill.judged_at(None).astimezone(zone)  # now, in office time
    unit = request.args.get("unit") or permissions.default_unit(user)
    permissions.require_indicators(user, unit)
    key = request.args.get("period")
    period = drill.period_of(key) if key else periods.containing("month", now)
    procedure = request.args.get("procedure") or None
    report = _linked(indicators.compute(period, unit=unit, procedure=procedure))
    trend = indicators.trend(period, unit=unit, procedure=procedure)
    chart = {
        "labels": [point["label"] for point in trend],
        "series": [
            {"key": key, "label": str(label), "values": [point["rates"].get(key) for point in trend]}
            for key, label in TREND_SERIES
        ],
        "points": [point["total"]["scaled"] for point in trend],
        "points_label": str(_l("Điểm (quy về 100)")),
        "good": indicators.GOOD,
    }
    choices = period_choices(now)
    if period.key not in dict(choices):
        choices.insert(0, (period.key, period.label))
    return render_template(
        "ui/dashboard.html",
        report=report,
        chart=chart,
        meets=_meets,
        units=unit_choices(user),
        unit=unit or "",
        periods=choices,
        period=period,
        procedures=dossier_reads.procedures_visible_to(user),
        procedure=procedure or "",
        kinds=KINDS,
    )
