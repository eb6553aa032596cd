"""The reports' pages: the published late list of a month (every officer, QĐ 242 I.7) and the
heatmap of a procedure's process. They read through reports' queries and operations and authorise
with reports/permissions.py, like GET /api/v1/reports/late and /heatmap."""

from __future__ import annotations

import re
from datetime import datetime

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from ..identity.auth import current_user
from ..reports import queries as reports
from . import bp

MONTH = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
REASONS = {
    "late_step": _l("bước xử lý quá hạn"),
    "open_at_due": _l("đang giữ hồ sơ khi đến hạn"),
    "last_before_due": _l("bước cuối cùng trước hạn"),
}
STANDINGS = {"late": _l("Hoàn thành quá hạn"), "open_late": _l("Đang xử lý quá hạn")}


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


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
