"""GET /api/v1/reports/indicators: the QĐ 766 index of a unit (with its sub-units) or the province,
for a period, as JSON, CSV or XLSX (reports/indicators.py; who may see what: indicator_permissions.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_smorest import Blueprint

from ..calendar.periods import containing
from ..dossiers.drill import period_of
from ..errors import Unprocessable
from ..identity.auth import current_user
from ..models_base import utcnow
from . import exports, indicators
from . import indicator_permissions as permissions
from .indicator_schemas import IndicatorArgs, IndicatorsSchema

blp = Blueprint("indicators", __name__, url_prefix="/api/v1", description="The QĐ 766 indicators (reports)")

COLUMNS = [
    exports.Column("section", "Phần", 12),
    exports.Column("key", "Mã", 24),
    exports.Column("name", "Chỉ số / thủ tục", 60),
    exports.Column("numerator", "Tử số", 10),
    exports.Column("denominator", "Mẫu số", 10),
    exports.Column("rate", "Tỷ lệ", 10),
    exports.Column("threshold", "Ngưỡng", 10),
    exports.Column("max_points", "Điểm tối đa", 10),
    exports.Column("points", "Điểm", 10),
    exports.Column("status", "Trạng thái", 10),
    exports.Column("received", "Tiếp nhận", 10),
    exports.Column("finished", "Đã giải quyết", 10),
    exports.Column("early", "Trước hạn", 10),
    exports.Column("on_time", "Đúng hạn", 10),
    exports.Column("late", "Trễ hạn", 10),
    exports.Column("average_days", "TG trung bình (ngày LV)", 12),
]


def rows(report: dict):
    """The report as one table: the counts, the indicators, the total, the procedures."""
    for key, value in report["counts"].items():
        yield {"section": "counts", "key": key, "name": key, "numerator": value}
    for group in report["groups"]:
        yield {
            "section": "group",
            "key": group["key"],
            "name": group["name"],
            "max_points": group["max_points"],
            "points": group["points"],
        }
        for item in group["indicators"]:
            yield {"section": "indicator", **{c.key: item.get(c.key) for c in COLUMNS[1:10]}}
    total = report["total"]
    yield {
        "section": "total",
        "key": "total",
        "name": total["rating"] or "",
        "max_points": total["scored_max"],
        "points": total["points"],
    }
    for row in report["procedures"]:
        yield {
            "section": "procedure",
            "key": row["code"],
            **{
                k: row.get(k)
                for k in ("name", "received", "finished", "early", "on_time", "late", "average_days")
            },
        }


def report_for(user, args) -> dict:
    """Parse, authorise and compute (the page calls it too)."""
    zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
    unit = args.get("unit") or permissions.default_unit(user)
    permissions.require_indicators(user, unit)
    key = args.get("period")
    period = period_of(key) if key else containing("month", utcnow().astimezone(zone))
    return indicators.compute(period, unit=unit, procedure=args.get("procedure"))


@blp.route("/reports/indicators", methods=["GET"])
@blp.arguments(IndicatorArgs, location="query")
@blp.response(200, IndicatorsSchema)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", description="The table as CSV")
@blp.alt_response(
    200,
    schema={"type": "string", "format": "binary"},
    content_type=exports.MEDIA_TYPES["xlsx"],
    description="The table as XLSX",
)
def indicators_report(args):
    """The QĐ 766 index of a unit with its sub-units (none: the province) for a period, optionally
    one procedure: counts judged at the period's end, each indicator's rate and points, the group
    totals, the rating; every number with the dossier list behind it. Officers: their unit and
    its sub-units; administrators and the group 'reports': every unit and the province."""
    try:
        fmt = exports.choose(args.get("format"), request.accept_mimetypes)
    except ValueError as exc:
        raise Unprocessable(str(exc), details={"fields": {"format": [str(exc)]}}) from None
    report = report_for(current_user(), args)
    if fmt == "json":
        return report
    zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
    who = report["unit"]["code"] if report["unit"] else "tinh"
    filename = f"chi-so-766-{who}-{report['period']['key'].replace(':', '-')}"
    name = report["unit"]["name"] if report["unit"] else "Toàn tỉnh"
    title = f"Chỉ số QĐ 766 - {name} - {report['period']['label']}"
    return exports.response(fmt, COLUMNS, rows(report), zone, filename=filename, title=title)
