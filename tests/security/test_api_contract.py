"""Finding 8 of the security review: the API keeps the contract its OpenAPI document and README state.

Error bodies are the ones the document declares; an operation that takes a body refuses to run
without one; a caller who may not call an operation is refused before the body is read; malformed
JSON is 400 (not 422); a body that is not JSON is 415; a JSON body has the JSON types declared.
"""

from io import BytesIO

import jsonschema
import pytest

from tests.factories import receive_dossier
from tests.support import bpmn_path

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["reception"], unit="TTPVHCC")


@pytest.fixture
def nobody(make_user):
    return make_user("nobody", unit="OTHER-UNIT")


def assert_declared_error(document, response, status):
    """The answer has `status` and the body the document declares for every error."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    validator = jsonschema.Draft4Validator(
        {"$ref": "#/components/schemas/Error", "components": document["components"]}
    )
    validator.validate(response.get_json())


# --- error bodies as documented -------------------------------------------------------------------


def test_every_error_response_the_document_declares_is_the_service_error_body(document):
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message", "details"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            default = operation["responses"]["default"]
            assert default == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (method, path)
    for name, response in document["components"]["responses"].items():
        for content in response.get("content", {}).values():
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, name


def test_the_service_sends_the_documented_error_body_for_each_status(app, client, document, admin, nobody):
    assert_declared_error(document, client.post("/api/v1/auth/login", data="{", headers=JSON), 400)
    assert_declared_error(document, client.get("/api/v1/tasks"), 401)
    assert_declared_error(document, nobody.get("/api/v1/users"), 403)
    assert_declared_error(document, admin.get("/api/v1/users/someone"), 404)
    assert_declared_error(document, admin.client.put("/api/v1/users", headers=admin.headers), 405)
    admin.post("/api/v1/groups", json={"name": "twice"})
    assert_declared_error(document, admin.post("/api/v1/groups", json={"name": "twice"}), 409)
    app.config["MAX_CONTENT_LENGTH"] = 100
    assert_declared_error(document, admin.post("/api/v1/groups", json={"name": "x" * 200}), 413)
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    assert_declared_error(document, admin.post("/api/v1/groups", data="name=x"), 415)
    assert_declared_error(document, admin.post("/api/v1/groups", json={"name": "?"}), 422)
    assert_declared_error(
        document, admin.post("/api/v1/users", json={"username": "a", "password": "short"}), 422
    )


def test_login_is_documented_as_public_and_every_other_operation_as_authenticated(document):
    assert document["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    public = [
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and operation.get("security") == []
    ]
    assert public == [("post", "/api/v1/auth/login")]


# --- bodies required where the operation takes one --------------------------------------------


def test_operations_that_take_a_body_refuse_to_run_without_one(app, admin, clerk):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    started = admin.start("simple_approval").json
    admin.post("/api/v1/procedures", json={"code": "P-1", "name": "Thủ tục", "processing_days": 5})
    urls = [
        ("PATCH", "/api/v1/users/clerk"),
        ("PATCH", "/api/v1/units/TTPVHCC"),
        ("PATCH", "/api/v1/procedures/P-1"),
        ("POST", f"/api/v1/tasks/{started['tasks'][0]['id']}/complete"),
        ("POST", f"/api/v1/process-instances/{started['id']}/messages"),
        ("POST", "/api/v1/users/clerk/password"),
    ]
    for method, url in urls:
        for headers in ({}, JSON):  # nothing at all, or a JSON content type and no body
            response = admin.client.open(url, method=method, headers={**admin.headers, **headers})
            assert response.status_code == 400, (method, url, response.json)
            assert response.json["error"]["code"] == "body_required"
            assert "needs a JSON body" in response.json["error"]["message"]
    after = admin.get(f"/api/v1/process-instances/{started['id']}").json
    assert after["version"] == started["version"] and after["tasks"] == started["tasks"]


def test_withdrawing_a_dossier_needs_a_body(deploy_library, catalogue, clerk):
    deploy_library("dossier.bpmn")
    applicant = {"name": "Nguyễn Thị Ánh", "id_number": "089190000123"}
    dossier = receive_dossier(clerk, applicant=applicant, components=None)
    response = clerk.post(f"/api/v1/dossiers/{dossier['id']}/withdraw")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "body_required"
    assert clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["status"] == dossier["status"]
    assert clerk.post(f"/api/v1/dossiers/{dossier['id']}/withdraw", json={}).status_code == 200


# --- permission before validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/users", {"username": 5}),
        ("PATCH", "/api/v1/users/admin", {"is_admin": "yes"}),
        ("POST", "/api/v1/users/admin/password", {"password": "short"}),
        ("POST", "/api/v1/groups", {}),
        ("POST", "/api/v1/units", {"code": ""}),
        ("PATCH", "/api/v1/units/TTPVHCC", None),
        ("POST", "/api/v1/tokens", {"user": []}),
        ("GET", "/api/v1/users?page=zero", None),
        ("POST", "/api/v1/calendar/overrides", {"day": "not a day"}),
        ("DELETE", "/api/v1/calendar/overrides/not-a-day", None),
        ("POST", "/api/v1/procedures", {"processing_days": -1}),
        ("PATCH", "/api/v1/procedures/P-1", {"processing_days": "many"}),
        ("GET", "/api/v1/reports/late-dossiers?month=soon", None),
        ("GET", "/api/v1/incidents?per_page=0", None),
        ("POST", "/api/v1/dossiers", {"channel": "pigeon"}),
    ],
)
def test_a_caller_who_may_not_call_an_operation_gets_403_whatever_the_body(nobody, method, url, body):
    response = nobody.client.open(url, method=method, json=body, headers=nobody.headers)
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "forbidden"


def test_uploads_are_refused_to_those_who_may_not_make_them_before_the_file_is_read(nobody):
    for url in ("/api/v1/process-definitions", "/api/v1/procedures/load"):
        missing = nobody.post(url, data={}, content_type="multipart/form-data")
        assert missing.status_code == 403, (url, missing.json)
        wrong = nobody.post(url, data={"file": (BytesIO(b"x"), "x.txt")}, content_type="multipart/form-data")
        assert wrong.status_code == 403, (url, wrong.json)


def test_a_file_on_a_task_that_is_not_theirs_is_refused_before_it_is_read(admin, nobody):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    started = admin.start("simple_approval").json
    url = f"/api/v1/tasks/{started['tasks'][0]['id']}/attachments"
    for data in ({}, {"file": (BytesIO(b"not a pdf"), "x.exe"), "component": "\x01"}):
        response = nobody.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 403, response.json
    assert admin.get(f"/api/v1/process-instances/{started['id']}/attachments").json["items"] == []


@pytest.mark.parametrize("body", [None, {"variables": []}, {"variables": {"x": 1}, "extra": 1}, "not json"])
def test_completing_a_task_that_is_not_theirs_is_403_whatever_the_body(admin, nobody, body):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    started = admin.start("simple_approval").json
    url = f"/api/v1/tasks/{started['tasks'][0]['id']}/complete"
    if isinstance(body, str):
        response = nobody.post(url, data=body, content_type="application/json")
    else:
        response = nobody.client.post(url, json=body, headers=nobody.headers)
    assert response.status_code == 403, response.json
    assert admin.get(f"/api/v1/process-instances/{started['id']}").json["version"] == started["version"]


@pytest.mark.parametrize("body", [None, {"name": ""}, {"name": "x", "payload": [1]}])
def test_a_message_to_an_instance_that_is_not_theirs_is_403_whatever_the_body(admin, nobody, body):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    started = admin.start("simple_approval").json
    url = f"/api/v1/process-instances/{started['id']}/messages"
    response = nobody.client.post(url, json=body, headers=nobody.headers)
    assert response.status_code == 403, response.json


def test_an_officer_outside_reception_cannot_withdraw_whatever_the_body(nobody):
    response = nobody.client.post(
        "/api/v1/dossiers/HS-1/withdraw", json={"reason": 5}, headers=nobody.headers
    )
    assert response.status_code == 403


# --- how bodies are read ------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["{", '{"name": }', "{'name': 'x'}", '{"name": "x"} trailing', "\ufeff{}"])
def test_malformed_json_is_400_as_the_readme_says(document, admin, body):
    response = admin.post("/api/v1/groups", data=body.encode(), headers=JSON)
    assert_declared_error(document, response, 400)
    assert response.json["error"]["code"] == "invalid_json"
    assert "line 1" in response.json["error"]["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_415(admin, content_type):
    response = admin.post("/api/v1/groups", data='{"name": "x"}', headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert admin.get("/api/v1/groups").json["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "lan", "password": "long-enough-1", "is_admin": 1}, "is_admin"),
        ({"username": "lan", "password": "long-enough-1", "is_admin": "true"}, "is_admin"),
        ({"username": "lan", "password": "long-enough-1", "groups": "reception"}, "groups"),
    ],
)
def test_a_json_body_has_the_json_types_the_document_declares(admin, body, field):
    response = admin.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]
    assert admin.get("/api/v1/users?q=lan").json["total"] == 0


def test_nested_values_have_their_declared_json_types_too(admin):
    body = {
        "code": "P-1",
        "name": "x",
        "processing_days": "5",
        "components": [{"name": "a", "quantity": "1"}],
    }
    response = admin.post("/api/v1/procedures", json=body)
    assert response.status_code == 422
    fields = response.json["error"]["details"]["fields"]
    assert fields == {
        "processing_days": ["Not a valid number."],
        "components": {"0": {"quantity": ["Not a valid integer."]}},
    }
