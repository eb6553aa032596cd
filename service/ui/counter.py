"""The counter in one screen: the check's decision taken with the reception, and what follows.

The clerk registers the dossier, checks it and decides on the same form: accept (the dossier is
numbered and its clock starts; Mẫu 01 prints at once), guide (Mẫu 02, the missing components) or
refuse (Mẫu 03). The reception and the completion of the check step run in one unit of work, through
the same operations as the API (`dossiers.operations.receive`, `tasks.operations.complete`): the
form the check step names judges the decision, so a refusal leaves nothing behind. Digitisation is
the model's next step (`digitise`): the clerk does it at their own pace from the worklist or from
the receipt panel, and the dossier reaches the processing unit only once it is done.
"""

from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import forms
from ..dossiers import permissions as dossier_rules
from ..dossiers import queries as dossier_reads
from ..dossiers.status import DossierStatus
from ..errors import Forbidden, NotFound, Unprocessable
from ..instances import operations as instances
from ..tasks import operations as task_operations
from ..tasks.permissions import may_act_on_task
from . import words

# The check's decisions on the counter's form ("" leaves the check for later, as the API does).
DECISIONS = {
    "accept": _l("Đầy đủ, đúng thẩm quyền: tiếp nhận, cấp mã và in giấy tiếp nhận (Mẫu 01)"),
    "guide": _l("Chưa đầy đủ: hướng dẫn bổ sung, hoàn thiện một lần (Mẫu 02)"),
    "refuse": _l("Không đủ điều kiện hoặc không thuộc thẩm quyền: từ chối tiếp nhận (Mẫu 03)"),
    "later": _l("Chỉ ghi nhận, kiểm tra sau"),
}
# The variable of the check step's form that carries the decision.
DECISION_FIELD = "reception_decision"
SLIPS = {"accept": "mau-01", "guide": "mau-02", "refuse": "mau-03"}


def decision_of(form) -> str:
    value = (form.decision.data or "").strip()
    return "" if value == "later" else value


def extra_items(form) -> list[str]:
    """The other components to supplement, one a line (beyond the unticked required ones)."""
    seen: list[str] = []
    for line in (form.other_missing.data or "").splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.append(line[:500])
    return seen


def check_decision(form, decision: str) -> dict:
    """The check step's variables for the decision, each missing piece noted on its field."""
    if decision not in SLIPS:
        if decision:
            form.decision.errors.append(_("Vui lòng chọn kết quả kiểm tra."))
        return {}
    variables = {DECISION_FIELD: decision}
    if decision == "accept" and form.missing:
        form.component_errors.append(
            _(
                "Không thể tiếp nhận khi còn thiếu thành phần bắt buộc: %(names)s. Chọn “hướng dẫn bổ sung”.",
                names="; ".join(form.missing),
            )
        )
    if decision == "guide":
        items = list(dict.fromkeys([*form.missing, *extra_items(form)]))
        if not items:
            form.other_missing.errors.append(
                _("Ghi rõ thành phần cần bổ sung, hoàn thiện (mỗi dòng một thành phần).")
            )
        guidance = (form.guidance.data or "").strip()
        if not guidance:
            form.guidance.errors.append(_("Vui lòng nhập nội dung hướng dẫn."))
        variables.update(missing_items=items, guidance=guidance)
    if decision == "refuse":
        reason = (form.refusal_reason.data or "").strip()
        if not reason:
            form.refusal_reason.errors.append(_("Vui lòng nêu rõ lý do từ chối tiếp nhận."))
        variables["refusal_reason"] = reason
    return variables


def check_task(dossier, user):
    """The open task of the dossier that takes the check's decision and the user may act on."""
    starter = instances.get(dossier.instance_id).started_by_id
    for task in dossier_reads.current_tasks(dossier):
        if DECISION_FIELD in (forms.declared(task.form_key) or ()) and may_act_on_task(user, task, starter):
            return task
    return None


def decide(dossier, variables: dict, user) -> None:
    """Complete the dossier's check step with the decision (Unprocessable when it cannot)."""
    task = check_task(dossier, user)
    if task is None:
        raise Unprocessable("The dossier has no check step this officer may complete.")
    task_operations.complete(task.id, variables, actor=user)


def receipt(ref: str | None, user) -> dict | None:
    """The panel of the dossier just received at the counter: its code, and the slip to print and
    the next step (digitisation) when there are."""
    if not ref:
        return None
    try:
        dossier = dossier_reads.find(ref)
        dossier_rules.require_visible(user, dossier)
    except (NotFound, Forbidden):
        return None
    if dossier.status == DossierStatus.REFUSED:
        slip = "mau-03"
    elif dossier.code is not None:
        slip = "mau-01"
    elif dossier.outcome == "guided":
        slip = "mau-02"
    else:
        slip = None
    ref = dossier.code or str(dossier.id)
    starter = instances.get(dossier.instance_id).started_by_id
    steps = [
        {
            "name": words.word(task.name),
            "url": url_for("ui.task_page", task_id=task.id, next=request.full_path.rstrip("?")),
        }
        for task in dossier_reads.current_tasks(dossier)
        if may_act_on_task(user, task, starter)
    ]
    return {
        "dossier": dossier,
        "ref": ref,
        "slip": slip,
        "slip_url": url_for("dossiers.document", ref=ref, form=slip, format="pdf") if slip else None,
        "details_url": url_for("ui.dossier", ref=ref),
        "steps": steps,
    }


def done_message(dossier, variables: dict) -> str:
    """What the counter says after the check on the same screen."""
    name = (dossier.applicant or {}).get("name") or ""
    decision = variables.get(DECISION_FIELD)
    if decision == "accept":
        return _(
            "Đã tiếp nhận hồ sơ %(code)s của %(name)s. In giấy tiếp nhận (Mẫu 01).",
            code=dossier.code,
            name=name,
        )
    if decision == "guide":
        return _("Đã hướng dẫn %(name)s bổ sung, hoàn thiện hồ sơ. In phiếu hướng dẫn (Mẫu 02).", name=name)
    return _("Đã từ chối tiếp nhận hồ sơ của %(name)s. In phiếu từ chối (Mẫu 03).", name=name)
