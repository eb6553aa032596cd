"""The reception counter: register a dossier for a procedure of the catalogue and print Mẫu 01.

`GET/POST /ui/reception` is the counter's form. It receives through the same operation and the
same permission as `POST /api/v1/dossiers` (dossiers.operations.receive, require_reception);
every refusal is shown next to its field and the form keeps what was typed. Without JavaScript
the "Đọc mã QR" button reads the CCCD QR string on the server; with it, Enter in the QR field
(a scanner acting as a keyboard) asks `POST /api/v1/applicants/from-cccd` and fills the fields.

`GET /ui/reception/<ref>` is the result: the dossier, its open tasks (the clerk usually goes on
with them at once) and, once the dossier has its code (status 2, when the officer accepts it as
complete and the digitisation step opens), the button that prints Mẫu 01.
"""

from __future__ import annotations

import re
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from .. import uow
from ..dossiers import cccd
from ..dossiers import operations as dossiers
from ..dossiers import permissions as dossier_rules
from ..dossiers import queries as dossier_reads
from ..dossiers.schemas import ApplicantSchema
from ..dossiers.status import DossierStatus
from ..errors import NotFound, Unprocessable
from ..identity.auth import current_user
from ..instances import operations as instances
from ..procedures import queries as catalogue
from ..tasks.permissions import may_act_on_task
from . import bp, counter, display
from .dossier_pages import slip_links

CHANNEL_LABELS = {"counter": _l("Trực tiếp"), "online": _l("Trực tuyến"), "post": _l("Bưu chính")}
SEXES = ("Nam", "Nữ")
# The applicant's fields on the form (the keys of the dossier's `applicant`), in order.
APPLICANT_FIELDS = ("name", "id_number", "birth_date", "sex", "address", "phone", "email")
# What a CCCD QR string fills (phone and email are not on the card).
CARD_FIELDS = ("name", "id_number", "birth_date", "sex", "address")
# The statuses from which Mẫu 01 stands: the dossier was accepted and numbered.
NOT_RECEIVED = {1, 3}

# service.dossiers.cccd's reasons (English, from the API too) -> the page's words. The patterns
# are shared with reception.js, which translates the API's answers the same way ({0}: a count).
QR_REASONS = (
    (r"^The QR string is empty\.$", _l("Chưa có chuỗi mã QR.")),
    (
        r"^A CCCD QR string has 7 fields separated by '\|'; this one has (\d+)\.$",
        _l("Mã QR của CCCD gồm 7 trường ngăn cách bởi dấu “|”; chuỗi này có {0} trường."),
    ),
    (r"^The CCCD number must be 12 digits", _l("Số CCCD trong mã QR phải gồm 12 chữ số.")),
    (r"^The old ID number must be", _l("Số CMND cũ trong mã QR phải gồm 9 hoặc 12 chữ số.")),
    (r"^The name is empty\.$", _l("Mã QR không có họ tên.")),
    (r"^The sex must be", _l("Giới tính trong mã QR phải là “Nam” hoặc “Nữ”.")),
    (r"^The date of birth", _l("Ngày sinh trong mã QR không hợp lệ (ddmmyyyy).")),
    (r"^The date of issue", _l("Ngày cấp trong mã QR không hợp lệ (ddmmyyyy).")),
)
QR_UNREADABLE = _l("Không đọc được mã QR của CCCD. Vui lòng quét lại hoặc nhập tay.")

# ApplicantSchema (the API's rules) -> the page's message per field.
FORMAT_ERRORS = {
    "name": _l("Họ tên dài quá 255 ký tự."),
    "id_number": _l("Số CCCD/CMND gồm 12 (hoặc 9) chữ số."),
    "address": _l("Địa chỉ dài quá 500 ký tự."),
    "phone": _l("Số điện thoại chỉ gồm chữ số (từ 6 đến 20 ký tự)."),
    "email": _l("Địa chỉ email không hợp lệ."),
    "birth_date": _l("Ngày sinh không hợp lệ: nhập theo dạng dd/mm/yyyy."),
    "sex": _l("Giới tính phải là “Nam” hoặc “Nữ”."),
}


def qr_message(reason: str) -> str:
    """A reason of cccd.parse in the page's language."""
    for pattern, message in QR_REASONS:
        match = re.search(pattern, reason)
        if match:
            return str(message).replace("{0}", match.group(1) if match.groups() else "")
    return str(QR_UNREADABLE)


