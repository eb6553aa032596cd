"""Idempotency-Key on the API's writes: a retried request with the same key and body gets the first
answer and nothing is done twice; the same key with another request is a 422; a failed request
keeps nothing; keys are per caller and expire; two racing requests with one key do the work once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import pytest
import requests
import sqlalchemy as sa

from service.extensions import db
from service.instances.models import ProcessInstance
from service.jobs import operations as jobs
from service.models_base import utcnow
from tests.support import bpmn_path

KEY = "6f1c2a8e-5b7d-4c3e-9a10-2b4d6f8e0c12"


@pytest.fixture
def starter(admin, make_user):
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    return make_user("clerk", groups=["reception"])


def instances(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance))


def start(caller, key=KEY, **body):
    body = {"definition_key": "simple_approval", "business_key": "CV-12", **body}
    return caller.post("/api/v1/process-instances", json=body, headers={"Idempotency-Key": key})


def test_a_retried_start_gets_the_first_answer_and_starts_nothing_more(app, starter):
    first = start(starter)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = start(starter)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert instances(app) == 1
    assert start(starter, key="another-key").json["id"] != first.json["id"]  # a new key: new work
    assert instances(app) == 2


def test_the_same_key_for_another_request_is_a_422_naming_the_first(app, starter):
    assert start(starter).status_code == 201
    other = start(starter, business_key="CV-13")
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert other.json["error"]["details"]["first_request"] == "POST /api/v1/process-instances"
    assert instances(app) == 1


def test_a_request_that_failed_keeps_nothing_and_its_retry_runs(app, starter):
    failed = start(starter, definition_key="no_such_process")
    assert failed.status_code == 404
    assert start(starter).status_code == 201  # the key was not spent on the failure
    assert instances(app) == 1


def test_keys_belong_to_their_caller(app, starter, make_user):
    other = make_user("clerk2", groups=["reception"])
    mine, theirs = start(starter), start(other)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json["id"] != theirs.json["id"]
    assert "Idempotent-Replayed" not in theirs.headers
    assert instances(app) == 2


def test_a_completed_task_retried_with_its_key_is_not_a_conflict(app, starter):
    assert start(starter).status_code == 201
    task = starter.get("/api/v1/tasks").json["items"][0]["id"]
    body = {"variables": {"title": "Công văn số 12", "sender": "Sở Tư pháp"}}
    headers = {"Idempotency-Key": "complete-1"}
    first = starter.post(f"/api/v1/tasks/{task}/complete", json=body, headers=headers)
    assert first.status_code == 200, first.json
    again = starter.post(f"/api/v1/tasks/{task}/complete", json=body, headers=headers)
    assert again.status_code == 200 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    plain = starter.post(f"/api/v1/tasks/{task}/complete", json=body)  # without the key: refused
    assert plain.status_code == 409


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "clé", "a b"])
def test_a_malformed_key_is_a_400(app, starter, key):
    response = start(starter, key=key)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_idempotency_key"
    assert instances(app) == 0


def test_a_key_expires_after_its_retention_and_the_housekeeping_deletes_it(app, starter, clock):
    first = start(starter).json
    clock.advance(hours=25)
    later = start(starter)
    assert later.status_code == 201 and later.json["id"] != first["id"]  # the old answer is gone
    assert instances(app) == 2
    clock.advance(hours=25)
    with app.app_context():
        assert jobs.housekeeping(utcnow())["idempotency_keys"] == 1


def test_an_upload_with_a_key_is_read_once_and_replayed(app, admin):
    data = bpmn_path("simple_approval.bpmn").read_bytes()

    def deploy(data=data):  # each call draws a new multipart boundary, as a retrying client does
        return admin.post(
            "/api/v1/process-definitions",
            data={"file": (BytesIO(data), "simple_approval.bpmn")},
            content_type="multipart/form-data",
            headers={"Idempotency-Key": "deploy-1"},
        )

    first = deploy()
    assert first.status_code == 201, first.json  # the form was parsed after the body was hashed
    again = deploy()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    changed = deploy(data.replace(b"simple_approval", b"other_approval"))
    assert changed.status_code == 422 and changed.json["error"]["code"] == "idempotency_key_reused"


def test_reads_and_public_routes_ignore_the_header(app, starter):
    assert starter.get("/api/v1/tasks", headers={"Idempotency-Key": ""}).status_code == 200
    login = app.test_client().post(
        "/api/v1/auth/login",
        json={"username": "clerk", "password": "password-1"},
        headers={"Idempotency-Key": KEY},
    )
    assert login.status_code == 200


def test_racing_requests_with_one_key_start_one_instance_and_answer_alike(app, live_server, starter):
    racers = 4
    barrier = threading.Barrier(racers)

    def post():
        barrier.wait()
        return requests.post(
            f"{live_server}/api/v1/process-instances",
            json={"definition_key": "simple_approval", "business_key": "CV-12"},
            headers={"Authorization": f"Bearer {starter.token}", "Idempotency-Key": KEY},
            timeout=60,
        )

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(lambda _: post(), range(racers)))
    # Each racer gets the one answer, or (SQLite, one writer at a time) a refusal to retry.
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1, [(a.status_code, a.text[:200]) for a in answers]
    assert all(a.status_code in (201, 409, 503) for a in answers), [a.text[:200] for a in answers]
    assert instances(app) == 1
    settled = requests.post(
        f"{live_server}/api/v1/process-instances",
        json={"definition_key": "simple_approval", "business_key": "CV-12"},
        headers={"Authorization": f"Bearer {starter.token}", "Idempotency-Key": KEY},
        timeout=60,
    )
    assert settled.status_code == 201 and settled.json()["id"] in ids
