"""/engine-rest/external-task: Camunda's external-task paths on Motcua's external tasks: fetchAndLock
with typed variables, complete, failure (an incident at 0 retries), bpmnError (caught by the error
boundary event), extendLock, unlock; the lock holder only; the worker groups and token scopes. And
two unmodified clients over real HTTP: pycamunda and generic-camunda-client."""

from __future__ import annotations

import generic_camunda_client as gcc
import pycamunda.externaltask
import pytest
import requests

from tests.camunda.conftest import PASSWORD
from tests.support import DATA, bpmn_path

TOPIC = "population-lookup"


@pytest.fixture
def workers(people, make_user):
    admin = people["admin"]
    assert admin.deploy(bpmn_path("engine_external.bpmn")).status_code == 201
    assert admin.deploy(DATA / "camunda" / "camunda_external.bpmn").status_code == 201
    make_user("worker", groups=["external-workers"])
    make_user("charger", groups=["external-workers.charge-card"])
    return admin


def _start(admin, key="external_check") -> str:
    started = admin.start(key)
    assert started.status_code == 201, started.json
    return started.json["id"]


def _fetch(caller, worker="w1", topic=TOPIC, **topic_fields):
    body = {
        "workerId": worker,
        "maxTasks": 5,
        "topics": [{"topicName": topic, "lockDuration": 60000, **topic_fields}],
    }
    return caller.post("/external-task/fetchAndLock", json=body)


def _tasks(admin, instance_id) -> list[str]:
    return [t["element_id"] for t in admin.get(f"/api/v1/process-instances/{instance_id}").json["tasks"]]


def test_fetch_and_complete_with_typed_variables(engine, workers):
    instance = _start(workers)
    worker = engine("worker")
    fetched = _fetch(worker)
    assert fetched.status_code == 200, fetched.json
    [task] = fetched.json
    assert task["topicName"] == TOPIC and task["workerId"] == "w1" and task["activityId"] == "lookup"
    assert task["processInstanceId"] == instance and task["processDefinitionKey"] == "external_check"
    assert task["processDefinitionId"].startswith("external_check:1:")
    assert task["lockExpirationTime"].endswith("+0000") and isinstance(task["variables"], dict)
    assert worker.get(f"/external-task/{task['id']}").json["id"] == task["id"]
    assert _fetch(worker).json == []  # locked
    body = {
        "workerId": "w1",
        "variables": {"found": {"value": True, "type": "Boolean"}},
        "localVariables": {},
    }
    assert worker.post(f"/external-task/{task['id']}/complete", json=body).status_code == 204
    assert _tasks(workers, instance) == ["review"]
    again = worker.post(f"/external-task/{task['id']}/complete", json=body)
    assert again.status_code == 409


def test_only_the_lock_holder_completes_and_forms_still_rule(engine, workers):
    _start(workers)
    worker = engine("worker")
    [task] = _fetch(worker).json
    other = worker.post(f"/external-task/{task['id']}/complete", json={"workerId": "w2", "variables": {}})
    assert other.status_code == 409 and other.json["type"] == "OptimisticLockingException"
    computed = {"workerId": "w1", "variables": {"risk": {"value": "high"}}}  # the script's variable
    refused = worker.post(f"/external-task/{task['id']}/complete", json=computed)
    assert refused.status_code == 400 and refused.json["type"] == "InvalidRequestException"
    local = {"workerId": "w1", "localVariables": {"x": {"value": 1}}}
    assert worker.post(f"/external-task/{task['id']}/complete", json=local).status_code == 400


def test_failure_retries_then_raises_an_incident(engine, workers):
    _start(workers)
    worker = engine("worker")
    [task] = _fetch(worker).json
    failure = {"workerId": "w1", "errorMessage": "registry down", "retries": 1, "retryTimeout": 0}
    assert worker.post(f"/external-task/{task['id']}/failure", json=failure).status_code == 204
    [again] = _fetch(worker).json
    assert again["id"] == task["id"] and again["retries"] == 1 and again["errorMessage"] == "registry down"
    last = {**failure, "retries": 0, "errorDetails": "timeout after 30 s"}
    assert worker.post(f"/external-task/{task['id']}/failure", json=last).status_code == 204
    assert _fetch(worker).json == []  # an incident: an administrator retries it
    incidents = workers.get("/api/v1/external-tasks", query_string={"state": "failed"}).json["items"]
    assert [i["id"] for i in incidents] == [task["id"]]


def test_a_bpmn_error_is_caught_by_the_boundary_event(engine, workers):
    instance = _start(workers)
    worker = engine("worker")
    [task] = _fetch(worker).json
    error = {"workerId": "w1", "errorCode": "NOT_FOUND", "errorMessage": "no such citizen", "variables": {}}
    assert worker.post(f"/external-task/{task['id']}/bpmnError", json=error).status_code == 204
    assert _tasks(workers, instance) == ["manual_check"]


def test_extend_lock_and_unlock(engine, workers):
    _start(workers)
    worker = engine("worker")
    [task] = _fetch(worker).json
    extend = {"workerId": "w1", "newDuration": 120000}
    assert worker.post(f"/external-task/{task['id']}/extendLock", json=extend).status_code == 204
    longer = worker.get(f"/external-task/{task['id']}").json["lockExpirationTime"]
    assert longer > task["lockExpirationTime"]
    wrong = worker.post(f"/external-task/{task['id']}/extendLock", json={**extend, "workerId": "w2"})
    assert wrong.status_code == 409
    assert worker.post(f"/external-task/{task['id']}/unlock").status_code == 204
    assert [t["id"] for t in _fetch(worker, worker="w2").json] == [task["id"]]


