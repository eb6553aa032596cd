"""The working calendar: the administrator's days off and working days added to the law's."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import DateInput

from ... import uow
from ...calendar import operations as calendar_ops
from ...errors import NotFound, ServiceError
from .. import bp
from .common import REQUIRED, RevokeForm, admin_user, parse_day, refused, select

OVERRIDE_KINDS = {"off": _l("Ngày nghỉ thêm"), "working": _l("Ngày làm việc thêm")}


class OverrideForm(FlaskForm):
    day = StringField(_l("Ngày"), widget=DateInput(), validators=[DataRequired(message=REQUIRED)])
    kind = RadioField(
        _l("Loại điều chỉnh"),
        choices=select(OVERRIDE_KINDS.items()),
        validate_choice=False,
        validators=[DataRequired(message=_l("Hãy chọn loại điều chỉnh."))],
    )
    note = StringField(
        _l("Lý do"),
        validators=[DataRequired(message=REQUIRED), Length(max=255, message=_l("Tối đa 255 ký tự."))],
    )


def _year() -> int:
    today = calendar_ops.today()
    try:
        year = int(request.args.get("year", today.year))
    except ValueError:
        return today.year
    return year if 1900 <= year <= 2200 else today.year


def _working_days(cal, year: int) -> int:
    day, end, count = date(year, 1, 1), date(year, 12, 31), 0
    while day <= end:
        count += cal.is_working_day(day)
        day += timedelta(days=1)
    return count


WHY = {
    "override": _l("quản trị viên đã điều chỉnh ngày này"),
    "schedule": _l("theo lịch nghỉ đã công bố"),
    "package": _l("gói holidays gợi ý, chưa có lịch công bố (tạm tính)"),
    "weekend": _l("thứ Bảy, Chủ nhật"),
    "weekday": _l("ngày thường từ thứ Hai đến thứ Sáu"),
}


def _why(cal):
    """The ?why=YYYY-MM-DD day explained (None when absent or not a date)."""
    try:
        day = date.fromisoformat(request.args.get("why", ""))
    except ValueError:
        return None
    return cal.explain(day) if 1900 <= day.year <= 2200 else None


def _calendar_page(form, year: int, status=200):
    cal = calendar_ops.calendar()
    why = _why(cal)
    plain = calendar_ops.build(current_app.config)
    overrides = calendar_ops.list_overrides(year)
    rows = [
        {
            "override": override,
            "label": str(OVERRIDE_KINDS.get(override.kind, override.kind)),
            "changes": plain.is_working_day(override.day) != (override.kind == "working"),
        }
        for override in overrides
    ]
    return (
        render_template(
            "ui/admin_calendar.html",
            form=form,
            year=year,
            rows=rows,
            holidays=cal.public_holidays(year),
            makeup=cal.makeup_working_days(year),
            announced=year in cal.schedules,
            why=why,
            why_reason=str(WHY[why.basis]) if why else None,
            working_days=_working_days(cal, year),
            plain_working_days=_working_days(plain, year),
            remove_form=RevokeForm(formdata=None),
        ),
        status,
    )


@bp.route("/admin/calendar", methods=["GET", "POST"], endpoint="admin_calendar")
def calendar_page():
    actor = admin_user()
    form = OverrideForm()
    year = _year()
    if form.validate_on_submit():
        day = parse_day(form.day, _l("Ngày không hợp lệ."))
        if form.kind.data not in OVERRIDE_KINDS:
            form.kind.errors = [*form.kind.errors, str(_l("Hãy chọn loại điều chỉnh."))]
        if day is not None and not form.kind.errors:
            try:
                calendar_ops.add_override(day, form.kind.data, form.note.data.strip(), actor=actor)
            except ServiceError as exc:
                uow.discard()
                if exc.status == 409:
                    form.day.errors = [
                        *form.day.errors,
                        _("Ngày này đã có điều chỉnh; hãy xóa điều chỉnh cũ trước."),
                    ]
                else:
                    form.form_errors.append(refused(exc))
                return _calendar_page(form, day.year, 422)
            flash(_("Đã thêm điều chỉnh cho ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("ui.admin_calendar", year=day.year))
        return _calendar_page(form, day.year if day else year, 422)
    return _calendar_page(form, year, 422 if request.method == "POST" else 200)


@bp.post("/admin/calendar/<string:day>/remove", endpoint="admin_calendar_remove")
def calendar_remove(day):
    actor = admin_user()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise NotFound(f"{day} is not a day.") from None
    calendar_ops.remove_override(parsed, actor=actor)
    flash(_("Đã xóa điều chỉnh của ngày %(day)s.", day=parsed.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("ui.admin_calendar", year=parsed.year))
