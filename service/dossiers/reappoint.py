"""The apology's new appointment (Mẫu 04): checked before the apology completes, kept after.

The task whose `document` property is `mau-04` (the model's apology) sets the new return moment
with `new_due_date` (a date, or an ISO date and time) and, optionally, `new_due_time` (HH:MM; the
end of that day's office hours without one). The moment must be on a working day, within office
hours, and after the dossier's statutory due moment; only one re-appointment is allowed per
dossier (DOMAIN.md §1 item 11): a later apology may only repeat the same moment.

Where it is kept: `Dossier.appointed_at` is the applicant's return date from then on (the public
lookup, the pages, Mẫu 04, 05 and 06 print it beside the statutory one), and `apologised_at` when
the apology was issued. `Dossier.due_at` keeps the statutory due moment (moved only by pauses):
lateness (the SLA, the dossier's verdict, the late list, the QĐ 766 on-time rate) is judged
against it, since an apology admits the delay and must not turn a late dossier into an on-time
one. Once apologised, the model's apology timer is parked for good (follow.timer_variables).
"""

from __future__ import annotations

from datetime import datetime, time

from ..calendar.operations import calendar
from ..errors import Conflict, Unprocessable

APOLOGY_DOCUMENT = "mau-04"
DATE, TIME = "new_due_date", "new_due_time"


def is_apology(task) -> bool:
    return (task.properties or {}).get("document") == APOLOGY_DOCUMENT


def _when(moment_: datetime) -> str:
    return moment_.astimezone(calendar().tz).strftime("%d/%m/%Y %H:%M")


def _invalid(message: str, field: str = DATE) -> Unprocessable:
    return Unprocessable(message, code="reappointment_invalid", details={"fields": {field: [message]}})


def moment(variables: dict) -> datetime | None:
    """The new appointment the variables name (None without one); Unprocessable when it is not a
    moment the offices work at."""
    value = variables.get(DATE)
    if not isinstance(value, str) or not value.strip():
        return None
    cal = calendar()
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(f"Ngày hẹn mới “{value}” không đúng dạng năm-tháng-ngày.") from None
    hour = variables.get(TIME)
    if isinstance(hour, str) and hour.strip():
        try:
            clock = time.fromisoformat(hour.strip())
        except ValueError:
            raise _invalid(f"Giờ hẹn mới “{hour}” không đúng dạng giờ:phút.", TIME) from None
        parsed = datetime.combine(parsed.date(), clock)
    elif len(value.strip()) <= 10:  # a date alone: the end of that day's office hours
        parsed = datetime.combine(parsed.date(), cal.periods[-1][1])
    local = parsed.astimezone(cal.tz) if parsed.tzinfo else parsed.replace(tzinfo=cal.tz)
    day = local.date()
    if not cal.is_working_day(day):
        raise _invalid(f"Ngày {day:%d/%m/%Y} không phải ngày làm việc; hãy chọn một ngày làm việc.")
    wall = local.time().replace(tzinfo=None)
    if not any(start <= wall <= end for start, end in cal.periods):
        hours = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in cal.periods)
        raise _invalid(f"Giờ hẹn {wall:%H:%M} nằm ngoài giờ hành chính ({hours}).", TIME)
    return local


def check(dossier, task, variables: dict) -> None:
    """Before the apology completes (follow.check_completion): its new appointment is a working
    moment after the statutory due, and the dossier's only one."""
    if dossier is None or not is_apology(task):
        return
    new = moment(variables)
    if new is None:
        return
    if dossier.appointed_at is not None:
        if new == dossier.appointed_at:
            return  # the same appointment repeated: nothing new is promised
        raise Conflict(
            "Hồ sơ đã được hẹn lại một lần (trả kết quả lúc "
            f"{_when(dossier.appointed_at)}); chỉ được hẹn lại một lần, không đặt được ngày hẹn mới.",
            code="reappointed_once",
            details={"fields": {DATE: ["Chỉ được hẹn lại một lần."]}},
        )
    if dossier.due_at is not None and new <= dossier.due_at:
        raise _invalid(f"Ngày hẹn mới phải sau hạn trả kết quả theo quy định ({_when(dossier.due_at)}).")


def record(dossier, task, variables: dict, now: datetime) -> bool:
    """After the apology completed: keep the new appointment (checked by `check`), once; whether
    it was kept now."""
    if not is_apology(task) or dossier.appointed_at is not None:
        return False
    new = moment(variables)
    if new is None:
        return False
    dossier.appointed_at = new
    dossier.apologised_at = now
    return True
