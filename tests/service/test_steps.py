"""The step pipeline (service/steps.py, service/stages.py): what happens after an engine step."""

import uuid

import sqlalchemy as sa

from service import stages, steps
from service.audit.models import AuditEvent
from service.dossiers import follow
from service.dossiers.models import Dossier
from service.engine import StepResult
from service.extensions import db
from service.models_base import utcnow
from service.outbox.models import OutboxEvent
from tests.dossiers import test_dossier_flow as flow

office = flow.office


def _names(pipeline) -> list[str]:
    return [f"{stage.__module__}.{stage.__name__}" for stage in pipeline.stages]


def test_the_app_runs_the_stages_listed_in_stages_py_in_their_order(app):
    assert app.extensions["motcua.steps"] is stages.PIPELINE
    names = _names(stages.PIPELINE)
    # the projection first, due dates before the rows are written, the audit, the gathered rows'
    # INSERT and metrics last
    assert names[:2] == ["service.tasks.projection.record_instance", "service.tasks.projection.open_tasks"]
    assert names.index("service.dossiers.follow.find_dossier") < names.index("service.deadlines.due_dates")
    assert names.index("service.deadlines.due_dates") < names.index("service.tasks.projection.write_tasks")
    assert names[-3:] == [
        "service.audit.operations.write",
        "service.inserts.write",
        "service.metrics.count_step",
    ]


def test_a_step_writes_its_events_to_the_outbox(office):
    dossier = flow.receive(office)
    flow.do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    with office.app.app_context():
        rows = db.session.execute(
            sa.select(OutboxEvent.topic, OutboxEvent.payload)
            .where(OutboxEvent.instance_id == uuid.UUID(dossier["process_instance_id"]))
            .order_by(OutboxEvent.id)
        ).all()
    topics = [topic for topic, _ in rows]
    assert topics[0] == "instance.started"
    assert topics.count("task.created") == 2  # receive, then digitise
    assert topics.count("task.completed") == 1
    assert [p["to"] for t, p in rows if t == "dossier.status_changed"] == [2]


def test_a_status_move_the_statuses_do_not_allow_is_refused_and_audited(office):
    """A model that asks a new dossier (status 1) to be returned (10) moves nothing."""
    dossier = flow.receive(office)
    with office.app.app_context():
        from service.instances.operations import get

        instance = get(uuid.UUID(dossier["process_instance_id"]), with_state=True)
        element = {"task_id": str(uuid.uuid4()), "element_id": "bad", "name": "Bad", "type": "EndEvent"}
        result = StepResult(
            state=instance.engine_state,
            status="running",
            completed_elements=[{**element, "properties": {"dossierStatus": "10"}}],
            variables=dict(instance.variables),
        )
        step = steps.Step(instance, result, None, utcnow())
        follow.find_dossier(step)
        follow.move_status(step)
        assert db.session.get(Dossier, uuid.UUID(dossier["id"])).status == 1
        assert [fact["type"] for fact in step.audit] == ["dossier_status_refused"]
        assert step.audit[0]["data"] == {"from": 1, "to": "10", "code": None}
        db.session.rollback()


def test_a_pause_parks_the_apology_timer_and_its_end_rearms_it_as_follow_up_steps(office, clock):
    dossier = flow.to_appraisal(office, flow.receive(office))
    flow.appraise(
        office,
        dossier,
        "request_supplement",
        missing_items=["Bản chụp CCCD"],
        supplement_reason="Thiếu bản chụp CCCD.",
    )
    clock.advance(days=3)
    dossier = flow.do(office.clerk, dossier, "await_supplement", {"supplement_received": True})
    with office.app.app_context():
        facts = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.instance_id == uuid.UUID(dossier["process_instance_id"]))
            .order_by(AuditEvent.id)
        ).all()
    parked, rearmed = [f for f in facts if f.type == "timers_rearmed"]
    assert "no apology while paused" in parked.data["reason"]
    assert "restarted after a pause" in rearmed.data["reason"]
    completed = [f for f in facts if f.type == "task_completed"]
    assert [f.element_id for f in completed][-2:] == ["appraise", "await_supplement"]
    assert facts.index(completed[-2]) < facts.index(parked) < facts.index(completed[-1])
    assert facts.index(rearmed) > facts.index(completed[-1])  # after the step that resumed
