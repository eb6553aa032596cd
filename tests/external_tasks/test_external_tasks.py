"""External tasks over the real app: a worker fetches and locks the work of an external service
task, completes it (the instance runs on), reports failures (retries, incidents an administrator
retries) and BPMN errors (caught by the task's error boundary event), extends or loses its lock."""

import uuid

import pytest
import sqlalchemy as sa

from service.extensions import db
from service.outbox.models import OutboxEvent
from tests.support import DATA, bpmn_path

URL = "/api/v1/external-tasks"
TOPIC = "population-lookup"


@pytest.fixture
def worker(admin, make_user):
    assert admin.deploy(bpmn_path("engine_external.bpmn")).status_code == 201
    return make_user("worker", groups=["external-workers"])


def _start(admin) -> dict:
    started = admin.start("external_check")
    assert started.status_code == 201, started.json
    return started.json


def _fetch(caller, worker_id="w1", topic=TOPIC, lock=60_000, **body):
    topics = [{"topic_name": topic, "lock_duration": lock, **body.pop("topic_args", {})}]
    return caller.post(f"{URL}/fetch-and-lock", json={"worker_id": worker_id, "topics": topics, **body})


def _instance(admin, instance_id) -> dict:
    return admin.get(f"/api/v1/process-instances/{instance_id}").json


def test_a_fetched_and_completed_external_task_resumes_its_instance(admin, worker):
    instance = _start(admin)
    assert instance["tasks"] == []  # the service task waits for a worker, no human task yet
    fetched = _fetch(worker, max_tasks=5, topic_args={"variables": ["nothing_here"]})
    assert fetched.status_code == 200, fetched.json
    [task] = fetched.json
    assert task["topic"] == TOPIC
    assert task["process_instance_id"] == instance["id"]
    assert task["activity_id"] == "lookup"
    assert task["worker_id"] == "w1"
    assert task["retries"] is None
    assert task["variables"] == {}
    done = worker.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {"found": True}})
    assert done.status_code == 200, done.json
    assert done.json["state"] == "done"
    after = _instance(admin, instance["id"])
    assert after["variables"]["found"] is True
    assert [t["element_id"] for t in after["tasks"]] == ["review"]
    assert "external_task_completed" in [e["type"] for e in after["history"]]
    assert _fetch(worker).json == []  # nothing left to fetch
    again = worker.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "lock_not_held"


def test_fetch_returns_the_variables_asked_for(admin, worker):
    _start(admin)
    [task] = _fetch(worker, topic_args={"variables": ["missing"]}).json
    assert task["variables"] == {}
    worker.post(f"{URL}/{task['id']}/unlock")
    [task] = _fetch(worker).json  # all variables when none are named
    assert isinstance(task["variables"], dict)


def test_an_unknown_topic_gives_nothing(admin, worker):
    _start(admin)
    answer = _fetch(worker, topic="no-such-topic")
    assert answer.status_code == 200 and answer.json == []


