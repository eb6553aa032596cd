"""GET /api/v1/incidents pages the three kinds of incident together (failed service calls,
external tasks in incident, the national portal's failed status pushes), latest first, in the
database: every incident on exactly one page, in order, whatever the kinds' mix."""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.dvcqg.models import StatusPush
from service.extensions import db
from service.external_tasks.models import ExternalTask
from service.jobs.models import FAILED, ServiceCall
from service.models_base import utcnow
from tests.factories import receive_dossier


def _incidents(office) -> list[tuple[str, str, object]]:
    """Eight incidents of the three kinds, interleaved in time, and one call that is not failed:
    (kind, the id the API names it by, when it is listed under), latest first. The pushes were
    made in the reverse order of their failing (a push made long ago may give up last)."""
    dossier = receive_dossier(office.clerk)
    instance_id, dossier_id = uuid.UUID(dossier["process_instance_id"]), uuid.UUID(dossier["id"])
    base = utcnow() - timedelta(hours=1)
    made = []
    with office.app.app_context():
        for minute, kind in enumerate(
            ["call", "push", "external", "call", "push", "external", "push", "call", "done"]
        ):
            at = base + timedelta(minutes=minute)
            if kind in ("call", "done"):
                row = ServiceCall(
                    instance_id=instance_id,
                    task_id=uuid.uuid4(),
                    element_id="e",
                    operation="dvc/x",
                    idempotency_key=f"k{minute}",
                    state=FAILED if kind == "call" else "done",
                    attempts=3,
                    last_error="refused",
                    updated_at=at,
                )
            elif kind == "external":
                row = ExternalTask(
                    instance_id=instance_id,
                    task_id=uuid.uuid4(),
                    element_id="e",
                    topic="t",
                    state=FAILED,
                    retries=0,
                    error_message="boom",
                    updated_at=at,
                )
            else:
                row = StatusPush(
                    event_id=1000 + minute,
                    dossier_id=dossier_id,
                    instance_id=instance_id,
                    state=FAILED,
                    attempts=3,
                    last_error="down",
                    next_attempt_at=at,
                    created_at=base - timedelta(days=1, minutes=minute),
                )
            db.session.add(row)
            db.session.flush()
            if kind != "done":
                made.append((kind, str(row.id), at))
        db.session.commit()
    return sorted(made, key=lambda item: item[2], reverse=True)


def _named(item: dict) -> tuple[str, str]:
    kind = {"service_call": "call", "external_task": "external", "dvcqg_push": "push"}[item["kind"]]
    key = {"call": "id", "external": "external_task_id", "push": "push_id"}[kind]
    return kind, str(item[key])


def test_every_incident_is_on_exactly_one_page_latest_first(dossier_office):
    expected = [(kind, key) for kind, key, _ in _incidents(dossier_office)]
    seen = []
    for page in (1, 2, 3, 4, 5):
        body = dossier_office.admin.get(f"/api/v1/incidents?page={page}&per_page=2").json
        assert body["total"] == 8
        seen.extend(_named(item) for item in body["items"])
    assert seen == expected


def test_a_far_page_is_empty_and_keeps_the_count(dossier_office):
    _incidents(dossier_office)
    body = dossier_office.admin.get("/api/v1/incidents?page=1000000&per_page=100").json
    assert body["items"] == [] and body["total"] == 8