class ReceptionForm(FlaskForm):
    procedure = SelectField(_l("Thủ tục hành chính"), validate_choice=False)
    channel = SelectField(
        _l("Hình thức nộp"),
        choices=[SelectChoice(value, label) for value, label in CHANNEL_LABELS.items()],
        default="counter",
        validate_choice=False,
    )
    cccd_qr = StringField(
        _l("Mã QR trên CCCD"), validators=[Length(max=1000, message=_l("Chuỗi mã QR dài quá 1000 ký tự."))]
    )
    name = StringField(_l("Họ và tên"))
    id_number = StringField(_l("Số CCCD/CMND"))
    birth_date = StringField(_l("Ngày sinh"))
    sex = SelectField(_l("Giới tính"), choices=[], validate_choice=False)
    address = StringField(_l("Địa chỉ"))
    phone = StringField(_l("Số điện thoại"))
    email = StringField(_l("Email"))
    sets = StringField(_l("Số bộ hồ sơ"), default="1")
    incomplete = BooleanField(_l("Hồ sơ còn thiếu: vẫn ghi nhận để hướng dẫn bổ sung (Mẫu 02)"))
    # The check's decision, taken on the same screen (service/ui/counter.py).
    decision = RadioField(
        _l("Kết quả kiểm tra"),
        choices=[SelectChoice(value, label) for value, label in counter.DECISIONS.items()],
        validate_choice=False,
    )
    other_missing = TextAreaField(_l("Thành phần khác cần bổ sung, hoàn thiện (mỗi dòng một thành phần)"))
    guidance = TextAreaField(_l("Nội dung hướng dẫn"), validators=[Length(max=10000)])
    refusal_reason = TextAreaField(_l("Lý do từ chối tiếp nhận"), validators=[Length(max=10000)])

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure.choices = [SelectChoice("", _("— Chọn thủ tục —"))] + [
            SelectChoice(p.code, f"{p.code}{display.DASH}{p.name}") for p in procedures
        ]
        self.sex.choices = [SelectChoice("", "—")] + [SelectChoice(sex, sex) for sex in SEXES]
        self.component_errors: list[str] = []
        self.missing: list[str] = []

    def applicant(self) -> dict:
        """The applicant's fields as typed (empty ones left out, so the QR string can fill them);
        the date of birth as an ISO date, as the CCCD gives it, when it is a real date."""
        out = {}
        for name in APPLICANT_FIELDS:
            value = (getattr(self, name).data or "").strip()
            if value:
                out[name] = value
        if "birth_date" in out:
            out["birth_date"] = iso_date(out["birth_date"]) or out["birth_date"]
        return out

    def fill_from_card(self, card: dict) -> None:
        for name in CARD_FIELDS:
            if card.get(name):
                value = card[name]
                getattr(self, name).data = _local_date(value) if name == "birth_date" else value


def iso_date(text: str) -> str | None:
    """dd/mm/yyyy (or yyyy-mm-dd) as an ISO date, None when it is not a real date."""
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text.strip())
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return None


def _catalogue() -> list:
    return catalogue.active()


def _components(procedure: object | None) -> list[dict]:
    """The procedure's components, each with `required` (the catalogue's default is required)."""
    if procedure is None:
        return []
    return [
        {
            "name": item.get("name") or "",
            "form": item.get("form") or "",
            "quantity": item.get("quantity") or 1,
            "required": item.get("required", True) is not False,
        }
        for item in procedure.components or []
    ]


def _days(value) -> str:
    return format_decimal(float(value))


def _procedure_data(procedure) -> dict:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field or "",
        "days": _ui_days(procedure.processing_days),
        "fee": procedure.fee or "",
        "components": _components(procedure),
    }


def _ui_days(value) -> str:
    # English says "1 working day" but "0.5 working days": the plural form follows value == 1.
    return ngettext(
        "%(days)s ngày làm việc", "%(days)s ngày làm việc", 1 if value == 1 else 2, days=_days(value)
    )


def _local_date(value: str | None) -> str | None:
    """An ISO date (as the CCCD gives it) as dd/mm/yyyy; anything else as it is."""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else None
    except ValueError:
        return value


def _ticked() -> set[int]:
    out = set()
    for value in request.form.getlist("components"):
        if value.isdigit():
            out.add(int(value))
    return out


