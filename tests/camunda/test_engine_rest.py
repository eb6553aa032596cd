"""/engine-rest over the app: Camunda's paths, shapes, typed variables and errors, on Motcua's own
operations and permissions (who may start, see, claim, complete; what a form accepts)."""

from __future__ import annotations

import io
import re

import pytest

from tests.camunda.conftest import PURCHASE

DEFINITION_ID = re.compile(r"^camunda_purchase:1:\d+$")


def _start(caller, *, amount=5000, business_key="PR-1", headers=None, **body):
    variables = {
        "item": {"value": "Laptops", "type": "String"},
        "amount": {"value": amount, "type": "Integer"},
    }
    return caller.post(
        "/process-definition/key/camunda_purchase/start",
        json={"businessKey": business_key, "variables": variables, **body},
        headers=headers or {},
    )


def test_engine_and_version_answer_as_camunda(engine, people):
    alice = engine("alice")
    assert alice.get("/engine").json == [{"name": "default"}]
    assert alice.get("/version").json["version"].startswith("7.")


def test_every_path_needs_credentials_and_a_401_asks_for_basic(client, people):
    for path in ("/engine-rest/engine", "/engine-rest/task", "/engine-rest/nothing/here"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json["type"] == "AuthenticationException"
        assert any(value.startswith("Basic") for value in response.headers.getlist("WWW-Authenticate"))


def test_a_bearer_token_works_too(client, people):
    response = client.get("/engine-rest/engine", headers=people["alice"].headers)
    assert response.status_code == 200


def test_a_session_cookie_is_not_enough(client, people):
    logged_in = client.post("/api/v1/auth/login", json={"username": "alice", "password": "password-1"})
    assert logged_in.status_code == 200
    assert client.get("/engine-rest/engine").status_code == 401


def test_wrong_basic_passwords_are_throttled_like_logins(engine, people):
    guesser = engine("alice")
    guesser.password = "wrong-password"
    statuses = [guesser.get("/engine").status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4 and statuses[4] == 429
    blocked = engine("alice").get("/engine")  # the right password, while blocked: still refused
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]
    assert blocked.json["type"] == "RestException"


def test_malformed_basic_credentials_are_a_401(client, people):
    for value in ("Basic !!!", "Basic " + "QQ==", "Digest x", "Basic"):
        response = client.get("/engine-rest/engine", headers={"Authorization": value})
        assert response.status_code == 401, value


def test_deployment_create_takes_a_modelers_multipart(engine, people):
    admin = engine("admin")
    response = admin.post(
        "/deployment/create",
        data={
            "deployment-name": "purchase",
            "deployment-source": "Camunda Modeler",
            "deploy-changed-only": "true",
            "camunda_purchase.bpmn": (io.BytesIO(PURCHASE.read_bytes()), "camunda_purchase.bpmn"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["name"], body["source"]) == ("purchase", "Camunda Modeler")
    [(ident, definition)] = body["deployedProcessDefinitions"].items()
    assert DEFINITION_ID.match(ident) and definition["key"] == "camunda_purchase"
    assert definition["deploymentId"] == body["id"]
    assert admin.get(f"/deployment/{body['id']}").json["id"] == body["id"]
    assert [d["id"] for d in admin.get("/deployment").json] == [body["id"]]


def test_only_designers_deploy_and_only_bpmn(engine, people):
    files = {"x.bpmn": (io.BytesIO(PURCHASE.read_bytes()), "x.bpmn")}
    refused = engine("alice").post("/deployment/create", data=files, content_type="multipart/form-data")
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    form = {"form.form": (io.BytesIO(b"{}"), "form.form")}
    not_bpmn = engine("admin").post("/deployment/create", data=form, content_type="multipart/form-data")
    assert not_bpmn.status_code == 400 and not_bpmn.json["type"] == "InvalidRequestException"
    broken = {"b.bpmn": (io.BytesIO(b"<definitions/>"), "b.bpmn")}
    invalid = engine("admin").post("/deployment/create", data=broken, content_type="multipart/form-data")
    assert invalid.status_code == 400 and invalid.json["message"]
    assert engine("admin").post("/deployment/create", json={}).status_code == 400


def test_definitions_by_key_id_and_filters(engine, purchase):
    alice = engine("alice")
    by_key = alice.get("/process-definition/key/camunda_purchase").json
    assert DEFINITION_ID.match(by_key["id"]) and by_key["version"] == 1 and by_key["suspended"] is False
    assert alice.get(f"/process-definition/{by_key['id']}").json == by_key
    assert alice.get("/process-definition", query_string={"key": "camunda_purchase"}).json == [by_key]
    assert alice.get("/process-definition", query_string={"latestVersion": "true"}).json == [by_key]
    assert alice.get("/process-definition", query_string={"key": "other"}).json == []
    assert alice.get("/process-definition/count").json == {"count": 1}
    xml = alice.get("/process-definition/key/camunda_purchase/xml").json
    assert xml["id"] == by_key["id"] and "camunda_purchase" in xml["bpmn20Xml"]
    missing = alice.get("/process-definition/key/nothing")
    assert missing.status_code == 404 and missing.json["type"] == "InvalidRequestException"
    # An id whose row does not match its key and version names nothing.
    forged = by_key["id"].rsplit(":", 1)[0] + ":999999"
    assert alice.get(f"/process-definition/{forged}").status_code == 404


def test_a_starter_starts_with_typed_variables_and_reads_them_back(engine, purchase):
    alice = engine("alice")
    started = _start(alice, withVariablesInReturn=True)
    assert started.status_code == 200, started.json
    body = started.json
    assert DEFINITION_ID.match(body["definitionId"]) and body["businessKey"] == "PR-1"
    assert body["ended"] is False and body["suspended"] is False
    assert body["variables"]["item"] == {"type": "String", "value": "Laptops", "valueInfo": {}}
    variables = alice.get(f"/process-instance/{body['id']}/variables").json
    assert variables["amount"] == {"type": "Integer", "value": 5000, "valueInfo": {}}
    assert variables["initiator"]["value"] == "alice"  # camunda:initiator, set by Motcua
    one = alice.get(f"/process-instance/{body['id']}/variables/item")
    assert one.json["value"] == "Laptops"
    assert alice.get(f"/process-instance/{body['id']}/variables/none").status_code == 404
    assert alice.get(f"/process-instance/{body['id']}").json["id"] == body["id"]


def test_starting_follows_motcuas_starters_and_start_form(engine, purchase):
    refused = _start(engine("pat"))
    assert refused.status_code == 403 and refused.json["type"] == "AuthorizationException"
    extra = engine("alice").post(
        "/process-definition/key/camunda_purchase/start",
        json={"variables": {"initiator": {"value": "dora", "type": "String"}}},
    )
    assert extra.status_code == 400 and extra.json["type"] == "InvalidRequestException"
    assert "initiator" in extra.json["message"]
    java = engine("alice").post(
        "/process-definition/key/camunda_purchase/start",
        json={"variables": {"item": {"value": "rO0AB", "type": "Object", "valueInfo": {}}}},
    )
    assert java.status_code == 400


def test_instances_list_count_filters_and_visibility(engine, purchase):
    alice = engine("alice")
    first = _start(alice, business_key="PR-1").json["id"]
    _start(alice, business_key="PR-2")
    assert {i["businessKey"] for i in alice.get("/process-instance").json} == {"PR-1", "PR-2"}
    assert [i["id"] for i in alice.get("/process-instance", query_string={"businessKey": "PR-1"}).json] == [
        first
    ]
    query = {"processDefinitionKey": "camunda_purchase", "maxResults": "1", "firstResult": "1"}
    assert len(alice.get("/process-instance", query_string=query).json) == 1
    assert alice.get("/process-instance/count").json == {"count": 2}
    assert alice.post("/process-instance/count", json={"businessKey": "PR-2"}).json == {"count": 1}
    # eve neither started nor takes part: she sees nothing and may not read one.
    assert engine("eve").get("/process-instance").json == []
    assert engine("eve").get(f"/process-instance/{first}").status_code == 403
    assert alice.get("/process-instance/not-a-uuid").status_code == 404


def _task(caller, **query):
    tasks = caller.get("/task", query_string=query).json
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_a_task_is_claimed_and_completed_with_typed_variables(engine, purchase):
    alice, pat, dora = engine("alice"), engine("pat"), engine("dora")
    instance = _start(alice).json["id"]
    task = _task(pat, candidateGroup="purchasing", processInstanceId=instance)
    assert task["taskDefinitionKey"] == "Activity_review" and task["formKey"] == "camunda_purchase_review"
    assert task["processInstanceId"] == instance and DEFINITION_ID.match(task["processDefinitionId"])
    assert task["assignee"] is None and task["due"].endswith("+0000")
    assert pat.get(f"/task/{task['id']}").json == task
    form = pat.get(f"/task/{task['id']}/form-variables").json
    assert set(form) == {"approved", "comment"} and form["approved"]["type"] == "Null"
    assert pat.post(f"/task/{task['id']}/claim", json={"userId": "pat"}).status_code == 204
    assert _task(pat, assignee="pat")["id"] == task["id"]
    # candidateGroup lists unassigned tasks unless includeAssignedTasks.
    assert pat.get("/task", query_string={"candidateGroup": "purchasing"}).json == []
    query = {"candidateGroup": "purchasing", "includeAssignedTasks": "true"}
    assert len(pat.get("/task", query_string=query).json) == 1
    # Only the fields of the task's form, typed.
    extra = pat.post(f"/task/{task['id']}/complete", json={"variables": {"amount": {"value": 1}}})
    assert extra.status_code == 400 and extra.json["type"] == "InvalidRequestException"
    done = pat.post(
        f"/task/{task['id']}/complete",
        json={"variables": {"approved": {"value": "true", "type": "Boolean"}}, "withVariablesInReturn": True},
    )
    assert done.status_code == 200, done.json
    assert done.json["approved"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert pat.get(f"/task/{task['id']}").status_code == 404  # completed: gone from the runtime API
    # ${amount > 1000 && approved}: the directors sign off.
    director = _task(dora, candidateUser="dora")
    assert director["taskDefinitionKey"] == "Activity_director"
    assert dora.post(f"/task/{director['id']}/complete", json={}).status_code == 204
    assert alice.get(f"/process-instance/{instance}").status_code == 404  # ended
    assert alice.get("/process-instance/count").json == {"count": 0}


def test_task_permissions_are_motcuas(engine, purchase):
    instance = _start(engine("alice")).json["id"]
    task = _task(engine("pat"), processInstanceId=instance)
    dora = engine("dora")
    assert dora.get("/task").json == []
    assert dora.get("/task/count").json == {"count": 0}
    for path in ("", "/form-variables", "/variables"):
        assert dora.get(f"/task/{task['id']}{path}").status_code == 403
    assert dora.post(f"/task/{task['id']}/claim", json={"userId": "dora"}).status_code == 403
    assert dora.post(f"/task/{task['id']}/complete", json={}).status_code == 403
    # Claiming for someone else is not Motcua's way.
    claim = engine("pat").post(f"/task/{task['id']}/claim", json={"userId": "dora"})
    assert claim.status_code == 403 and claim.json["type"] == "AuthorizationException"
    assert engine("admin").post(f"/task/{task['id']}/claim", json={}).status_code == 204
    taken = engine("pat").post(f"/task/{task['id']}/claim", json={"userId": "pat"})
    assert taken.status_code == 409 and taken.json["type"] == "TaskAlreadyClaimedException"
    assert engine("admin").post(f"/task/{task['id']}/unclaim").status_code == 204
    assert engine("pat").get("/task", query_string={"unassigned": "true"}).json[0]["id"] == task["id"]


def test_task_filters(engine, purchase):
    alice, pat = engine("alice"), engine("pat")
    first = _start(alice, business_key="PR-1").json["id"]
    _start(alice, business_key="PR-2")
    assert pat.get("/task/count").json == {"count": 2}
    assert _task(pat, processInstanceBusinessKey="PR-1")["processInstanceId"] == first
    assert len(pat.get("/task", query_string={"taskDefinitionKey": "Activity_review"}).json) == 2
    assert pat.get("/task", query_string={"taskDefinitionKey": "Activity_director"}).json == []
    assert len(pat.get("/task", query_string={"processDefinitionKey": "camunda_purchase"}).json) == 2
    assert len(pat.get("/task", query_string={"maxResults": "1"}).json) == 1
    assert len(pat.get("/task", query_string={"firstResult": "1"}).json) == 1
    assert len(pat.post("/task", json={"processInstanceId": first}).json) == 1
    assert pat.post("/task/count", json={"candidateUser": "pat"}).json == {"count": 2}
    assert pat.get("/task", query_string={"processInstanceId": "x"}).json == []
    assert len(pat.get("/task", query_string={"processInstanceIdIn": f"{first},x"}).json) == 1
    assert len(pat.post("/task", json={"candidateGroups": ["purchasing", "directors"]}).json) == 2
    assert pat.get("/task", query_string={"candidateGroups": "directors"}).json == []
    assert len(pat.get("/task", query_string={"processDefinitionKeyIn": "camunda_purchase,x"}).json) == 2
    assert len(pat.get("/task", query_string={"taskDefinitionKeyIn": "Activity_review"}).json) == 2
    assert pat.get("/task", query_string={"assigneeIn": "pat"}).json == []
    bad = pat.get("/task", query_string={"maxResults": "many"})
    assert bad.status_code == 400 and bad.json["type"] == "InvalidRequestException"


def test_delete_terminates_for_the_starter_only(engine, purchase):
    instance = _start(engine("alice")).json["id"]
    assert engine("pat").delete(f"/process-instance/{instance}").status_code == 403
    assert engine("alice").delete(f"/process-instance/{instance}").status_code == 204
    assert engine("alice").get(f"/process-instance/{instance}").status_code == 404
    assert engine("pat").get("/task").json == []
    assert engine("alice").delete(f"/process-instance/{instance}").status_code == 404


def test_the_engine_named_default_has_the_same_paths(engine, purchase):
    alice = engine("alice")
    assert alice.get("/engine/default/process-definition/count").json == {"count": 1}
    assert alice.get("/engine/other/process-definition/count").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/history/process-instance"),
        ("PUT", "/task/x"),
        ("POST", "/engine"),
        ("GET", "/task/not-a-uuid"),
    ],
)
def test_paths_not_covered_are_a_camunda_404(engine, people, method, path):
    response = engine("alice").call(method, path)
    assert response.status_code == 404
    assert response.json["type"] == "InvalidRequestException" and response.json["message"]


def test_typed_variables_are_checked(engine, purchase):
    alice = engine("alice")
    for variables in (
        {"amount": {"value": "a lot", "type": "Integer"}},
        {"amount": {"value": 2**40, "type": "Integer"}},
        {"amount": {"value": True, "type": "Double"}},
        {"item": {"value": "x", "type": "Bytes"}},
        {"item": {"value": "{", "type": "Json"}},
        {"item": "Laptops"},
        {"item": {"value": "x", "type": 7}},
        [],
    ):
        response = alice.post("/process-definition/key/camunda_purchase/start", json={"variables": variables})
        assert response.status_code == 400, (variables, response.json)
        assert response.json["type"] == "InvalidRequestException"
    nul = alice.post("/process-definition/key/camunda_purchase/start", json={"businessKey": "a\x00b"})
    assert nul.status_code == 400


def test_a_filter_that_is_not_applied_is_refused_not_dropped(engine, purchase):
    pat = engine("pat")
    refused = pat.get("/task", query_string={"delegationState": "PENDING"})
    assert refused.status_code == 400 and "delegationState" in refused.json["message"]
    assert pat.post("/task", json={"dueBefore": "2026-01-01T00:00:00.000+0000"}).status_code == 400
    # Sorting and tenant flags change nothing in Motcua: accepted.
    query = {"sortBy": "created", "sortOrder": "asc", "withoutTenantId": "true"}
    assert pat.get("/task", query_string=query).status_code == 200


def test_a_retried_start_with_the_same_idempotency_key_starts_once(engine, purchase):
    alice = engine("alice")
    key = {"Idempotency-Key": "start-PR-42"}
    first = _start(alice, business_key="PR-42", headers=key)
    again = _start(alice, business_key="PR-42", headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["id"] == first.json["id"]
    assert alice.get("/process-instance/count").json == {"count": 1}
    task = _task(engine("pat"))
    done = {"Idempotency-Key": "complete-1"}
    body = {"variables": {"approved": {"value": False, "type": "Boolean"}}}
    assert engine("pat").post(f"/task/{task['id']}/complete", json=body, headers=done).status_code == 204
    assert engine("pat").post(f"/task/{task['id']}/complete", json=body, headers=done).status_code == 204


def test_forms_are_named_by_their_keys_with_their_variables(engine, purchase):
    alice = engine("alice")
    start = alice.get("/process-definition/key/camunda_purchase/startForm").json
    assert start == {"key": "camunda_purchase_request", "contextPath": None}
    variables = alice.get("/process-definition/key/camunda_purchase/form-variables").json
    assert set(variables) == {"item", "amount"}
    narrowed = alice.get(
        "/process-definition/key/camunda_purchase/form-variables", query_string={"variableNames": "item"}
    )
    assert set(narrowed.json) == {"item"}
    task = _task(engine("pat"), processInstanceId=_start(alice).json["id"])
    assert engine("pat").get(f"/task/{task['id']}/form").json["key"] == "camunda_purchase_review"


def _token(people, username: str, *scopes: str) -> dict:
    """The bearer header of a token of `username` with these scopes (a system identity)."""
    answer = people["admin"].post("/api/v1/tokens", json={"user": username, "scopes": list(scopes)})
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


def test_a_scoped_token_does_only_what_its_scopes_name(client, engine, people, purchase):
    def call(method, path, headers, **kw):
        return client.open("/engine-rest" + path, method=method, headers=headers, **kw)

    start = "/process-definition/key/camunda_purchase/start"
    body = {"variables": {"item": {"value": "Pens"}, "amount": {"value": 3}}}
    reader = _token(people, "alice", "read")
    assert call("GET", "/process-definition", reader).status_code == 200
    assert call("POST", "/task/count", reader, json={}).status_code == 200  # a POST query reads
    refused = call("POST", start, reader, json=body)
    assert refused.status_code == 403 and refused.json["motcua"]["code"] == "token_scope"
    other = _token(people, "alice", "start:another_process")
    assert call("POST", start, other, json=body).status_code == 403
    starter = _token(people, "alice", "start:camunda_purchase")
    instance = call("POST", start, starter, json=body)
    assert instance.status_code == 200, instance.json
    task = _task(engine("pat"))
    watcher = _token(people, "pat", "read", "tasks:another_process")
    assert call("GET", f"/task/{task['id']}", watcher).status_code == 200
    assert call("POST", f"/task/{task['id']}/claim", watcher, json={}).status_code == 403
    worker = _token(people, "pat", "tasks:camunda_purchase")
    assert call("POST", f"/task/{task['id']}/claim", worker, json={}).status_code == 204
    done = call(
        "POST", f"/task/{task['id']}/complete", worker, json={"variables": {"approved": {"value": False}}}
    )
    assert done.status_code == 204
    # Deleting (terminating) is not a scope's: closed to every scoped token.
    everything = _token(people, "alice", "read", "start:*", "tasks:*", "deploy")
    assert call("DELETE", f"/process-instance/{instance.json['id']}", everything).status_code == 403
    files = {"p.bpmn": (io.BytesIO(PURCHASE.read_bytes()), "p.bpmn")}
    reader_admin = _token(people, "admin", "read")
    deploy = call("POST", "/deployment/create", reader_admin, data=files, content_type="multipart/form-data")
    assert deploy.status_code == 403
