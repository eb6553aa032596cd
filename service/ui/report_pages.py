"""The reports' pages: the published late list of a month (every officer, QĐ 242 I.7) and the
heatmap of a procedure's process. They read through reports' queries and operations and authorise
with reports/permissions.py, like GET /api/v1/reports/late and /heatmap."""

from __future__ import annotations

import re
from datetime import datetime

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..calendar import periods
from ..definitions import queries as definitions
from ..errors import ServiceError, error_response
from ..identity.auth import current_user
from ..procedures import queries as procedures
from ..reports import heatmap as heatmaps
from ..reports import operations as late
from ..reports import permissions
from ..reports import queries as reports
from ..reports.indicator_permissions import may_see_some
from . import bp, words

MONTH = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
REASONS = {
    "late_step": _l("bước xử lý quá hạn"),
    "open_at_due": _l("đang giữ hồ sơ khi đến hạn"),
    "last_before_due": _l("bước cuối cùng trước hạn"),
}
STANDINGS = {"late": _l("Hoàn thành quá hạn"), "open_late": _l("Đang xử lý quá hạn")}


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@bp.get("/bao-cao", endpoint="reports")
def reports_home():
    """The menu's "Báo cáo": the QĐ 766 dashboard for those who may see a unit's indicators, else
    the published late list (every officer); each page links to the others."""
    user = current_user()
    return redirect(url_for("ui.dashboard" if may_see_some(user) else "ui.late_list"))


@bp.get("/bao-cao/tre-han", endpoint="late_list")
def late_list():
    """The late list of a published month (?month=YYYY-MM; the latest by default)."""
    current_user()  # signed in: every officer reads the published list
    months = reports.published_months()
    asked = request.args.get("month", "")
    month = asked if MONTH.match(asked) else (months[0] if months else None)
    report = reports.published(month) if month else None
    rows = []
    for row in report.rows if report else []:
        rows.append(
            {
                **row,
                "due_at": _moment(row.get("due_at")),
                "finished_at": _moment(row.get("finished_at")),
                "standing_label": STANDINGS.get(row.get("standing"), ""),
                "responsible": [
                    {**entry, "reason_label": REASONS.get(entry.get("reason"), entry.get("reason"))}
                    for entry in row.get("responsible") or []
                ],
            }
        )
    return render_template(
        "ui/late_list.html", months=months, month=month, report=report, rows=rows, asked=asked
    )


def _heatmap_choice() -> tuple[str, str, list]:
    """The procedure and period asked for (defaults: the first procedure, this month)."""
    choices = [(p.code, p.name) for p in procedures.active()]
    procedure = request.args.get("procedure", "")
    if procedure not in {code for code, _name in choices}:
        procedure = choices[0][0] if choices else ""
    period = request.args.get("period", "").strip()[:40]
    if not period:
        period = late.current("month").key
    return procedure, period, choices


@bp.get("/bao-cao/ban-do-nhiet", endpoint="heatmap")
def heatmap_page():
    """The heatmap on a procedure's process diagram (its data: ui.heatmap_data)."""
    user = current_user()
    unit = permissions.heatmap_unit(user, None)
    procedure, period, choices = _heatmap_choice()
    error, data = None, None
    if procedure:
        try:
            data = heatmaps.heatmap(procedure, periods.parse(period, late.zone()), unit)
        except periods.PeriodError as exc:
            error = str(exc)
    return render_template(
        "ui/heatmap.html",
        procedures=choices,
        procedure=procedure,
        period=period,
        data=data,
        error=error,
        data_url=url_for("ui.heatmap_data", procedure=procedure, period=period) if data else None,
    )


@bp.get("/bao-cao/ban-do-nhiet/du-lieu", endpoint="heatmap_data")
def heatmap_data():
    """The diagram's BPMN and the numbers per element (JSON for the page's script)."""
    try:
        unit = permissions.heatmap_unit(current_user(), None)
        try:
            period = periods.parse(request.args.get("period", ""), late.zone())
        except periods.PeriodError as exc:
            return error_response(422, "invalid_period", str(exc))
        data = heatmaps.heatmap(request.args.get("procedure", ""), period, unit)
    except ServiceError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    xml = definitions.bpmn(data["definition_id"]) if data["definition_id"] else None
    shown = words.translated_bpmn(xml.decode("utf-8", errors="replace")) if xml else ""
    return jsonify({"xml": shown, **data})
