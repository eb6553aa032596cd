"""Finding 6 of the security review: input that answered 500 (or was taken in) answers 400 or 422.

Each test replays a reproduction from the review and asserts the refusal, its message and that
nothing was written.
"""

import json

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import bpmn_path

LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def instances(app) -> int:
    from service.extensions import db
    from service.instances.models import ProcessInstance

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance))


# --- before login: the public route parses as strictly as every other ---------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "\\ud800", "password": "secret-1"}',
        b'{"username": "admin", "password": "a\\udfffb"}',
        b'{"username": "admin", "password": "secret-1", "\\ud800": 1}',
    ],
    ids=["in the username", "in the password", "in a key"],
)
def test_a_lone_surrogate_in_a_login_is_refused_before_login(client, body):
    error = error_of(client.post(LOGIN, data=body, headers=JSON), 400, "invalid_json")
    assert "lone surrogate" in error["message"]
    assert error["details"]["path"].startswith("/")


def test_a_login_nested_a_thousand_deep_is_refused_before_login(client):
    body = '{"username": ' + "[" * 1000 + "]" * 1000 + ', "password": "secret-1"}'
    error = error_of(client.post(LOGIN, data=body, headers=JSON), 400, "invalid_json")
    assert error["message"] == "The JSON is nested more than 64 levels deep."


def test_the_nesting_limit_is_a_setting(app, client):
    app.config["MOTCUA_JSON_MAX_DEPTH"] = 3
    nested = '{"username": [[["x"]]], "password": "secret-1"}'  # four levels with the object
    assert error_of(client.post(LOGIN, data=nested, headers=JSON), 400, "invalid_json")
    flat = '{"username": [["x"]], "password": "secret-1"}'
    assert client.post(LOGIN, data=flat, headers=JSON).status_code == 422  # read, then refused as a list


def test_bytes_that_are_not_utf8_are_refused(client):
    body = b'{"username": "\xed\xa0\x80", "password": "secret-1"}'  # a surrogate written as UTF-8 bytes
    error = error_of(client.post(LOGIN, data=body, headers=JSON), 400, "invalid_json")
    assert "not valid UTF-8" in error["message"]


@pytest.mark.parametrize("url", ["/api/v1/auth/login?next=%ED%A0%80", "/api/v1/dossiers/%ED%A0%80"])
def test_a_lone_surrogate_in_the_url_is_refused(client, admin, url):
    response = client.open(url, method="POST" if "login" in url else "GET", headers=admin.headers)
    error = error_of(response, 400, "invalid_url")
    assert "not valid UTF-8" in error["message"]


def test_nul_characters_are_refused_naming_the_field(admin):
    body = admin.post("/api/v1/groups", json={"name": "a\x00b", "description": "x"})
    assert error_of(body, 422, "validation_failed")["details"]["fields"] == {
        "name": ["NUL characters are not allowed."]
    }
    query = admin.get("/api/v1/users?q=a%00b")
    assert error_of(query, 422, "validation_failed")["details"]["fields"] == {
        "q": ["NUL characters are not allowed."]
    }


# --- numbers -------------------------------------------------------------------------------------


def test_an_integer_of_more_than_4300_digits_is_refused(app, admin):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    body = '{"definition_key": "simple_approval", "variables": {"n": ' + "7" * 4301 + "}}"
    error = error_of(admin.post("/api/v1/process-instances", data=body, headers=JSON), 400, "invalid_json")
    assert error["message"] == "An integer in the JSON has more than 4300 digits."
    assert instances(app) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_nan_infinity_and_overflowing_numbers_are_not_taken_into_variables(app, admin, literal):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    started = admin.start("simple_approval").json
    body = '{"definition_key": "simple_approval", "variables": {"amount": ' + literal + "}}"
    error = error_of(admin.post("/api/v1/process-instances", data=body, headers=JSON), 400, "invalid_json")
    assert literal.lstrip("-") in error["message"]
    assert instances(app) == 1

    task = started["tasks"][0]["id"]
    body = '{"variables": {"title": "x", "amount": ' + literal + "}}"
    complete = admin.post(f"/api/v1/tasks/{task}/complete", data=body, headers=JSON)
    error_of(complete, 400, "invalid_json")
    after = admin.get(f"/api/v1/process-instances/{started['id']}").json
    assert after["version"] == started["version"] and "amount" not in after["variables"]


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59%2B00:00", "0001-01-01T00:00:00%2B14:00"]
)
def test_a_deadline_from_the_ends_of_time_is_refused(admin, start):
    response = admin.get(f"/api/v1/calendar/deadline?start={start}&working_days=1")
    error = error_of(response, 422, "validation_failed")
    assert error["details"]["fields"] == {"start": ["Dates must be in the years 1900 to 2999."]}


@pytest.mark.parametrize("start", ["2999-12-31T23:59:59-14:00", "1900-01-01T00:00:00%2B14:00"])
def test_the_longest_allotment_from_the_last_accepted_moments_is_counted(admin, start):
    response = admin.get(f"/api/v1/calendar/deadline?start={start}&working_days=365")
    assert response.status_code == 200, response.json