def _sets(form: ReceptionForm) -> int | None:
    """The number of sets received (số bộ hồ sơ, Mẫu 01): a whole number from 1, else an error."""
    text = (form.sets.data or "").strip() or "1"
    if text.isdigit() and 1 <= int(text) <= dossiers.MAX_SETS:
        return int(text)
    form.sets.errors.append(_("Số bộ hồ sơ phải là số nguyên từ 1 đến %(max)d.", max=dossiers.MAX_SETS))
    return None


def _check_applicant(form: ReceptionForm, applicant: dict, card: dict | None) -> None:
    """The API's rules (ApplicantSchema) on what was typed, and a name from the form or the card."""
    errors = ApplicantSchema().validate({k: v for k, v in applicant.items() if k in APPLICANT_FIELDS})
    for name in errors:
        if name in FORMAT_ERRORS:
            getattr(form, name).errors.append(str(FORMAT_ERRORS[name]))
    birth = applicant.get("birth_date")
    if birth and "birth_date" not in errors and iso_date(birth) is None:
        form.birth_date.errors.append(str(FORMAT_ERRORS["birth_date"]))
    if not applicant.get("name") and not (card or {}).get("name"):
        form.name.errors.append(_("Vui lòng nhập họ tên người nộp hoặc quét mã QR trên CCCD."))


def _render(form: ReceptionForm, procedures: list, chosen: object | None, ticked, status=200):
    context = {
        "procedures": {p.code: _procedure_data(p) for p in procedures},
        "from_cccd_url": url_for("dossiers.from_cccd"),
        "qr_reasons": [[pattern, str(message)] for pattern, message in QR_REASONS],
        "strings": {
            "qr_unreadable": str(QR_UNREADABLE),
            "qr_filled": _("Đã điền thông tin người nộp từ mã QR."),
            "qr_empty": _("Chưa có chuỗi mã QR."),
            "reading": _("Đang đọc mã QR…"),
            "required": _("bắt buộc"),
            "no_components": _("Thủ tục này không khai báo thành phần hồ sơ."),
            "choose_first": _("Chọn thủ tục để hiện thành phần hồ sơ."),
            "none_found": _("Không có thủ tục nào khớp."),
        },
    }
    has_errors = any(field.errors for field in form) or form.component_errors
    return (
        render_template(
            "ui/reception.html",
            form=form,
            chosen=_procedure_data(chosen) if chosen is not None else None,
            ticked=ticked,
            context=context,
            has_errors=has_errors,
            received=counter.receipt(request.args.get("received"), current_user()),
        ),
        status,
    )