def test_an_expired_lock_is_fetchable_again_and_the_old_worker_is_refused(admin, worker, clock):
    _start(admin)
    [first] = _fetch(worker, worker_id="w1", lock=1000).json
    assert _fetch(worker, worker_id="w2").json == []  # locked
    clock.advance(seconds=2)
    [second] = _fetch(worker, worker_id="w2").json
    assert second["id"] == first["id"]
    late = worker.post(f"{URL}/{first['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert late.status_code == 409 and late.json["error"]["code"] == "lock_not_held"
    ok = worker.post(f"{URL}/{first['id']}/complete", json={"worker_id": "w2", "variables": {}})
    assert ok.status_code == 200, ok.json


def test_a_worker_that_does_not_hold_the_lock_is_refused(admin, worker):
    _start(admin)
    [task] = _fetch(worker, worker_id="w1").json
    for action, body in (
        ("complete", {"variables": {}}),
        ("failure", {"error_message": "x", "retries": 1}),
        ("bpmn-error", {"error_code": "NOT_FOUND"}),
        ("extend-lock", {"new_duration": 1000}),
    ):
        refused = worker.post(f"{URL}/{task['id']}/{action}", json={"worker_id": "intruder", **body})
        assert refused.status_code == 409, (action, refused.json)
        assert refused.json["error"]["code"] == "lock_not_held"
    assert worker.get(f"{URL}/{task['id']}").json["worker_id"] == "w1"


def test_extend_lock_keeps_the_task_past_its_first_duration(admin, worker, clock):
    _start(admin)
    [task] = _fetch(worker, worker_id="w1", lock=1000).json
    extended = worker.post(
        f"{URL}/{task['id']}/extend-lock", json={"worker_id": "w1", "new_duration": 60_000}
    )
    assert extended.status_code == 200, extended.json
    clock.advance(seconds=5)
    assert _fetch(worker, worker_id="w2").json == []
    done = worker.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert done.status_code == 200, done.json


def test_unlock_makes_the_task_fetchable_by_another_worker(admin, worker):
    _start(admin)
    [task] = _fetch(worker, worker_id="w1").json
    unlocked = worker.post(f"{URL}/{task['id']}/unlock")
    assert unlocked.status_code == 200 and unlocked.json["worker_id"] is None
    [again] = _fetch(worker, worker_id="w2").json
    assert again["id"] == task["id"] and again["worker_id"] == "w2"


def test_a_failure_counts_retries_down_and_waits_for_the_retry_timeout(admin, worker, clock):
    _start(admin)
    clock.freeze()
    [task] = _fetch(worker).json
    failed = worker.post(
        f"{URL}/{task['id']}/failure",
        json={"worker_id": "w1", "error_message": "timeout", "retries": 2, "retry_timeout": 30_000},
    )
    assert failed.status_code == 200, failed.json
    assert failed.json["retries"] == 2 and failed.json["state"] == "open"
    assert _fetch(worker).json == []  # not before the retry timeout
    clock.advance(seconds=31)
    [again] = _fetch(worker).json
    assert again["retries"] == 2 and again["error_message"] == "timeout"
    worker.post(
        f"{URL}/{task['id']}/failure",
        json={"worker_id": "w1", "error_message": "timeout", "retries": 1, "retry_timeout": 0},
    )
    [third] = _fetch(worker).json
    assert third["retries"] == 1


def test_no_retries_left_is_an_incident_an_administrator_retries(app, admin, worker):
    instance = _start(admin)
    diagram = f"/ui/instances/{instance['id']}/diagram"
    assert admin.get(diagram).json["active"] == ["lookup"]  # waiting for a worker
    [task] = _fetch(worker).json
    failed = worker.post(
        f"{URL}/{task['id']}/failure",
        json={"worker_id": "w1", "error_message": "registry down", "error_details": "trace", "retries": 0},
    )
    assert failed.status_code == 200 and failed.json["state"] == "failed"
    assert _fetch(worker).json == []
    incidents = admin.get(f"{URL}?state=failed").json
    assert [i["id"] for i in incidents["items"]] == [task["id"]]
    [listed] = admin.get("/api/v1/incidents").json["items"]  # with the failed service calls
    assert (listed["kind"], listed["external_task_id"], listed["topic"]) == (
        "external_task",
        task["id"],
        TOPIC,
    )
    assert listed["error"] == "registry down" and listed["element_id"] == "lookup"
    history = [e["type"] for e in _instance(admin, instance["id"])["history"]]
    assert "incident_opened" in history
    assert "incident.raised" in _outbox_topics(app, instance["id"])  # a webhook event type
    assert admin.get(diagram).json["failed"] == ["lookup"]
    page = admin.get("/ui/admin/incidents")
    assert page.status_code == 200 and "registry down" in page.get_data(as_text=True)
    assert worker.post(f"{URL}/{task['id']}/retry").status_code == 403  # administrators only
    retried = admin.post(f"{URL}/{task['id']}/retry?retries=2")
    assert retried.status_code == 200, retried.json
    [again] = _fetch(worker).json
    assert again["id"] == task["id"] and again["retries"] == 2
    assert admin.get("/api/v1/incidents").json["total"] == 0
    assert admin.post(f"{URL}/{task['id']}/retry").status_code == 409  # not an incident now


def test_a_bpmn_error_is_caught_by_the_error_boundary_event(admin, worker):
    instance = _start(admin)
    [task] = _fetch(worker).json
    thrown = worker.post(
        f"{URL}/{task['id']}/bpmn-error",
        json={"worker_id": "w1", "error_code": "NOT_FOUND", "variables": {"reason": "no record"}},
    )
    assert thrown.status_code == 200, thrown.json
    assert thrown.json["state"] == "done"
    after = _instance(admin, instance["id"])
    assert [t["element_id"] for t in after["tasks"]] == ["manual_check"]
    assert after["variables"]["reason"] == "no record"


def test_a_bpmn_error_nothing_catches_is_an_incident(admin, worker):
    _start(admin)
    [task] = _fetch(worker).json
    thrown = worker.post(f"{URL}/{task['id']}/bpmn-error", json={"worker_id": "w1", "error_code": "OTHER"})
    assert thrown.status_code == 200, thrown.json
    assert thrown.json["state"] == "failed"
    assert "OTHER" in thrown.json["error_message"]


def test_a_worker_sets_only_what_the_tasks_form_declares_and_never_a_computed_variable(admin, worker):
    instance = _start(admin)
    [task] = _fetch(worker).json
    url = f"{URL}/{task['id']}/complete"
    undeclared = worker.post(url, json={"worker_id": "w1", "variables": {"found": True, "approved": True}})
    assert undeclared.status_code == 422
    assert "approved" in undeclared.json["error"]["details"]["fields"]
    computed = worker.post(url, json={"worker_id": "w1", "variables": {"risk": "high"}})  # the script's
    assert computed.status_code == 422
    wrong_type = worker.post(url, json={"worker_id": "w1", "variables": {"found": "yes"}})
    assert wrong_type.status_code == 422
    assert _instance(admin, instance["id"])["variables"]["risk"] == "low"
    assert worker.post(url, json={"worker_id": "w1", "variables": {"found": False}}).status_code == 200


def test_a_task_without_a_form_takes_any_variable_but_a_protected_one(admin, worker):
    assert admin.deploy(DATA / "camunda" / "camunda_external.bpmn").status_code == 201
    payments = admin.start("camunda_payment_check")
    assert payments.status_code == 201, payments.json
    [task] = _fetch(worker, topic="charge-card").json
    assert task["priority"] == 10
    url = f"{URL}/{task['id']}/complete"
    refused = worker.post(url, json={"worker_id": "w1", "variables": {"spiff__Activity_charge_result": 1}})
    assert refused.status_code == 422
    done = worker.post(url, json={"worker_id": "w1", "variables": {"charged": True, "receipt": "R-1"}})
    assert done.status_code == 200, done.json
    final = _instance(admin, payments.json["id"])
    assert final["state"] == "completed"
    assert final["variables"]["receipt"] == "R-1"


def test_only_workers_and_administrators_work_external_tasks(admin, worker, make_user):
    _start(admin)
    clerk = make_user("clerk", groups=["reception"])
    assert _fetch(clerk).status_code == 403
    assert clerk.get(URL).status_code == 403
    [task] = _fetch(worker).json
    assert clerk.get(f"{URL}/{task['id']}").status_code == 403
    answer = clerk.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert answer.status_code == 403
    assert worker.get(f"{URL}/{task['id']}").status_code == 200


def test_a_worker_given_one_topic_neither_fetches_nor_completes_another(admin, worker, make_user):
    _start(admin)
    other = make_user("payments", groups=["external-workers.charge-card"])
    assert _fetch(other).status_code == 403
    assert _fetch(other, topic="charge-card").json == []
    [task] = _fetch(worker).json
    answer = other.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert answer.status_code == 403
    assert other.get(URL).json["items"] == []
    topic_worker = make_user("lookups", groups=[f"external-workers.{TOPIC}"])
    assert topic_worker.get(f"{URL}/{task['id']}").status_code == 200


def test_bad_requests_are_clear_4xx(admin, worker):
    assert worker.post(f"{URL}/fetch-and-lock", json={"worker_id": "w1"}).status_code == 422
    assert worker.post(f"{URL}/fetch-and-lock", json={"worker_id": "w1", "topics": []}).status_code == 422
    huge = _fetch(worker, lock=10**12)
    assert huge.status_code == 422
    missing = "00000000-0000-0000-0000-000000000000"
    assert worker.post(f"{URL}/{missing}/complete", json={"worker_id": "w1"}).status_code == 404
    assert worker.get(f"{URL}/not-a-uuid").status_code == 404


def test_long_polling_returns_when_nothing_comes(admin, worker, app):
    app.config["MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS"] = 0.2
    answer = _fetch(worker, async_response_timeout=60_000)  # bounded by the setting
    assert answer.status_code == 200 and answer.json == []


def _outbox_topics(app, instance_id) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxEvent.topic).where(OutboxEvent.instance_id == uuid.UUID(instance_id))
        ).all()


