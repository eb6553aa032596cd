"""The procedure catalogue: load it from a file, list it, open or close a procedure for reception."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ... import uow
from ...errors import ServiceError
from ...procedures import operations as procedures
from .. import bp, display
from .common import REQUIRED, RevokeForm, active_filter, admin_user, list_page


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp danh mục (.json hoặc .csv)"))


@bp.route("/admin/procedures", methods=["GET", "POST"], endpoint="admin_procedures")
def procedures_page():
    admin_user()
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = [*form.file.errors, str(REQUIRED)]
            status = 422
        else:
            data = upload.stream.read(procedures.MAX_CATALOGUE_BYTES + 1)
            try:
                created, updated = procedures.load_upload(data, upload.filename)
            except ServiceError as exc:
                uow.discard()
                form.file.errors = [*form.file.errors, _catalogue_error(exc)]
                status = 422
            else:
                flash(
                    _(
                        "Đã nạp danh mục: %(created)d thủ tục mới, %(updated)d thủ tục cập nhật.",
                        created=created,
                        updated=updated,
                    ),
                    "success",
                )
                return redirect(url_for("ui.admin_procedures"))
    elif request.method == "POST":
        status = 422
    q = request.args.get("q", "").strip()[:255]
    show, active = active_filter()
    return list_page(
        "ui/admin_procedures.html",
        lambda page, per_page: procedures.search(q=q or None, active=active, page=page, per_page=per_page),
        name="procedures",
        status=status,
        form=form,
        q=q,
        show=show,
        limit_mb=procedures.MAX_CATALOGUE_BYTES // (1024 * 1024),
    )


def _catalogue_error(exc: ServiceError) -> str:
    details = exc.details or {}
    if exc.status == 413:
        return _("Tệp lớn hơn %(mb)d MB.", mb=procedures.MAX_CATALOGUE_BYTES // (1024 * 1024))
    if "record" in details:
        fields = details.get("fields") or {}
        names = ", ".join(sorted(fields)) if isinstance(fields, dict) else ""
        return _(
            "Bản ghi số %(number)d không hợp lệ (trường: %(fields)s). Không có thủ tục nào được nạp.",
            number=details["record"],
            fields=names or "—",
        )
    if "procedures" in details:
        over = "; ".join(_overrun(problem) for problem in details["procedures"])
        return _(
            "Tổng thời hạn các bước vượt quá thời hạn giải quyết (ngày làm việc): %(procedures)s. "
            "Không có thủ tục nào được nạp.",
            procedures=over,
        )
    if "filename" in details:
        return _("Hãy chọn tệp .json hoặc .csv.")
    if (details.get("fields") or {}).get("file"):
        return _("Tệp phải là văn bản UTF-8.")
    return _("Không đọc được tệp: %(message)s", message=exc.message)


def _overrun(problem: dict) -> str:
    """A procedure whose steps claim more than its time: code, days of days, the path's steps."""
    steps = ", ".join(f"{step['element']} {step['days']:g}" for step in problem["path"])
    return f"{problem['code']}: {problem['allotted_days']:g} / {problem['processing_days']:g} ({steps})"


@bp.get("/admin/procedures/<string:code>", endpoint="admin_procedure")
def procedure_page(code):
    admin_user()
    procedure = procedures.get(code)
    return render_template(
        "ui/admin_procedure.html",
        procedure=procedure,
        toggle_form=RevokeForm(formdata=None),
        updated=display.local_datetime(procedure.updated_at),
    )


@bp.post("/admin/procedures/<string:code>/active", endpoint="admin_procedure_active")
def procedure_active(code):
    admin_user()
    procedure = procedures.get(code)
    active = request.form.get("active") == "1"
    procedures.update(procedure, {"active": active})
    message = (
        _("Đã đưa thủ tục %(code)s vào sử dụng.", code=procedure.code)
        if active
        else _("Đã ngừng tiếp nhận thủ tục %(code)s.", code=procedure.code)
    )
    flash(message, "success")
    return redirect(url_for("ui.admin_procedure", code=procedure.code))
