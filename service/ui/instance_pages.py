"""An instance's page (its state, open tasks, history) and the data of its process diagram,
without running the engine. Authorised with `instances.permissions.require_visible` (the diagram
also for those who may see the dossier the instance drives) and `tasks.permissions.may_act_on_task`
for the links to task pages.
"""

from __future__ import annotations

from flask import jsonify, render_template, url_for
from flask_babel import lazy_gettext as _l

from ..audit import queries as audit
from ..definitions import queries as definitions
from ..dossiers import permissions as dossier_rules
from ..dossiers import queries as dossier_reads
from ..errors import Forbidden, ServiceError, error_response
from ..external_tasks import queries as external_tasks
from ..identity import queries as identity
from ..identity.auth import current_user
from ..instances import operations as instances
from ..instances import permissions as instance_rules
from ..jobs import queries as jobs
from ..tasks import queries as tasks
from ..tasks.permissions import may_act_on_task
from . import bp, display, words

HISTORY_LIMIT = 500
INSTANCE_STATES = {
    "running": _l("Đang chạy"),
    "completed": _l("Đã kết thúc"),
    "suspended": _l("Tạm ngừng"),
    "terminated": _l("Đã hủy bỏ"),
    "error": _l("Bị lỗi"),
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
    "catalogue_changed": _l("Cập nhật danh mục TTHC"),
}


def open_tasks(user, instance) -> list[dict]:
    """The instance's open tasks: who holds them, their due colour, and whether the user may act."""
    window = tasks.sla_window()
    found = tasks.open_of(instance.id)
    units = identity.unit_names(task.unit for task in found)
    out = []
    for task in found:
        due = task.sla_class(window)
        group = ", ".join(identity.group_labels([task.lane] if task.lane else task.candidate_groups or []))
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


def diagram(instance) -> dict:
    """The definition's BPMN and the elements done, waiting and failed, without running the engine.

    Completed: the audit facts of finished elements. Active: open tasks, pending service calls and
    external tasks (and, drawn by the script, the timers attached to them while a timer is armed). Failed: the
    element of the instance's error and of its open incidents.
    """
    xml = definitions.bpmn(instance.definition_id)
    completed = audit.elements_done(instance.id)
    waiting, failed = jobs.call_elements(instance.id)
    external_waiting, external_failed = external_tasks.elements(instance.id)
    waiting, failed = waiting | external_waiting, failed | external_failed
    active = {task.element_id for task in tasks.open_of(instance.id)} | waiting
    if instance.state == "error" and (instance.error or {}).get("element_id"):
        failed.add(instance.error["element_id"])
    return {
        "xml": words.translated_bpmn(xml.decode("utf-8", errors="replace")) if xml else "",
        # A timer is armed: the script marks the timer events attached to the waiting elements.
        "timer_waiting": instance.next_timer_at is not None and instance.state == "running",
        "completed": sorted(set(completed) - active - failed),
        "active": sorted(active - failed),
        "failed": sorted(failed),
        # Lanes are named by group codes: the script shows the groups' words instead.
        "lanes": lane_names(),
    }


def lane_names() -> dict[str, str]:
    """Group code -> its description, for the groups that have one (the diagram's lane labels)."""
    names = identity.group_names()
    return {
        name: label
        for name, label in zip(names, identity.group_labels(names), strict=True)
        if label and label != name
    }


def may_see(user, instance) -> bool:
    try:
        instance_rules.require_visible(user, instance)
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
            dossier = dossier_reads.of_instance(instance.id)
            if dossier is None:
                instance_rules.require_visible(user, instance)
            dossier_rules.require_visible(user, dossier)
    except ServiceError as exc:  # a JSON answer for the script, not the error page
        return error_response(exc.status, exc.code, exc.message, exc.details)
    return jsonify(diagram(instance))


# What an element the engine completed by itself is, when it has no name (the engine's spec class).
ELEMENT_TYPES = {
    "StartEvent": _l("Sự kiện bắt đầu"),
    "EndEvent": _l("Sự kiện kết thúc"),
    "ExclusiveGateway": _l("Rẽ nhánh"),
    "InclusiveGateway": _l("Rẽ nhánh"),
    "ParallelGateway": _l("Song song"),
    "EventBasedGateway": _l("Chờ sự kiện"),
    "ScriptTask": _l("Xử lý tự động"),
    "ServiceTask": _l("Gọi hệ thống khác"),
    "IntermediateCatchEvent": _l("Sự kiện chờ"),
    "IntermediateThrowEvent": _l("Sự kiện phát"),
    "BoundaryEvent": _l("Sự kiện biên"),
    "SubWorkflowTask": _l("Quy trình con"),
    "CallActivity": _l("Quy trình con"),
}


def _element_words(event) -> str | None:
    """An element of the log by its name (kept in the fact since facts carry it), else what it is."""
    data = event.data or {}
    if data.get("name"):
        return str(data["name"])
    kind = ELEMENT_TYPES.get(data.get("type") or "")
    return str(kind) if kind is not None else event.element_id


def _history(instance) -> tuple[list[dict], bool]:
    events = audit.history(instance.id, limit=HISTORY_LIMIT + 1)
    names = tasks.names(e.task_id for e in events)
    people = identity.display_names(e.actor for e in events)
    rows = [
        {
            "event": event,
            "at": display.local_datetime(event.at),
            "label": str(EVENTS.get(event.type, event.type)),
            "subject": words.word(names.get(event.task_id) or _element_words(event)),
            "actor": display.person(people.get(event.actor, event.actor), event.actor)
            if event.actor
            else None,
            "status": (event.data or {}).get("to") if event.type == "dossier_status_changed" else None,
        }
        for event in events[:HISTORY_LIMIT]
    ]
    return rows, len(events) > HISTORY_LIMIT


@bp.get("/instances/<uuid:instance_id>", endpoint="instance")
def instance_page(instance_id):
    user = current_user()
    instance = instances.get(instance_id)
    instance_rules.require_visible(user, instance)
    dossier = dossier_reads.of_instance(instance.id)
    history, truncated = _history(instance)
    return render_template(
        "ui/instance.html",
        instance=instance,
        definition=instance.definition,
        state_label=str(INSTANCE_STATES.get(instance.state, instance.state)),
        starter=identity.user_name(instance.started_by_id),
        started=display.local_datetime(instance.created_at),
        ended=display.local_datetime(instance.ended_at),
        dossier=dossier,
        current=open_tasks(user, instance),
        history=history,
        truncated=truncated,
        status_label=display.dossier_status,
        diagram_url=url_for("ui.instance_diagram", instance_id=instance.id),
    )