def test_topics_are_given_to_workers(engine, workers):
    _start(workers)
    _start(workers, "camunda_payment_check")
    charger = engine("charger")
    assert _fetch(charger).status_code == 403  # not given population-lookup
    [charge] = _fetch(charger, topic="charge-card").json
    assert charge["priority"] == 10
    [lookup] = _fetch(engine("worker")).json
    assert charger.get(f"/external-task/{lookup['id']}").status_code == 403
    assert _fetch(engine("pat")).status_code == 403
    body = {"workerId": "w1", "variables": {"charged": {"value": True, "type": "Boolean"}}}
    assert charger.post(f"/external-task/{charge['id']}/complete", json=body).status_code == 204


def test_fetch_refuses_what_it_cannot_honour(engine, workers):
    worker = engine("worker")
    for body in (
        {},
        {"workerId": "w1", "topics": []},
        {"workerId": "w1", "topics": [{"topicName": TOPIC}]},
        {"workerId": "w1", "topics": [{"topicName": TOPIC, "lockDuration": -1}]},
        {"workerId": "w1", "maxTasks": "5", "topics": [{"topicName": TOPIC, "lockDuration": 1}]},
        {"workerId": "w1", "topics": [{"topicName": TOPIC, "lockDuration": 1, "businessKey": "B"}]},
        {"workerId": "w1", "topics": ["x"]},
    ):
        answer = worker.post("/external-task/fetchAndLock", json=body)
        assert answer.status_code == 400, (body, answer.json)
        assert answer.json["type"] == "InvalidRequestException"


def test_a_scoped_token_needs_its_topic(client, people, workers):
    _start(workers)

    def token(*scopes):
        answer = people["admin"].post("/api/v1/tokens", json={"user": "worker", "scopes": list(scopes)})
        return {"Authorization": f"Bearer {answer.json['token']}"}

    body = {"workerId": "w1", "topics": [{"topicName": TOPIC, "lockDuration": 60000}]}
    refused = client.post(
        "/engine-rest/external-task/fetchAndLock", json=body, headers=token("external-tasks:x")
    )
    assert refused.status_code == 403
    allowed = token(f"external-tasks:{TOPIC}")
    [task] = client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=allowed).json
    done = {"workerId": "w1", "variables": {}}
    answer = client.post(f"/engine-rest/external-task/{task['id']}/complete", json=done, headers=allowed)
    assert answer.status_code == 204


def test_pycamunda_works_external_tasks_over_http(live_server, workers):
    url = live_server + "/engine-rest"
    auth = requests.auth.HTTPBasicAuth("worker", PASSWORD)
    instance = _start(workers)

    def send(request):
        request.auth = auth
        return request()

    fetch = pycamunda.externaltask.FetchAndLock(url, worker_id="py-1", max_tasks=2)
    fetch.add_topic(TOPIC, lock_duration=60000)
    fetch.auth = auth
    [task] = fetch()
    assert task.topic_name == TOPIC and task.process_instance_id == instance
    send(pycamunda.externaltask.ExtendLock(url, id_=task.id_, new_duration=90000, worker_id="py-1"))
    failure = pycamunda.externaltask.HandleFailure(
        url,
        id_=task.id_,
        worker_id="py-1",
        error_message="busy",
        error_details="later",
        retries=2,
        retry_timeout=0,
    )
    send(failure)
    [task] = fetch()
    complete = pycamunda.externaltask.Complete(url, id_=task.id_, worker_id="py-1")
    complete.add_variable("found", True, "Boolean")
    send(complete)
    assert _tasks(workers, instance) == ["review"]

    second = _start(workers)
    [task] = fetch()
    send(pycamunda.externaltask.HandleBPMNError(url, id_=task.id_, worker_id="py-1", error_code="NOT_FOUND"))
    assert _tasks(workers, second) == ["manual_check"]


def test_generic_camunda_client_works_external_tasks_over_http(live_server, people, workers):
    configuration = gcc.Configuration(host=live_server + "/engine-rest")
    client = gcc.ApiClient(configuration)
    client.set_default_header("Authorization", f"Bearer {people['admin'].token}")
    api = gcc.ExternalTaskApi(client)
    instance = _start(workers, "camunda_payment_check")
    topic = gcc.FetchExternalTaskTopicDto(topic_name="charge-card", lock_duration=60000)
    fetched = api.fetch_and_lock(
        fetch_external_tasks_dto=gcc.FetchExternalTasksDto(worker_id="g-1", max_tasks=1, topics=[topic])
    )
    [task] = fetched
    assert task.process_instance_id == instance and task.priority == 10
    api.unlock(task.id)
    [task] = api.fetch_and_lock(
        fetch_external_tasks_dto=gcc.FetchExternalTasksDto(worker_id="g-2", max_tasks=1, topics=[topic])
    )
    api.complete_external_task_resource(
        task.id,
        complete_external_task_dto=gcc.CompleteExternalTaskDto(
            worker_id="g-2", variables={"charged": gcc.VariableValueDto(value=False, type="Boolean")}
        ),
    )
    final = people["admin"].get(f"/api/v1/process-instances/{instance}").json
    assert final["state"] == "completed" and final["variables"]["charged"] is False
