"""The working calendar for every officer: a month of days, each worked or not, and why.

Deadlines are counted in working days (DOMAIN.md §2), so an officer who wonders why a dossier is
due on a given day needs to see which days count: the announced schedule (each day with its
source), the administrator's changes, days the holidays package only suggests (provisional), and
weekends. Administrators change the calendar on /ui/admin/calendar.
"""

from __future__ import annotations

import calendar as monthly
from datetime import date

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from ..calendar import operations as calendar_ops
from ..identity.auth import current_user
from . import bp
from .admin.calendar import WHY

WEEKDAYS = (_l("T2"), _l("T3"), _l("T4"), _l("T5"), _l("T6"), _l("T7"), _l("CN"))


def _month() -> date:
    """The ?month=YYYY-MM asked for (this month when absent or not a month)."""
    today = calendar_ops.today()
    try:
        year, number = (int(part) for part in request.args.get("month", "").split("-"))
        first = date(year, number, 1)
    except ValueError:
        return today.replace(day=1)
    return first if 1900 <= first.year <= 2200 else today.replace(day=1)


def _chosen() -> date | None:
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@bp.get("/calendar", endpoint="calendar")
def calendar_page():
    current_user()
    cal = calendar_ops.calendar()
    chosen = _chosen()
    first = chosen.replace(day=1) if chosen and "month" not in request.args else _month()
    weeks = [
        [cal.explain(day) if day.month == first.month else None for day in week]
        for week in monthly.Calendar().monthdatescalendar(first.year, first.month)
    ]
    why = cal.explain(chosen) if chosen else None
    return render_template(
        "ui/calendar.html",
        first=first,
        previous=_shift(first, -1),
        following=_shift(first, 1),
        weeks=weeks,
        weekdays=WEEKDAYS,
        reasons={key: str(value) for key, value in WHY.items()},
        why=why,
        today=calendar_ops.today(),
        announced=first.year in cal.schedules,
        working_days=sum(1 for week in weeks for info in week if info is not None and info.working),
    )
