"""The org units: their tree (the unit above each), names and national codes."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ... import uow
from ...errors import ServiceError
from ...identity import admin as identity_admin
from ...identity import operations as identity
from ...identity import queries as identity_reads
from ...identity import schemas as rules
from .. import bp, display
from .common import (
    REQUIRED,
    admin_user,
    list_page,
    place_errors,
    refused,
)

NATIONAL_CODE_RULE = Regexp(
    rules.NATIONAL_CODE, message=_l("Mã định danh có dạng 000.17.22.H56 (TT 10/2016/TT-BTTTT).")
)
UNIT_MESSAGES = {
    "code": _l("Đã có đơn vị mang mã này."),
    "parent_code": _l("Không chọn được đơn vị cấp trên này (không tồn tại, hoặc tạo thành vòng)."),
    "national_code": _l("Mã định danh này đã được dùng cho đơn vị khác."),
}


class UnitEditForm(FlaskForm):
    name = StringField(
        _l("Tên đơn vị"),
        validators=[DataRequired(message=REQUIRED), Length(max=255, message=_l("Tối đa 255 ký tự."))],
    )
    national_code = StringField(_l("Mã định danh"), validators=[Optional(), NATIONAL_CODE_RULE])
    # The unit above it: its indicators count this one's dossiers (a cycle is refused: 422).
    parent_code = SelectField(_l("Đơn vị cấp trên"), validate_choice=False)

    def fill_choices(self):
        units = identity_reads.units()
        self.parent_code.choices = [("", _("(đơn vị cấp cao nhất)"))] + [
            (code, f"{code}{display.DASH}{name}") for code, name in units
        ]
        return self


class UnitForm(UnitEditForm):
    code = StringField(
        _l("Mã đơn vị"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(rules.UNIT_CODE, message=_l("Chỉ dùng chữ không dấu, chữ số và . _ - (tối đa 64 ký tự).")),
        ],
    )


def _units_page(form, edit_form=None, editing=None, status=200):
    form.fill_choices()
    if edit_form is not None:
        edit_form.fill_choices()
    return list_page(
        "ui/admin_units.html",
        lambda page, per_page: identity_reads.list_units(page=page, per_page=per_page),
        name="units",
        status=status,
        form=form,
        edit_form=edit_form,
        editing=editing,
    )


@bp.route("/admin/units", methods=["GET", "POST"], endpoint="admin_units")
def units_page():
    actor = admin_user()
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = identity_admin.create_unit(
                form.code.data,
                form.name.data,
                (form.national_code.data or "").strip() or None,
                parent_code=form.parent_code.data or None,
                actor=actor,
            )
        except ServiceError as exc:
            uow.discard()
            if not place_errors(form, exc, UNIT_MESSAGES):
                form.form_errors.append(refused(exc))
            return _units_page(form, status=422)
        flash(_("Đã tạo đơn vị «%(name)s».", name=unit.name), "success")
        return redirect(url_for("ui.admin_units"))
    return _units_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/admin/units/<string:code>", methods=["GET", "POST"], endpoint="admin_unit")
def unit_page(code):
    actor = admin_user()
    unit = identity.find_unit(code)
    if request.method == "GET":
        edit = UnitEditForm(
            data={
                "name": unit.name,
                "national_code": unit.national_code or "",
                "parent_code": unit.parent_code or "",
            }
        )
        return _units_page(UnitForm(formdata=None), edit, unit)
    edit = UnitEditForm()
    if edit.validate_on_submit():
        try:
            identity_admin.update_unit(
                unit,
                {
                    "name": edit.name.data,
                    "national_code": (edit.national_code.data or "").strip() or None,
                    "parent_code": edit.parent_code.data or None,
                },
                actor=actor,
            )
        except ServiceError as exc:
            uow.discard()
            unit = identity.find_unit(code)
            if not place_errors(edit, exc, UNIT_MESSAGES):
                edit.form_errors.append(refused(exc))
            return _units_page(UnitForm(formdata=None), edit, unit, 422)
        flash(_("Đã lưu đơn vị «%(name)s».", name=unit.name), "success")
        return redirect(url_for("ui.admin_units"))
    return _units_page(UnitForm(formdata=None), edit, unit, 422)
