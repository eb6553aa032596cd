"""Generated JSON and raw bytes thrown at every write route of the OpenAPI document.

For each POST, PUT, PATCH and DELETE operation, Hypothesis sends bodies a client should never send:
nested thousands deep, thousands wide, odd Unicode (lone surrogates, NUL, other planes), integers
of more digits than Python reads, NaN, Infinity and 1e400, values of the wrong type under the
operation's own field names, truncated documents, bytes that are not UTF-8, other media types; as an
administrator (allowed everything), as a user without groups and without any credentials. Whatever
it sends, the answer is never a server error and every error is {"error": {code, message, details}};
a malformed JSON body gets 400, a caller without credentials 401, and a user who may never call an
operation 403 before the body is read.
"""

import io
import json
import math
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import receive_dossier
from tests.support import openapi_document

DOCUMENT = openapi_document()
WRITE_OPERATIONS = sorted(
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in {"post", "put", "patch", "delete"}
)
PUBLIC = {("POST", "/api/v1/auth/login")}
# The remote systems' callbacks: signed bodies, no token; whoever sends an unsigned body gets 401
# before it is read (service/callbacks/signatures.py).
SIGNED = {("POST", "/api/v1/payments/callback"), ("POST", "/api/v1/post/callback")}
# Operations a user without groups may never call: 403 whatever the body, because the permission is
# checked before the arguments are read.
# Operations only a remote system's scoped token may call (the national portal's deliveries): a
# person, the administrator included, is refused before the body is read; the portal's token reaches it.
SYSTEMS_ONLY = {
    ("POST", "/api/v1/integrations/dvcqg/dossiers"),
    ("POST", "/api/v1/integrations/dvcqg/dossiers/{portal_id}/supplements"),
}
REFUSED_TO_A_USER_WITHOUT_GROUPS = {
    *SYSTEMS_ONLY,
    ("POST", "/api/v1/integrations/dvcqg/pushes/{push_id}/retry"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/{username}"),
    ("POST", "/api/v1/users/{username}/password"),
    ("POST", "/api/v1/groups"),
    ("POST", "/api/v1/units"),
    ("PATCH", "/api/v1/units/{code}"),
    ("POST", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens/{token_id}/revoke"),
    ("POST", "/api/v1/process-definitions"),
    ("POST", "/api/v1/calendar/overrides"),
    ("DELETE", "/api/v1/calendar/overrides/{day}"),
    ("POST", "/api/v1/procedures"),
    ("POST", "/api/v1/procedures/load"),
    ("PATCH", "/api/v1/procedures/{code}"),
    ("POST", "/api/v1/dossiers"),
    ("POST", "/api/v1/dossiers/{ref}/withdraw"),
    ("POST", "/api/v1/incidents/{incident_id}/retry"),
    ("POST", "/api/v1/tasks/{task_id}/attachments"),  # the task (of the reception lane) is not theirs
    ("POST", "/api/v1/external-tasks/fetch-and-lock"),  # not an external worker
    ("POST", "/api/v1/external-tasks/{external_task_id}/complete"),
    ("POST", "/api/v1/external-tasks/{external_task_id}/failure"),
    ("POST", "/api/v1/external-tasks/{external_task_id}/bpmn-error"),
    ("POST", "/api/v1/external-tasks/{external_task_id}/extend-lock"),
    ("POST", "/api/v1/external-tasks/{external_task_id}/unlock"),
    ("POST", "/api/v1/external-tasks/{external_task_id}/retry"),
}


# --- bodies -----------------------------------------------------------------------------------


class Raw(str):
    """A JSON fragment written as it is (numbers json.dumps would refuse or spell otherwise)."""


def render(value) -> str:
    """JSON text of a generated value; floats that are not finite become NaN / Infinity literals."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(render(v) for v in value) + "]"
    return json.dumps(value)  # str (lone surrogates as \ud800 escapes), int, finite float, bool, None


odd_text = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
        st.sampled_from(["\x00", "\ufeff", "\u202e", "\U0001f600", "'", '"', "\\", "%", "$"]),
    ),
    max_size=40,
)
big_integer = st.integers(4301, 6000).map(lambda digits: Raw("9" * digits))
overflowing = st.sampled_from([Raw("1e400"), Raw("-1e400"), Raw("1E999999")])
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),  # NaN and infinities included
    odd_text,
    big_integer,
    overflowing,
)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(odd_text, children, max_size=6),
    max_leaves=25,
)


def deep(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


# Documents the service must refuse as malformed JSON (400), whatever the operation.
malformed = st.one_of(
    st.integers(65, 5000).map(deep),
    st.integers(65, 2000).map(lambda depth: '{"a":' * depth + "0" + "}" * depth),
    big_integer.map(str),
    overflowing.map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", '{"x": NaN}', "[Infinity]"]),
    st.sampled_from(['"\\ud800"', '{"\\udfff": 1}', '["a\\ud800b"]', '{"k": "\\udc00\\ud800"}']),
    st.sampled_from(["{", "[1,", '{"a" 1}', "{'a': 1}", "tru", '"open', "[1]]", "{}{}", "\x00"]),
)
malformed_bytes = st.one_of(
    st.sampled_from([b'{"a": "\xed\xa0\x80"}', b"\xff\xfe{}", b'"\xc3"', b"\xef\xbb\xbf{}"]),
    st.binary(min_size=1, max_size=64).filter(lambda data: _not_utf8_json(data)),
)


def _not_utf8_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return True
    return False


def shaped(operation: dict):
    """Objects under the operation's own field names, with values of any type and size."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    names = sorted(schema.get("properties", {}))
    values = st.one_of(
        json_values,
        st.integers(65, 400).map(lambda depth: Raw(deep(depth))),
        st.integers(500, 5000).map(lambda width: Raw("[" + ",".join(["1"] * width) + "]")),
    )
    return st.fixed_dictionaries({}, optional={name: values for name in names}).map(render)


def bodies(operation: dict):
    """(body, content type, malformed?) of one request."""
    json_types = st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "application/x+json"]
    )
    other_types = st.sampled_from(
        [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    )
    return st.one_of(
        st.tuples(shaped(operation), json_types, st.just(False)),
        st.tuples(json_values.map(render), json_types, st.just(False)),
        st.tuples(
            st.integers(1000, 20000).map(lambda n: "{" + ",".join(f'"k{i}":{i}' for i in range(n)) + "}"),
            json_types,
            st.just(False),
        ),
        st.tuples(malformed, json_types, st.just(True)),
        st.tuples(malformed_bytes, json_types, st.just(True)),
        st.tuples(st.one_of(json_values.map(render), st.binary(max_size=64)), other_types, st.just(False)),
    )


# --- the world the requests meet -----------------------------------------------------------------


@pytest.fixture
def world(app, admin, make_user, deploy_library, catalogue):
    """Users, an instance with an open task, a unit, a procedure and a dossier for the path values."""
    stranger = make_user("stranger", unit="OTHER-UNIT")
    with app.app_context():
        from service.extensions import db
        from service.identity.operations import create_token, create_user

        portal = create_token(
            create_user("dvcqg", "password-1", unit="TTPVHCC"), scopes=["integrations:dvcqg"]
        )
        db.session.commit()
    clerk = make_user("clerk", groups=["reception"], unit="TTPVHCC")
    deploy_library("simple_approval.bpmn")
    instance = admin.start("simple_approval").json
    deploy_library("dossier.bpmn")
    with app.app_context():
        from service.extensions import db
        from service.identity.models import ApiToken, User

        clerk_id = db.session.scalar(sa.select(User.id).where(User.username == "clerk"))
        token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == clerk_id))
    applicant = {"name": "Nguyễn Thị Ánh", "id_number": "089190000123"}
    dossier = receive_dossier(clerk, applicant=applicant, components=None)
    hook = {"url": "https://example.gov.vn/hooks", "events": ["task.created"]}
    subscription = admin.post("/api/v1/webhooks", json=hook).json
    with app.app_context():
        from service.extensions import db
        from service.models_base import utcnow
        from service.relay import relay

        relay(utcnow())  # the dossier's task.created: a delivery to replay
        db.session.commit()
    delivery = admin.get("/api/v1/webhook-deliveries").json["items"][0]
    deploy_library("engine_external.bpmn")
    admin.start("external_check")
    fetch = {"worker_id": "w1", "topics": [{"topic_name": "population-lookup", "lock_duration": 600_000}]}
    [external_task] = admin.post("/api/v1/external-tasks/fetch-and-lock", json=fetch).json
    attachment = admin.client.post(
        f"/api/v1/tasks/{instance['tasks'][0]['id']}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "a.pdf")},
        content_type="multipart/form-data",
        headers=admin.headers,
    )
    assert attachment.status_code == 201, attachment.json
    opt_out = admin.post("/api/v1/notifications/opt-outs", json={"phone": "0912345678", "channel": "sms"})
    assert opt_out.status_code == 201, opt_out.json
    path_values = {
        "opt_out_id": opt_out.json["id"],
        "attachment_id": attachment.json["id"],
        "username": "clerk",
        "code": "AG-LLTP-01",
        "token_id": token_id,
        "instance_id": instance["id"],
        "task_id": instance["tasks"][0]["id"],
        "day": "2026-03-02",
        "ref": dossier["id"],
        "incident_id": 1,
        "subscription_id": subscription["id"],
        "delivery_id": delivery["id"],
        "external_task_id": external_task["id"],
        "portal_id": "DVCQG-000001",
        "push_id": 1,
    }
    portal_headers = {"Authorization": f"Bearer {portal}"}
    return SimpleNamespace(
        client=admin.client, admin=admin, stranger=stranger, portal=portal_headers, path_values=path_values
    )


