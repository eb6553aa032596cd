"""How tasks and dates look on the pages: local dates, and a colour per task from its due date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..calendar.workcal import WorkingCalendar
from ..tasks.models import COMPLETED

DATE_FORMAT = "%d/%m/%Y %H:%M"
DASH = " \u2013 "  # between a procedure's code and its name

# Due statuses: the CSS class suffix and the words shown beside the colour (never colour alone).
EARLY, ON_TIME, DUE_SOON, LATE = "early", "on_time", "due_soon", "late"
DUE_LABELS = {
    EARLY: _l("Còn hạn"),
    ON_TIME: _l("Đúng hạn"),
    DUE_SOON: _l("Sắp đến hạn"),
    LATE: _l("Quá hạn"),
}
DONE_EARLY_LABEL = _l("Trước hạn")


def local_datetime(moment: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the offices' time zone (MOTCUA_TIMEZONE, Asia/Ho_Chi_Minh), or ''."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).strftime(DATE_FORMAT)


def soon_limit(calendar: WorkingCalendar, now: datetime) -> datetime:
    """Due dates up to this moment are 'due soon': within one working day of office time."""
    return calendar.add_working_days(now, 1)


def due_status(task, *, now: datetime, soon: datetime, calendar: WorkingCalendar) -> str | None:
    """early (green), on_time, due_soon (amber) or late (red); None without a due date.

    An open task is late once its due moment has passed, due soon within one working day of it,
    early before that. A completed task gets the verdict of Mẫu 05: late after the due moment,
    on time on the due day, early on an earlier day.
    """
    if task.due_at is None:
        return None
    if task.state == COMPLETED and task.completed_at is not None:
        return calendar.dossier_verdict(task.due_at, task.completed_at)
    if now > task.due_at:
        return LATE
    return DUE_SOON if task.due_at <= soon else EARLY


def due_label(status: str | None, state: str | None = None) -> str:
    if status is None:
        return ""
    if status == EARLY and state == COMPLETED:
        return str(DONE_EARLY_LABEL)
    return str(DUE_LABELS[status])


# The dossier statuses of service.dossiers.models.STATUS_LABELS, translatable here.
DOSSIER_STATUSES = {
    1: _l("Mới đăng ký"),
    2: _l("Được tiếp nhận"),
    3: _l("Không được tiếp nhận"),
    4: _l("Đang xử lý"),
    5: _l("Yêu cầu bổ sung"),
    6: _l("Yêu cầu thực hiện nghĩa vụ tài chính"),
    7: _l("Công dân yêu cầu rút hồ sơ"),
    8: _l("Dừng xử lý"),
    9: _l("Đã xử lý xong"),
    10: _l("Đã trả kết quả"),
}
TASK_STATES = {"open": _l("đang mở"), "completed": _l("đã hoàn thành"), "cancelled": _l("đã hủy")}


def dossier_status(status: int, fallback: str | None = None) -> str:
    label = DOSSIER_STATUSES.get(status)
    return str(label) if label is not None else (fallback or str(status))
