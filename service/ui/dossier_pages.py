"""The dossiers: the list, one dossier's page (status, due date, Mẫu 05 steps, documents, diagram),
an instance's page and the data of its process diagram.

Every page authorises with the API's own functions: `dossiers.operations.visible_to` and
`require_visible` for dossiers, `instances.operations.require_visible` for instances, and
`permissions.may_act_on_task` for the links to task pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from .. import sla
from ..audit.models import AuditEvent
from ..calendar.operations import calendar
from ..definitions.models import ProcessDefinition
from ..dossiers import operations as dossiers
from ..dossiers.models import SLA_COLUMNS, Dossier, DossierStep
from ..dossiers.status import DossierStatus
from ..errors import Forbidden, NotFound, ServiceError, error_response
from ..extensions import db
from ..identity.auth import current_user
from ..identity.models import OrgUnit, User
from ..identity.permissions import may_act_on_task
from ..instances import operations as instances
from ..jobs.models import FAILED, PENDING, RUNNING, ServiceCall
from ..models_base import utcnow
from ..procedures.models import Procedure
from ..tasks.models import CANCELLED, COMPLETED, OPEN, Task
from . import attachments as attachment_panel
from . import bp, display, history

PER_PAGE = 20
DUES = ("late", "due_soon", "early", "paused")
MAX_REF = 64
HISTORY_LIMIT = 500
CHANNEL_LABELS = {"counter": _l("Trực tiếp"), "online": _l("Trực tuyến"), "post": _l("Bưu chính")}
INSTANCE_STATES = {
    "running": _l("Đang chạy"),
    "completed": _l("Đã kết thúc"),
    "suspended": _l("Tạm ngừng"),
    "terminated": _l("Đã hủy bỏ"),
    "error": _l("Bị lỗi"),
}
# The official slips (service.documents.FORMS), as the page names them.
DOCUMENTS = {
    "mau-01": _l("Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "mau-02": _l("Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "mau-03": _l("Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "mau-04": _l("Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "mau-05": _l("Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    "mau-06": _l("Mẫu 06: Sổ theo dõi hồ sơ"),
}
# The audit facts shown in an instance's history.
EVENTS = {
    "instance_started": _l("Bắt đầu quy trình"),
    "instance_completed": _l("Quy trình kết thúc"),
    "instance_failed": _l("Quy trình bị lỗi"),
    "instance_suspended": _l("Tạm ngừng quy trình"),
    "instance_resumed": _l("Tiếp tục quy trình"),
    "instance_terminated": _l("Hủy bỏ quy trình"),
    "instance_retried": _l("Chạy lại bước bị lỗi"),
    "task_created": _l("Giao công việc"),
    "task_claimed": _l("Có người nhận việc"),
    "task_unclaimed": _l("Trả việc về nhóm"),
    "task_completed": _l("Đã hoàn thành công việc"),
    "task_cancelled": _l("Hủy công việc"),
    "element_completed": _l("Hoàn thành bước"),
    "service_task_completed": _l("Hệ thống khác đã trả lời"),
    "incident_opened": _l("Lỗi gọi hệ thống khác"),
    "incident_retried": _l("Gọi lại hệ thống khác"),
    "message_delivered": _l("Nhận thông điệp"),
    "timers_fired": _l("Đến hạn hẹn giờ"),
    "dossier_status_changed": _l("Hồ sơ chuyển trạng thái"),
}
# Audit facts whose element is done, for the diagram.
COMPLETED_FACTS = ("element_completed", "task_completed", "service_task_completed")


# --- the list ------------------------------------------------------------------------------------


@dataclass
class Filters:
    status: int | None = None
    procedure: str = ""
    due: str = ""
    page: int = 1

    @classmethod
    def parse(cls, args) -> Filters:
        def number(name, low, high, default):
            try:
                value = int(args.get(name, default))
            except (TypeError, ValueError):
                return default
            return value if low <= value <= high else default

        procedure = args.get("procedure", "")
        return cls(
            status=number("status", 1, max(DossierStatus), None),
            procedure=procedure if 0 < len(procedure) <= MAX_REF else "",
            due=args.get("due") if args.get("due") in DUES else "",
            page=number("page", 1, 100_000, 1),
        )

    def query(self, **changes) -> dict:
        """URL arguments of these filters with some changed (empty ones left out)."""
        values = {"status": self.status, "procedure": self.procedure, "due": self.due}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def dossier_due(dossier: Dossier, window: sla.Window) -> str | None:
    """The dossier's colour: its SLA class (service/sla.py)."""
    return dossier.sla_class(window)