def test_calendar_arithmetic_that_overflows_answers_422(admin, monkeypatch):
    from service.calendar import workcal

    def overflow(self, start, days):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(workcal.WorkingCalendar, "add_working_days", overflow)
    response = admin.get("/api/v1/calendar/deadline?start=2026-03-02T08:00:00%2B07:00&working_days=1")
    error = error_of(response, 422, "validation_failed")
    assert "outside the dates the calendar can count" in error["message"]


def test_out_of_range_dates_are_refused_in_every_schema(admin):
    late = "9999-12-31T23:59:59-14:00"
    cases = [
        (admin.get(f"/api/v1/tasks?due_before={late}"), "due_before"),
        (admin.post("/api/v1/tokens", json={"user": "admin", "expires_at": late}), "expires_at"),
        (admin.post("/api/v1/calendar/overrides", json={"day": "9999-12-31", "kind": "off"}), "day"),
        (admin.post("/api/v1/calendar/overrides", json={"day": "1899-12-31", "kind": "off"}), "day"),
    ]
    for response, field in cases:
        error = error_of(response, 422, "validation_failed")
        assert field in error["details"]["fields"], error
    removed = admin.client.delete("/api/v1/calendar/overrides/9999-12-31", headers=admin.headers)
    error_of(removed, 422, "validation_failed")
    assert admin.get("/api/v1/tokens").json["total"] == 1  # only the admin's own


# --- huge numbers in paths and query strings --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/users?page=" + "9" * 30, 422),
        ("GET", "/api/v1/users?per_page=" + "9" * 5000, 422),
        ("GET", "/api/v1/calendar?year=" + "9" * 5000, 422),
        ("GET", "/api/v1/dossiers?status=" + "9" * 5000, 422),
        ("POST", "/api/v1/tokens/" + "9" * 30 + "/revoke", 404),
        ("GET", "/api/v1/process-definitions/x/versions/" + "9" * 30 + "/xml", 404),
        ("POST", "/api/v1/incidents/" + "9" * 5000 + "/retry", 404),
    ],
)
def test_huge_numbers_in_the_url_are_refused(admin, method, url, status):
    response = admin.client.open(url, method=method, headers=admin.headers)
    assert response.status_code == status
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


# --- files read as JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        '[{"code": "P-1", "name": "x", "processing_days": NaN}]',
        '[{"code": "P-1", "name": "x", "processing_days": ' + "9" * 5000 + "}]",
    ],
    ids=["deep", "NaN", "huge integer"],
)
def test_a_catalogue_file_is_read_as_strictly_as_a_body(admin, content):
    from io import BytesIO

    response = admin.post(
        "/api/v1/procedures/load",
        data={"file": (BytesIO(content.encode()), "catalogue.json")},
        content_type="multipart/form-data",
    )
    error = error_of(response, 422, "unprocessable")
    assert error["message"].startswith("The JSON catalogue cannot be read")
    assert admin.get("/api/v1/procedures").json["total"] == 0


def test_error_messages_never_echo_a_lone_surrogate(client):
    body = '{"\\ud800\\udfff\\ud800": 1}'  # a pair, then a lone one
    response = client.post(LOGIN, data=body, headers=JSON)
    text = response.get_data(as_text=True)
    json.loads(text)  # the answer itself is valid UTF-8 JSON
    assert response.status_code == 400


# --- and everything else is read as JSON reads it ---------------------------------------------

valid_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**300), max_value=10**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # no lone surrogates: Hypothesis's text is valid Unicode
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(value=valid_json, ensure_ascii=st.booleans())
def test_every_valid_document_is_read_as_json_reads_it(value, ensure_ascii):
    from service.parsing import strict_loads

    text = json.dumps(value, ensure_ascii=ensure_ascii)
    assert strict_loads(text.encode("utf-8"), max_depth=64) == json.loads(text)


SCRIPT_LEAVES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="d" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="script_leaves" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="build" name="Build">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="after" name="After"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="build" />
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("x = []\ny = x\nfor i in range(1000):\n    y.append([])\n    y = y[0]", "nested too deeply"),
        ("x = float('nan')", "not finite"),
        ("x = [1e308 * 10]", "not finite"),
        ("x = 10 ** 5000", "4,300 digits"),
        ("x = {(1, 2): 3}", "key of type tuple"),
        ("x = datetime(2026, 12, 3)", "isoformat"),
        ("x = set([1, 2])", "use a list"),
    ],
    ids=["deep", "nan", "infinity", "huge-int", "tuple-key", "datetime", "set"],
)
def test_data_a_script_cannot_store_is_an_instance_error_not_a_500(admin, script, reason):
    """Finding 6: a script building deeply nested data answered 500 when the step was stored;
    NaN and infinity went into the variables. The script now fails (an incident), nothing else."""
    assert admin.deploy(SCRIPT_LEAVES.format(script=script), "leaves.bpmn").status_code == 201
    started = admin.start("script_leaves")
    assert started.status_code == 201, started.json
    assert started.json["state"] == "error"
    assert started.json["error"]["element_id"] == "build"
    assert reason in started.json["error"]["message"]
    assert "x" not in started.json["variables"]