@bp.route("/reception", methods=["GET", "POST"], endpoint="reception")
def reception():
    user = current_user()
    dossier_rules.require_reception(user)
    procedures = _catalogue()
    by_code = {p.code: p for p in procedures}
    form = ReceptionForm(procedures=procedures)
    if request.method == "GET":
        code = request.args.get("procedure", "")
        if code in by_code:
            form.procedure.data = code
        return _render(form, procedures, by_code.get(code), set())

    if not form.validate():  # the CSRF token, the lengths
        if form.errors.get("csrf_token"):
            flash(_("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang."), "error")
        chosen = by_code.get(form.procedure.data or "")
        return _render(form, procedures, chosen, _ticked(), 422)

    action = request.form.get("action", "receive")
    chosen = by_code.get(form.procedure.data or "")
    ticked = _ticked()
    qr = (form.cccd_qr.data or "").strip()

    if action == "read_qr":  # without JavaScript: read the card and show the form again, filled
        if not qr:
            form.cccd_qr.errors.append(_("Chưa có chuỗi mã QR."))
            return _render(form, procedures, chosen, ticked, 422)
        try:
            form.fill_from_card(cccd.parse(qr))
        except cccd.CCCDInvalid as exc:
            form.cccd_qr.errors.append(qr_message(str(exc)))
            return _render(form, procedures, chosen, ticked, 422)
        flash(_("Đã điền thông tin người nộp từ mã QR."), "success")
        return _render(form, procedures, chosen, ticked)
    if action == "choose":  # without JavaScript: show the chosen procedure's components
        return _render(form, procedures, chosen, ticked)

    # Receive: every problem at once, each next to its field.
    if not form.procedure.data:
        form.procedure.errors.append(_("Vui lòng chọn thủ tục hành chính."))
    elif chosen is None:
        form.procedure.errors.append(_("Thủ tục này không có trong danh mục hoặc đã ngừng áp dụng."))
    if form.channel.data not in CHANNEL_LABELS:
        form.channel.errors.append(_("Vui lòng chọn hình thức nộp."))
    card = None
    if qr:
        try:
            card = cccd.parse(qr)
        except cccd.CCCDInvalid as exc:
            form.cccd_qr.errors.append(qr_message(str(exc)))
    applicant = form.applicant()
    _check_applicant(form, applicant, card)
    sets = _sets(form)
    components = _components(chosen)
    received = [components[i] for i in sorted(ticked) if i < len(components)]
    form.missing = [c["name"] for i, c in enumerate(components) if c["required"] and i not in ticked]
    decision = counter.decision_of(form)
    if chosen is not None and form.missing and not decision and not form.incomplete.data:
        form.component_errors.append(
            _("Chưa đánh dấu thành phần bắt buộc: %(names)s.", names="; ".join(form.missing))
        )
    check = counter.check_decision(form, decision)
    if any(field.errors for field in form) or form.component_errors:
        return _render(form, procedures, chosen, ticked, 422)

    try:
        dossier = dossiers.receive(
            chosen.code,
            applicant={**applicant, **({"cccd_qr": qr} if qr else {})},
            channel=form.channel.data,
            components=[{k: c[k] for k in ("name", "form", "quantity")} for c in received],
            sets=sets or 1,
            actor=user,
        )
    except NotFound:  # withdrawn from the catalogue meanwhile
        form.procedure.errors.append(_("Thủ tục này không có trong danh mục hoặc đã ngừng áp dụng."))
        return _render(form, procedures, chosen, ticked, 422)
    except Unprocessable as exc:
        fields = (exc.details or {}).get("fields") or {}
        if "applicant/cccd_qr" in fields:
            form.cccd_qr.errors.append(qr_message(exc.message))
        elif "applicant/name" in fields:
            form.name.errors.append(_("Vui lòng nhập họ tên người nộp hoặc quét mã QR trên CCCD."))
        else:
            flash(_("Không tiếp nhận được hồ sơ: %(message)s", message=exc.message), "error")
        return _render(form, procedures, chosen, ticked, 422)
    if check:  # the check on the same screen: one unit of work with the reception
        try:
            counter.decide(dossier, check, user)
        except Unprocessable as exc:
            uow.discard()
            flash(_("Không tiếp nhận được hồ sơ: %(message)s", message=exc.message), "error")
            return _render(form, procedures, chosen, ticked, 422)
        flash(counter.done_message(dossier, check), "success")
        return redirect(url_for("ui.reception", received=dossier.code or str(dossier.id)))
    flash(
        _(
            "Đã ghi nhận hồ sơ của %(name)s (%(procedure)s).",
            name=dossier.applicant["name"],
            procedure=chosen.code,
        ),
        "success",
    )
    return redirect(url_for("ui.reception_done", ref=str(dossier.id)))


@bp.get("/reception/<string:ref>", endpoint="reception_done")
def reception_done(ref):
    user = current_user()
    dossier = dossier_reads.find(ref)
    dossier_rules.require_visible(user, dossier)
    instance = instances.get(dossier.instance_id)
    tasks = [
        {
            "task": task,
            "may_act": may_act_on_task(user, task, instance.started_by_id),
            "due_at": display.local_datetime(task.due_at),
        }
        for task in dossier_reads.current_tasks(dossier)
    ]
    catalogue = _components(dossier.procedure)
    received_names = {c.get("name") for c in dossier.components or []}
    missing = [c["name"] for c in catalogue if c["required"] and c["name"] not in received_names]
    printable = dossier.code is not None and dossier.status not in NOT_RECEIVED
    return render_template(
        "ui/reception_done.html",
        dossier=dossier,
        procedure=_procedure_data(dossier.procedure),
        channel=str(CHANNEL_LABELS.get(dossier.channel, dossier.channel)),
        status_label=display.dossier_status(dossier.status),
        submitted_at=display.local_datetime(dossier.submitted_at),
        received_at=display.local_datetime(dossier.received_at),
        due_at=display.local_datetime(dossier.due_at),
        birth_date=_local_date((dossier.applicant or {}).get("birth_date")),
        tasks=tasks,
        missing=missing,
        printable=printable,
        refused=dossier.status == DossierStatus.REFUSED,
        guided=dossier.outcome == "guided",
        # Mẫu 03 after a refusal, Mẫu 02 after the guidance (Mẫu 01 has its own button).
        slips=[link for link in slip_links(dossier) if link[0] in ("mau-02", "mau-03")],
        mau01_url=url_for("ui.slip", ref=dossier.code, form="mau-01", format="pdf") if printable else None,
    )
