"""No input makes /engine-rest answer 500: generated methods, paths (real and made-up ids), query
strings, JSON and non-JSON bodies and Authorization headers. /engine-rest is not in the OpenAPI
document, so the schemathesis run of tests/service/test_api_fuzz.py does not reach it; this does.
Every refusal is in Camunda's error format."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GET, POST, DELETE = "GET", "POST", "DELETE"
ROUTES = [
    (GET, "/engine"),
    (GET, "/version"),
    (GET, "/deployment"),
    (GET, "/deployment/count"),
    (POST, "/deployment/create"),
    (GET, "/deployment/{definition}"),
    (GET, "/process-definition"),
    (GET, "/process-definition/count"),
    (GET, "/process-definition/{definition}"),
    (GET, "/process-definition/{definition}/xml"),
    (POST, "/process-definition/{definition}/start"),
    (GET, "/process-definition/key/{key}"),
    (GET, "/process-definition/key/{key}/xml"),
    (GET, "/process-definition/key/{key}/startForm"),
    (GET, "/process-definition/{definition}/form-variables"),
    (POST, "/process-definition/key/{key}/start"),
    (GET, "/process-instance"),
    (POST, "/process-instance"),
    (GET, "/process-instance/count"),
    (GET, "/process-instance/{instance}"),
    (DELETE, "/process-instance/{instance}"),
    (GET, "/process-instance/{instance}/variables"),
    (GET, "/process-instance/{instance}/variables/{name}"),
    (GET, "/task"),
    (POST, "/task"),
    (GET, "/task/count"),
    (POST, "/task/count"),
    (GET, "/task/{task}"),
    (POST, "/task/{task}/claim"),
    (POST, "/task/{task}/unclaim"),
    (POST, "/task/{task}/complete"),
    (POST, "/task/{task}/submit-form"),
    (GET, "/task/{task}/form-variables"),
    (GET, "/task/{task}/form"),
    (GET, "/task/{task}/variables"),
    (GET, "/{name}"),
    (POST, "/message"),
    (POST, "/external-task/fetchAndLock"),
    (GET, "/external-task/{instance}"),
    (POST, "/external-task/{instance}/complete"),
    (POST, "/external-task/{instance}/failure"),
    (POST, "/external-task/{instance}/bpmnError"),
    (POST, "/external-task/{instance}/extendLock"),
    (POST, "/external-task/{instance}/unlock"),
]
PARAMETERS = [
    "key",
    "keysIn",
    "latestVersion",
    "version",
    "id",
    "businessKey",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceIds",
    "processInstanceId",
    "assignee",
    "candidateGroup",
    "candidateUser",
    "includeAssignedTasks",
    "taskDefinitionKey",
    "firstResult",
    "maxResults",
    "variableNames",
    "sortBy",
    "active",
]
FIELDS = [
    "variables",
    "businessKey",
    "userId",
    "withVariablesInReturn",
    "messageName",
    "correlationKeys",
    "processVariables",
    "resultEnabled",
    "all",
    "workerId",
    "topics",
    "maxTasks",
    "errorCode",
    "retries",
    "newDuration",
    *PARAMETERS,
]

text = st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
typed_variable = st.fixed_dictionaries(
    {"value": json_values},
    optional={
        "type": st.sampled_from(
            ["String", "Integer", "Long", "Double", "Boolean", "Json", "Null", "Date", "Object"]
        )
        | text,
        "valueInfo": json_values,
    },
)
bodies = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(FIELDS) | text,
        json_values
        | st.dictionaries(st.sampled_from(["item", "amount", "approved", "comment"]) | text, typed_variable),
        max_size=5,
    ),
    json_values,
    st.binary(max_size=60),
)


@pytest.fixture
def world(engine, purchase, people):
    """A started purchase with its review task; the ids the generated paths may name."""
    alice = engine("alice")
    instance = alice.post(
        "/process-definition/key/camunda_purchase/start",
        json={"variables": {"item": {"value": "Pens"}, "amount": {"value": 3}}},
    ).json
    task = engine("pat").get("/task").json
    return {
        "definition": [instance["definitionId"], "camunda_purchase:1:999", "a:b:c", "x"],
        "key": ["camunda_purchase", "nothing"],
        "instance": [instance["id"], "00000000-0000-0000-0000-000000000000", "nope"],
        "task": [task[0]["id"], "00000000-0000-0000-0000-000000000000"],
        "name": ["item", "initiator", "none"],
    }


def _check(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400 and response.is_json:
        body = response.get_json()
        assert isinstance(body.get("type"), str) and isinstance(body.get("message"), str), body


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_is_a_server_error(client, people, world, data):
    method, path = data.draw(st.sampled_from(ROUTES))
    if data.draw(st.integers(0, 9)) == 0:  # now and then another method
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    for slot, real in world.items():
        if "{" + slot + "}" in path:
            made_up = data.draw(st.integers(0, 4)) == 0
            value = data.draw(text.map(lambda t: quote(t, safe="")) if made_up else st.sampled_from(real))
            path = path.replace("{" + slot + "}", value or "x")
    names = st.sampled_from(PARAMETERS) | text if data.draw(st.booleans()) else st.sampled_from(PARAMETERS)
    values = text | st.sampled_from(
        ["true", "false", "0", "10", "-1", "camunda_purchase", "purchasing", "pat"]
    )
    query = data.draw(st.dictionaries(names, values, max_size=3))
    body = data.draw(bodies)
    caller = data.draw(st.sampled_from(["alice", "pat", "admin", "eve"]))
    kw = {"query_string": query, "headers": people[caller].headers}
    if isinstance(body, bytes):
        kw["data"] = body
        kw["content_type"] = data.draw(
            st.sampled_from(["application/json", "multipart/form-data", "text/plain"])
        )
    elif body is not None:
        kw["json"] = body
    _check(client.open("/engine-rest" + path, method=method, **kw))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    header=st.one_of(
        st.text(max_size=60),
        st.binary(max_size=40).map(lambda b: "Basic " + base64.b64encode(b).decode()),
        st.tuples(text, text).map(lambda p: "Basic " + base64.b64encode(f"{p[0]}:{p[1]}".encode()).decode()),
    )
)
def test_no_authorization_header_is_a_server_error(client, people, header):
    try:
        header.encode("latin-1")
    except UnicodeEncodeError:
        return  # not sendable in an HTTP header
    _check(client.get("/engine-rest/engine", headers={"Authorization": header}))