def test_the_external_task_is_announced_in_the_outbox(app, admin, worker):
    instance = _start(admin)
    assert "external_task.created" in _outbox_topics(app, instance["id"])


def test_a_suspended_instance_s_task_is_not_fetched_and_a_terminated_one_is_withdrawn(admin, worker):
    instance = _start(admin)
    base = f"/api/v1/process-instances/{instance['id']}"
    assert admin.post(f"{base}/suspend").status_code == 200
    assert _fetch(worker).json == []
    assert admin.post(f"{base}/resume").status_code == 200
    [task] = _fetch(worker).json
    assert admin.post(f"{base}/terminate").status_code == 200
    assert worker.get(f"{URL}/{task['id']}").json["state"] == "cancelled"
    late = worker.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert late.status_code == 409


def test_another_principal_naming_the_same_worker_id_does_not_hold_the_lock(admin, worker, make_user):
    _start(admin)
    [task] = _fetch(worker, worker_id="w1").json
    impostor = make_user("impostor", groups=["external-workers"])
    forged = impostor.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}})
    assert forged.status_code == 409 and forged.json["error"]["code"] == "lock_not_held"
    assert (
        worker.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}}).status_code
        == 200
    )


def test_a_systems_token_works_only_the_topics_its_scopes_name(admin, worker):
    from tests.conftest import Caller

    def token(*scopes):
        issued = admin.post("/api/v1/tokens", json={"user": "worker", "scopes": list(scopes)})
        assert issued.status_code == 201, issued.json
        return Caller(admin.client, "worker", issued.json["token"])

    _start(admin)
    other = token("read", "external-tasks:card-printing")
    refused = _fetch(other)
    assert refused.status_code == 403 and refused.json["error"]["details"]["topics"] == [TOPIC]
    assert other.get(URL).json["items"] == []  # nor listed
    no_scope = token("read")
    assert _fetch(no_scope).status_code == 403
    scoped = token("external-tasks:" + TOPIC)
    [task] = _fetch(scoped).json
    assert (
        other.post(f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {}}).status_code
        == 403
    )
    done = scoped.post(
        f"{URL}/{task['id']}/complete", json={"worker_id": "w1", "variables": {"found": False}}
    )
    assert done.status_code == 200, done.json
    # an administrator's retry is not a worker's action: closed to scoped tokens
    assert scoped.post(f"{URL}/{task['id']}/retry?retries=1").status_code == 403
