"""The overview, the instances and the incidents (their actions go through the API from admin.js,
with If-Match and the instance version)."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ...definitions import queries as definitions
from ...dvcqg import queries as portal
from ...external_tasks import queries as external_tasks
from ...identity import queries as identity
from ...instances import operations as instances
from ...instances import queries as instance_reads
from ...jobs import queries as jobs
from .. import bp, display
from .common import admin_user, list_page

INSTANCE_STATES = {
    "running": _l("Đang chạy"),
    "suspended": _l("Đang tạm dừng"),
    "error": _l("Lỗi"),
    "completed": _l("Đã kết thúc"),
    "terminated": _l("Đã hủy"),
}


@bp.get("/admin", endpoint="admin")
def overview():
    admin_user()
    by_state = instance_reads.state_counts()
    counts = {
        "running": by_state.get("running", 0),
        "error": by_state.get("error", 0),
        "suspended": by_state.get("suspended", 0),
        "incidents": jobs.incident_count() + external_tasks.incident_count() + portal.incident_count(),
        "users": identity.active_user_count(),
    }
    return render_template("ui/admin.html", counts=counts)


def _instance_link(instance_id) -> str | None:
    if "ui.instance" in current_app.view_functions:
        return url_for("ui.instance", instance_id=instance_id)
    return None


def _instance_row(instance) -> dict:
    return {
        "instance": instance,
        "link": _instance_link(instance.id),
        "state_label": str(INSTANCE_STATES.get(instance.state, instance.state)),
        "created": display.local_datetime(instance.created_at),
        "updated": display.local_datetime(instance.updated_at),
        "error": (instance.error or {}).get("message") if instance.error else None,
        "urls": {
            action: url_for(f"instances.instance_{action}", instance_id=instance.id)
            for action in ("suspend", "resume", "terminate", "retry")
        },
    }


@bp.get("/admin/instances", endpoint="admin_instances")
def instances_page():
    user = admin_user()
    state = request.args.get("state", "")
    state = state if state in instance_reads.STATES else ""
    definition = request.args.get("definition", "").strip()[:255]
    business_key = request.args.get("business_key", "").strip()[:255]
    return list_page(
        "ui/admin_instances.html",
        lambda page, per_page: instances.search(
            user,
            state=state or None,
            definition_key=definition or None,
            business_key=business_key or None,
            page=page,
            per_page=per_page,
        ),
        name="rows",
        row=_instance_row,
        state=state,
        definition=definition,
        business_key=business_key,
        definitions=definitions.keys(),
        states=INSTANCE_STATES,
    )


def _incident_row(call) -> dict:
    return {
        "call": call,
        "link": _instance_link(call.instance_id),
        "updated": display.local_datetime(call.updated_at),
        "retry_url": url_for("incidents.retry", incident_id=call.id),
    }


EXTERNAL_INCIDENTS_SHOWN = 100  # the latest; the rest through GET /api/v1/external-tasks?state=failed
PUSH_INCIDENTS_SHOWN = 100  # the latest; the rest through GET /api/v1/integrations/dvcqg/pushes?state=failed


def _external_row(task) -> dict:
    return {
        "task": task,
        "link": _instance_link(task.instance_id),
        "updated": display.local_datetime(task.updated_at),
        "retry_url": url_for("external_tasks.retry", external_task_id=task.id),
    }


@bp.get("/admin/incidents", endpoint="admin_incidents")
def incidents_page():
    """The failed service calls, the external tasks in incident and the failed status pushes to
    the national portal (each retried from here)."""
    admin_user()
    external, external_total = external_tasks.incidents(1, EXTERNAL_INCIDENTS_SHOWN)
    pushes, pushes_total = portal.failed(PUSH_INCIDENTS_SHOWN)
    return list_page(
        "ui/admin_incidents.html",
        jobs.incidents,
        name="rows",
        row=_incident_row,
        external=[_external_row(task) for task in external],
        external_total=external_total,
        pushes=[_push_row(push) for push in pushes],
        pushes_total=pushes_total,
    )


def _push_row(push) -> dict:
    params = push.params or {}
    return {
        "push": push,
        "dossier": params.get("code") or params.get("portal_id") or "—",
        "status": display.dossier_status(params["status"]) if isinstance(params.get("status"), int) else "",
        "link": _instance_link(push.instance_id) if push.instance_id else None,
        "updated": display.local_datetime(push.next_attempt_at),
        "retry_url": url_for("dvcqg.retry_push", push_id=push.id),
    }
