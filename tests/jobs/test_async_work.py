"""Asynchronous work run by the same operations the workers run: service calls over real HTTP to the
simulator, retries, incidents, crash recovery with idempotency keys, timers, health and metrics."""

import time
import uuid
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from integrations import ConnectorConfig, Connectors
from service.extensions import db
from service.jobs import dispatch
from service.jobs.models import ServiceCall
from service.models_base import utcnow
from tests.integrations.simulation import SimulatorProcess
from tests.support import bpmn_path


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    process = SimulatorProcess(tmp_path_factory.mktemp("sim") / "simulator.log")
    yield process
    process.stop()


@pytest.fixture
def service_chain(app, deploy_library, simulator):
    """The app's connectors call the (reset) simulator; the service_chain process is deployed."""
    requests.post(f"{simulator.url}/_control/reset", timeout=5)
    app.extensions["motcua.connectors"] = Connectors(
        {name: ConnectorConfig(name, simulator.url, timeout=2.0) for name in ("dvc", "post")}
    )
    deploy_library("svc_service_chain.bpmn")


def _fail(simulator, **rule):
    requests.post(f"{simulator.url}/_control/fail", json=rule, timeout=5).raise_for_status()


def _stats(simulator):
    return requests.get(f"{simulator.url}/_control/stats", timeout=5).json()