def _due_label(dossier: Dossier, due: str | None) -> str:
    return display.due_label(due, COMPLETED if dossier.finished_at is not None else OPEN)


def _procedures(user) -> list[tuple[str, str]]:
    """The procedures of the dossiers the user may see, for the filter."""
    rows = db.session.execute(
        sa.select(Procedure.code, Procedure.name)
        .where(Procedure.id.in_(sa.select(Dossier.procedure_id).where(dossiers.visible_to(user))))
        .order_by(Procedure.code)
        .limit(1000)
    ).all()
    return [(code, f"{code}{display.DASH}{name}") for code, name in rows]


@bp.get("/dossiers", endpoint="dossiers")
def dossier_list():
    user = current_user()
    filters = Filters.parse(request.args)
    window = sla.Window.at(utcnow(), calendar())
    base = [dossiers.visible_to(user)]
    if filters.status is not None:
        base.append(Dossier.status == filters.status)
    if filters.procedure:
        base.append(
            Dossier.procedure_id.in_(sa.select(Procedure.id).where(Procedure.code == filters.procedure))
        )

    def count(*extra) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier).where(*base, *extra)) or 0

    counts = {due: count(sla.condition(due, window, SLA_COLUMNS)) for due in (sla.Sla.LATE, sla.Sla.DUE_SOON)}
    due_filter = [sla.condition(filters.due, window, SLA_COLUMNS)] if filters.due else []
    where = sa.and_(*base, *due_filter)
    total = count(*due_filter)
    pages = max(1, math.ceil(total / PER_PAGE))
    filters.page = min(filters.page, pages)
    # One query per page: the procedure is joined eagerly, the applicant is a column.
    items = db.session.scalars(
        sa.select(Dossier)
        .where(where)
        .order_by(Dossier.submitted_at.desc(), Dossier.id.desc())
        .offset((filters.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    rows = []
    for dossier in items:
        due = dossier_due(dossier, window)
        rows.append({"dossier": dossier, "due": due, "due_label": _due_label(dossier, due)})
    return render_template(
        "ui/dossiers.html",
        filters=filters,
        rows=rows,
        total=total,
        pages=pages,
        counts=counts,
        procedures=_procedures(user),
        statuses=[(int(code), display.dossier_status(code)) for code in DossierStatus],
        status_label=display.dossier_status,
    )


# --- one dossier ---------------------------------------------------------------------------------


def _display_names(usernames) -> dict[str, str]:
    names = {u for u in usernames if u}
    if not names:
        return {}
    rows = db.session.execute(sa.select(User.username, User.display_name).where(User.username.in_(names)))
    return {username: display_name or username for username, display_name in rows}


def _steps(dossier: Dossier) -> list[dict]:
    """The handovers of Mẫu 05, with each step's due moment (from its task) and verdict."""
    rows = db.session.execute(
        sa.select(DossierStep, Task.due_at)
        .outerjoin(Task, Task.id == DossierStep.task_id)
        .where(DossierStep.dossier_id == dossier.id)
        .order_by(DossierStep.id)
    ).all()
    names = _display_names(step.actor for step, _due in rows)
    return [
        {
            "step": step,
            "actor": names.get(step.actor, step.actor) if step.actor else None,
            "started": display.local_datetime(step.started_at),
            "due_at": display.local_datetime(due_at),
            "ended": display.local_datetime(step.ended_at),
            "cancelled": step.outcome != "completed",
            "verdict": step.verdict if step.outcome == "completed" else None,
            "verdict_label": display.due_label(step.verdict, COMPLETED)
            if step.outcome == "completed"
            else "",
        }
        for step, due_at in rows
    ]


def _open_tasks(user, instance) -> list[dict]:
    """The instance's open tasks: who holds them, their due colour, and whether the user may act."""
    window = sla.Window.at(utcnow(), calendar())
    tasks = instances.open_tasks(instance.id)
    codes = {task.unit for task in tasks if task.unit}
    units = (
        dict(db.session.execute(sa.select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all())
        if codes
        else {}
    )
    out = []
    for task in tasks:
        due = task.sla_class(window)
        group = task.lane or ", ".join(task.candidate_groups or []) or None
        out.append(
            {
                "task": task,
                "may_act": may_act_on_task(user, task, instance.started_by_id),
                "unit": " · ".join(p for p in (units.get(task.unit, task.unit), group) if p) or None,
                "due": due,
                "due_label": display.due_label(due, task.state),
                "due_at": display.local_datetime(task.due_at),
            }
        )
    return out


def documents(dossier: Dossier, instance) -> list[str]:
    """The slips that exist for the dossier in its present state, in the order of the forms.

    Mẫu 01, 05 and 06 once it is received (numbered); Mẫu 02 once a supplement was asked for (or
    the counter guided the applicant and the process ended unregistered); Mẫu 03 when refused;
    and any slip named by the `document` property of one of its tasks, opened or completed.
    """
    found: set[str] = set()
    if dossier.code is not None:
        found |= {"mau-01", "mau-05"}
    if dossier.received_at is not None:
        found.add("mau-06")
    guided = dossier.status == 1 and dossier.code is None and instance.state == "completed"
    if dossier.supplement_requests or guided:
        found.add("mau-02")
    if dossier.status == DossierStatus.REFUSED:
        found.add("mau-03")
    properties = db.session.scalars(
        sa.select(Task.properties).where(Task.instance_id == instance.id, Task.state != CANCELLED)
    )
    found |= {(p or {}).get("document") for p in properties}
    return [form for form in DOCUMENTS if form in found]


@bp.get("/dossiers/<ref>", endpoint="dossier")
def dossier_page(ref):
    user = current_user()
    if len(ref) > MAX_REF:
        raise NotFound("There is no such dossier.")
    dossier = dossiers.find(ref)
    dossiers.require_visible(user, dossier)
    if dossier.code and ref != dossier.code:
        return redirect(url_for("ui.dossier", ref=dossier.code))
    instance = instances.get(dossier.instance_id)
    due = dossier_due(dossier, sla.Window.at(utcnow(), calendar()))
    ref = dossier.code or str(dossier.id)
    involved = may_see(user, instance)
    return render_template(
        "ui/dossier.html",
        # The digitised components, for those the attachments API lets download them.
        attachments=attachment_panel.panel(instance) if involved else None,
        decisions=history.decisions(instance.id),
        dossier=dossier,
        instance=instance,
        ref=ref,
        status_label=display.dossier_status(dossier.status),
        channel=CHANNEL_LABELS.get(dossier.channel, dossier.channel),
        due=due,
        due_label=_due_label(dossier, due),
        due_moved=dossier.original_due_at is not None and dossier.due_at != dossier.original_due_at,
        current=_open_tasks(user, instance),
        steps=_steps(dossier),
        documents=[
            (form, DOCUMENTS[form], url_for("dossiers.document", ref=ref, form=form))
            for form in documents(dossier, instance)
        ],
        diagram_url=url_for("ui.instance_diagram", instance_id=instance.id),
        instance_url=url_for("ui.instance", instance_id=instance.id) if involved else None,
    )


# --- one instance and its diagram ------------------------------------------------------------


def diagram(instance) -> dict:
    """The definition's BPMN and the elements done, waiting and failed, without running the engine.

    Completed: the audit facts of finished elements. Active: open tasks and pending service calls
    (and, drawn by the script, the timers attached to them while a timer is armed). Failed: the
    element of the instance's error and of its open incidents.
    """
    xml = db.session.scalar(
        sa.select(ProcessDefinition.bpmn).where(ProcessDefinition.id == instance.definition_id)
    )
    completed = db.session.scalars(
        sa.select(AuditEvent.element_id)
        .where(
            AuditEvent.instance_id == instance.id,
            AuditEvent.type.in_(COMPLETED_FACTS),
            AuditEvent.element_id.is_not(None),
        )
        .distinct()
    ).all()
    active = set(
        db.session.scalars(
            sa.select(Task.element_id).where(Task.instance_id == instance.id, Task.state == OPEN)
        )
    )
    calls = db.session.execute(
        sa.select(ServiceCall.element_id, ServiceCall.state).where(
            ServiceCall.instance_id == instance.id, ServiceCall.state.in_((PENDING, RUNNING, FAILED))
        )
    ).all()
    active |= {element for element, state in calls if state != FAILED}
    failed = {element for element, state in calls if state == FAILED}
    if instance.state == "error" and (instance.error or {}).get("element_id"):
        failed.add(instance.error["element_id"])
    return {
        "xml": xml.decode("utf-8", errors="replace") if xml else "",
        # A timer is armed: the script marks the timer events attached to the waiting elements.
        "timer_waiting": instance.next_timer_at is not None and instance.state == "running",
        "completed": sorted(set(completed) - active - failed),
        "active": sorted(active - failed),
        "failed": sorted(failed),
    }


def may_see(user, instance) -> bool:
    try:
        instances.require_visible(user, instance)
    except Forbidden:
        return False
    return True


@bp.get("/instances/<uuid:instance_id>/diagram", endpoint="instance_diagram")
def instance_diagram(instance_id):
    """The diagram's data: for those who may see the instance, or the dossier it drives (the
    dossier's page shows the diagram to the officers of the receiving unit too)."""
    user = current_user()
    try:
        instance = instances.get(instance_id)
        if not may_see(user, instance):
            dossier = db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == instance.id))
            if dossier is None:
                instances.require_visible(user, instance)
            dossiers.require_visible(user, dossier)
    except ServiceError as exc:  # a JSON answer for the script, not the error page
        return error_response(exc.status, exc.code, exc.message, exc.details)
    return jsonify(diagram(instance))


def _history(instance) -> tuple[list[dict], bool]:
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.instance_id == instance.id)
        .order_by(AuditEvent.id)
        .limit(HISTORY_LIMIT + 1)
    ).all()
    task_ids = {e.task_id for e in events if e.task_id is not None}
    names = (
        dict(db.session.execute(sa.select(Task.id, Task.name).where(Task.id.in_(task_ids))).all())
        if task_ids
        else {}
    )
    rows = [
        {
            "event": event,
            "at": display.local_datetime(event.at),
            "label": str(EVENTS.get(event.type, event.type)),
            "subject": names.get(event.task_id) or event.element_id,
            "status": (event.data or {}).get("to") if event.type == "dossier_status_changed" else None,
        }
        for event in events[:HISTORY_LIMIT]
    ]
    return rows, len(events) > HISTORY_LIMIT


@bp.get("/instances/<uuid:instance_id>", endpoint="instance")
def instance_page(instance_id):
    user = current_user()
    instance = instances.get(instance_id)
    instances.require_visible(user, instance)
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == instance.id))
    starter = db.session.get(User, instance.started_by_id) if instance.started_by_id else None
    history, truncated = _history(instance)
    return render_template(
        "ui/instance.html",
        instance=instance,
        definition=instance.definition,
        state_label=str(INSTANCE_STATES.get(instance.state, instance.state)),
        starter=(starter.display_name or starter.username) if starter else None,
        started=display.local_datetime(instance.created_at),
        ended=display.local_datetime(instance.ended_at),
        dossier=dossier,
        current=_open_tasks(user, instance),
        history=history,
        truncated=truncated,
        status_label=display.dossier_status,
        diagram_url=url_for("ui.instance_diagram", instance_id=instance.id),
    )