def url(path: str, values: dict) -> str:
    if path == "/api/v1/units/{code}":
        values = {**values, "code": "TTPVHCC"}
    return path.format(**values)


def assert_error_body(response, where):
    body = json.loads(response.get_data(as_text=True))
    assert set(body) == {"error"}, where
    assert set(body["error"]) == {"code", "message", "details"}, where
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], where
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], where
    assert isinstance(body["error"]["details"], dict), where


@pytest.mark.parametrize(
    ("method", "path", "operation"), WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in WRITE_OPERATIONS]
)
def test_no_write_route_answers_a_generated_body_with_a_server_error(world, method, path, operation):
    target = url(path, world.path_values)
    callers = {"admin": world.admin.headers, "stranger": world.stranger.headers, "anonymous": {}}
    if (method, path) in SYSTEMS_ONLY:
        callers["portal"] = world.portal
    takes_json = "application/json" in operation.get("requestBody", {}).get("content", {})

    @given(body=bodies(operation), caller=st.sampled_from(sorted(callers)))
    @settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def attack(body, caller):
        data, content_type, is_malformed = body
        headers = dict(callers[caller])
        if content_type:
            headers["Content-Type"] = content_type
        response = world.client.open(target, method=method, data=data, headers=headers)
        where = (caller, method, target, content_type, data[:200])
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert_error_body(response, where)
        if (method, path) in SIGNED:
            assert response.status_code == 401, where
            return
        if caller == "anonymous" and (method, path) not in PUBLIC:
            assert response.status_code == 401, where
        if caller == "stranger" and (method, path) in REFUSED_TO_A_USER_WITHOUT_GROUPS:
            assert response.status_code == 403, where
        if caller == "admin" and (method, path) in SYSTEMS_ONLY:
            assert response.status_code == 403, where
        elif caller in ("admin", "portal") and takes_json and is_malformed:
            assert response.status_code == 400, where
            assert response.json["error"]["code"] == "invalid_json", where

    attack()