def _run_until(app, predicate, seconds=15.0, clock=None):
    """Tick like a worker until predicate() holds (bounded); with the clock, a second passes per tick."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dispatch.tick(app)
        if predicate():
            return True
        if clock is not None:
            clock.advance(seconds=1)
        time.sleep(0.1)
    return False


def _state(admin, instance_id):
    return admin.get(f"/api/v1/process-instances/{instance_id}").json


def test_service_tasks_and_a_real_timer_run_to_completion(app, admin, service_chain, simulator):
    started = admin.start("service_chain", variables={"ref": "HS-1", "wait_for": "PT1S"}).json
    assert started["state"] == "running"  # the API request did not call the remote system
    assert _stats(simulator)["effects"] == 0
    assert _run_until(app, lambda: _state(admin, started["id"])["state"] == "completed")
    final = _state(admin, started["id"])
    assert final["variables"]["sync_result"]["reference"] == "dvc-1"
    assert final["variables"]["delivery"]["ok"] is True
    types = [e["type"] for e in final["history"]]
    assert types.count("service_task_completed") == 2
    assert "timers_fired" in types
    journal = requests.get(f"{simulator.url}/_control/journal", timeout=5).json()["journal"]
    assert [(j["connector"], j["operation"]) for j in journal] == [
        ("dvc", "sync_dossier"),
        ("post", "deliver"),
    ]
    assert journal[1]["params"] == {"ref": "HS-1", "reference": "dvc-1"}


def test_transient_failures_are_retried_with_backoff(app, admin, service_chain, simulator, clock):
    _fail(simulator, connector="dvc", operation="*", times=2, status=503)
    clock.freeze()  # time moves only when the test says so
    started = admin.start("service_chain", variables={"ref": "HS-2", "wait_for": "PT0S"}).json

    def sync():
        with app.app_context():
            call = db.session.scalar(sa.select(ServiceCall).where(ServiceCall.element_id == "sync"))
            return call.attempts, call.state, call.next_attempt_at - call.updated_at

    dispatch.tick(app)  # the first attempt meets a 503: the next one in 1 s (the model's backoff_base)
    assert sync() == (1, "pending", timedelta(seconds=1))
    dispatch.tick(app)
    assert sync()[0] == 1  # not before its time
    clock.advance(seconds=1)
    dispatch.tick(app)  # a 503 again: the next one in twice the time
    assert sync() == (2, "pending", timedelta(seconds=2))
    clock.advance(seconds=1)
    dispatch.tick(app)
    assert sync()[0] == 2
    clock.advance(seconds=1)
    assert _run_until(app, lambda: _state(admin, started["id"])["state"] == "completed")
    assert sync()[:2] == (3, "done")
    assert _stats(simulator)["effects"] == 2  # one per idempotency key: sync and deliver


def test_exhausted_retries_open_an_incident_that_can_be_retried(app, admin, service_chain, simulator, clock):
    _fail(simulator, connector="dvc", operation="*", times=3, status=503, error="DVC bảo trì")
    started = admin.start("service_chain", variables={"ref": "HS-3", "wait_for": "PT0S"}).json

    def incident_open():
        return admin.get("/api/v1/incidents").json["total"] == 1

    assert _run_until(app, incident_open, clock=clock)  # its backoffs pass on the clock
    incident = admin.get("/api/v1/incidents").json["items"][0]
    assert incident["element_id"] == "sync"
    assert incident["attempts"] == 3
    assert "503" in incident["error"] and "DVC bảo trì" in incident["error"]
    assert incident["process_instance_id"] == started["id"]
    assert _state(admin, started["id"])["state"] == "running"
    retried = admin.post(f"/api/v1/incidents/{incident['id']}/retry")
    assert retried.status_code == 200
    assert retried.json["state"] == "pending"
    assert admin.post(f"/api/v1/incidents/{incident['id']}/retry").status_code == 409
    assert _run_until(app, lambda: _state(admin, started["id"])["state"] == "completed")
    assert admin.get("/api/v1/incidents").json["total"] == 0


def test_a_refused_call_is_an_incident_at_once(app, admin, service_chain, simulator, make_user):
    _fail(simulator, connector="dvc", operation="*", times=1, status=400, error="mã hồ sơ sai")
    admin.start("service_chain", variables={"ref": "HS-4", "wait_for": "PT0S"})
    assert _run_until(app, lambda: admin.get("/api/v1/incidents").json["total"] == 1)
    assert admin.get("/api/v1/incidents").json["items"][0]["attempts"] == 1
    clerk = make_user("clerk", groups=["reception"])
    assert clerk.get("/api/v1/incidents").status_code == 403
    assert admin.post("/api/v1/incidents/999999/retry").status_code == 404


def test_a_worker_dying_mid_call_is_replaced_and_the_effect_happens_once(
    app, admin, service_chain, simulator, clock
):
    started = admin.start("service_chain", variables={"ref": "HS-5", "wait_for": "PT1H"}).json
    with app.app_context():
        call_id = db.session.scalar(
            sa.select(ServiceCall.id).where(ServiceCall.instance_id == uuid.UUID(started["id"]))
        )
        from service.jobs.calls import claim_call

        call = claim_call(call_id, utcnow())  # a worker takes the call ...
        app.extensions["motcua.connectors"].call(
            call.operation, call.params, idempotency_key=call.idempotency_key
        )
        # ... the remote applied it, and the worker is killed before it recorded the result.
        lease = app.config["MOTCUA_LEASE_SECONDS"]
    assert dispatch.tick(app) == (0, 0)  # while the lease runs, no other worker takes the call
    assert _stats(simulator)["calls"] == 1
    clock.advance(seconds=lease + 1)  # the dead worker's lease runs out
    assert _run_until(app, lambda: _state(admin, started["id"])["variables"].get("sync_result") is not None)
    stats = _stats(simulator)
    assert stats["calls"] == 2
    assert stats["effects"] == 1
    assert list(stats["effects_per_key"].values()) == [1]
    with app.app_context():
        assert db.session.get(ServiceCall, call_id).attempts == 2


def test_health_reports_database_workers_and_pending_work(app, admin, service_chain, client, clock):
    admin.start("service_chain", variables={"ref": "HS-6", "wait_for": "PT1H"})
    with app.app_context():
        created = db.session.scalar(sa.select(ServiceCall.created_at))
    clock.advance(minutes=10)  # the call waits: no worker runs
    earliest = (clock.now() - created).total_seconds()
    before = client.get("/api/v1/health")
    latest = (clock.now() - created).total_seconds()
    assert before.status_code == 200
    assert before.json["database"]["ok"] is True
    assert before.json["broker"]["configured"] is False
    assert before.json["workers"] == {"seen_recently": 0, "names": []}
    assert earliest - 0.1 <= before.json["oldest_pending_job_age_seconds"] <= latest + 0.1
    assert earliest >= 600
    dispatch.tick(app)  # runs the call (the instance then waits on its timer) and beats
    after = client.get("/api/v1/health").json
    assert after["workers"] == {"seen_recently": 1, "names": [dispatch.worker_name()]}
    assert after["oldest_pending_job_age_seconds"] == 0.0


def test_metrics_need_an_administrator_and_count_the_work(app, admin, service_chain, make_user):
    admin.start("service_chain", variables={"ref": "HS-7", "wait_for": "PT1H"})
    assert make_user("clerk").get("/metrics").status_code == 403
    text = admin.get("/metrics").get_data(as_text=True)
    for name in (
        "motcua_instances_started_total",
        "motcua_queue_depth",
        "motcua_incidents",
        "motcua_timer_lag_seconds",
        "motcua_step_seconds_bucket",
        "motcua_task_completions_total",
    ):
        assert name in text
    assert "motcua_queue_depth 1.0" in text


def test_the_sla_watch_marks_late_and_due_soon_tasks(app, deploy_library, make_user):
    deploy_library("simple_approval.bpmn")
    clerk = make_user("clerk", groups=["reception"])
    started = clerk.start("simple_approval").json  # register is due in 4 hours (dueIn PT4H)
    with app.app_context():
        from service.jobs.operations import watch_sla
        from service.tasks.models import Task

        watch_sla(utcnow())
        task = db.session.get(Task, uuid.UUID(started["tasks"][0]["id"]))
        assert task.sla == "due_soon"
        watch_sla(utcnow() + timedelta(days=1))
        db.session.refresh(task)
        assert task.sla == "late"


def test_a_timer_start_waits_then_runs_and_working_day_timers_follow_the_calendar(app, admin):
    assert admin.deploy(bpmn_path("svc_timer_start.bpmn")).status_code == 201
    waiting = admin.get("/api/v1/process-instances?definition_key=nightly_sync").json["items"]
    assert len(waiting) == 1  # deploying armed the start timer
    instance_id = waiting[0]["id"]
    with app.app_context():
        from service.instances.models import ProcessInstance

        assert db.session.get(ProcessInstance, uuid.UUID(instance_id)).next_timer_at is not None

    def at_working_day_timer():
        with app.app_context():
            row = db.session.get(ProcessInstance, uuid.UUID(instance_id))
            return row.next_timer_at is not None and row.next_timer_at > utcnow() + timedelta(hours=1)

    assert _run_until(app, at_working_day_timer)  # the 1-second start timer fired for real
    with app.app_context():
        from service.calendar.operations import calendar

        row = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        fired_at = row.updated_at
        expected = calendar().add_working_days(fired_at, 2)
        assert abs(row.next_timer_at - expected) < timedelta(seconds=5)
        from service.jobs.operations import fire_timers

        assert fire_timers(row.id, row.next_timer_at + timedelta(seconds=1))
    tasks = admin.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    assert [t["element_id"] for t in tasks] == ["review"]
