"""How tasks and dates look on the pages: local dates, and the words of the SLA classes (service/sla.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ..dossiers.status import DossierStatus
from ..sla import Sla
from ..tasks.queries import COMPLETED

DATE_FORMAT = "%d/%m/%Y %H:%M"
DASH = " \u2013 "  # between a procedure's code and its name

# The SLA classes (service/sla.py): the CSS class suffix and the words shown beside the colour
# (never colour alone).
DUE_LABELS = {
    Sla.EARLY: _l("Còn hạn"),
    Sla.ON_TIME: _l("Đúng hạn"),
    Sla.DUE_SOON: _l("Sắp đến hạn"),
    Sla.LATE: _l("Quá hạn"),
    Sla.PAUSED: _l("Tạm dừng tính thời gian"),
}
DONE_EARLY_LABEL = _l("Trước hạn")


def local_datetime(moment: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the offices' time zone (MOTCUA_TIMEZONE, Asia/Ho_Chi_Minh), or ''."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).strftime(DATE_FORMAT)


def due_label(status: str | None, state: str | None = None) -> str:
    if status is None:
        return ""
    if status == Sla.EARLY and state == COMPLETED:
        return str(DONE_EARLY_LABEL)
    return str(DUE_LABELS[status])


# The dossier statuses (service/dossiers/status.py), translatable here.
DOSSIER_STATUSES = {
    DossierStatus.NEW: _l("Mới đăng ký"),
    DossierStatus.RECEIVED: _l("Được tiếp nhận"),
    DossierStatus.REFUSED: _l("Không được tiếp nhận"),
    DossierStatus.PROCESSING: _l("Đang xử lý"),
    DossierStatus.SUPPLEMENT: _l("Yêu cầu bổ sung"),
    DossierStatus.FINANCIAL: _l("Yêu cầu thực hiện nghĩa vụ tài chính"),
    DossierStatus.WITHDRAWN: _l("Công dân yêu cầu rút hồ sơ"),
    DossierStatus.STOPPED: _l("Dừng xử lý"),
    DossierStatus.DONE: _l("Đã xử lý xong"),
    DossierStatus.RETURNED: _l("Đã trả kết quả"),
}
TASK_STATES = {"open": _l("đang mở"), "completed": _l("đã hoàn thành"), "cancelled": _l("đã hủy")}


def dossier_status(status: int) -> str:
    label = DOSSIER_STATUSES.get(status)
    return str(label) if label is not None else str(status)


def person(user, username: str | None = None) -> Markup:
    """An officer as people know them: the full name, the username on hover (title attribute).
    `user` is a user row, or a full name given with its `username`."""
    if user is None:
        return Markup("")
    if isinstance(user, str):
        name, login = user, username or user
    else:
        name, login = (user.display_name or user.username), user.username
    return Markup('<span class="person" title="{}">{}</span>').format(escape(login), escape(name))
