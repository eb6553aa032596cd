"""Starting, reading and controlling process instances."""

import pytest


@pytest.fixture
def deployed(admin, deploy_library):
    deploy_library("simple_approval.bpmn")
    return admin


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["reception"], unit="TTPVHCC")


def test_start_returns_201_with_id_state_and_active_tasks(deployed, clerk):
    response = clerk.start("simple_approval", business_key="HS-1")
    assert response.status_code == 201
    body = response.json
    assert body["state"] == "running"
    assert body["business_key"] == "HS-1"
    assert body["variables"] == {}
    assert [t["element_id"] for t in body["tasks"]] == ["register"]
    assert body["tasks"][0]["candidate_groups"] == ["reception"]
    assert response.headers["ETag"] == f'"{body["version"]}"'


def test_start_of_unknown_definition_is_404(deployed):
    response = deployed.start("nope")
    assert response.status_code == 404


def test_start_of_unknown_version_is_404(deployed):
    assert deployed.start("simple_approval", version=7).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"definition_key": ""},
        {"definition_key": "simple_approval", "variables": [1, 2]},
        {"definition_key": "simple_approval", "version": 0},
        {"definition_key": "simple_approval", "unexpected": 1},
    ],
)
def test_bad_start_bodies_are_422_with_field_details(deployed, body):
    response = deployed.post("/api/v1/process-instances", json=body)
    assert response.status_code == 422
    assert response.json["error"]["details"]["fields"]


def test_non_json_body_is_a_clear_error(deployed):
    response = deployed.post("/api/v1/process-instances", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json


def test_get_shows_variables_tasks_and_history(deployed, clerk):
    started = clerk.start("simple_approval").json
    response = clerk.get(f"/api/v1/process-instances/{started['id']}")
    assert response.status_code == 200
    body = response.json
    assert body["variables"] == {}
    assert body["tasks"][0]["element_id"] == "register"
    types = [event["type"] for event in body["history"]]
    assert types[0] == "instance_started"
    assert "task_created" in types
    assert body["history"][0]["actor"] == "clerk"


def test_list_filters_by_state_definition_and_business_key(deployed, clerk):
    one = clerk.start("simple_approval", business_key="HS-1").json
    clerk.start("simple_approval", business_key="HS-2")
    deployed.post(f"/api/v1/process-instances/{one['id']}/terminate")
    assert clerk.get("/api/v1/process-instances").json["total"] == 2
    running = clerk.get("/api/v1/process-instances?state=running").json
    assert [i["business_key"] for i in running["items"]] == ["HS-2"]
    by_key = clerk.get("/api/v1/process-instances?business_key=HS-1").json
    assert by_key["items"][0]["state"] == "terminated"
    assert clerk.get("/api/v1/process-instances?definition_key=other").json["total"] == 0
    assert clerk.get("/api/v1/process-instances?state=bogus").status_code == 422


def test_list_is_paginated(deployed, clerk):
    for n in range(5):
        clerk.start("simple_approval", business_key=f"HS-{n}")
    page = clerk.get("/api/v1/process-instances?per_page=2&page=2").json
    assert page["total"] == 5
    assert page["page"] == 2
    assert len(page["items"]) == 2
    assert clerk.get("/api/v1/process-instances?per_page=0").status_code == 422


def test_users_see_only_instances_they_are_involved_in(deployed, clerk, make_user):
    started = clerk.start("simple_approval").json
    outsider = make_user("outsider", groups=["other"])
    assert outsider.get("/api/v1/process-instances").json["total"] == 0
    response = outsider.get(f"/api/v1/process-instances/{started['id']}")
    assert response.status_code == 403
    colleague = make_user("colleague", groups=["reception"])
    assert colleague.get(f"/api/v1/process-instances/{started['id']}").status_code == 200


def test_unknown_instance_is_404_and_malformed_id_is_404(deployed):
    assert deployed.get("/api/v1/process-instances/00000000-0000-0000-0000-000000000000").status_code == 404
    assert deployed.get("/api/v1/process-instances/not-a-uuid").status_code == 404


def test_suspend_blocks_work_until_resume(deployed, clerk):
    started = clerk.start("simple_approval").json
    task_id = started["tasks"][0]["id"]
    suspended = clerk.post(f"/api/v1/process-instances/{started['id']}/suspend")
    assert suspended.status_code == 200
    assert suspended.json["state"] == "suspended"
    refused = clerk.complete(task_id, {"title": "Công văn", "sender": "Sở"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "instance_not_running"
    assert clerk.post(f"/api/v1/tasks/{task_id}/claim").status_code == 409
    resumed = clerk.post(f"/api/v1/process-instances/{started['id']}/resume")
    assert resumed.json["state"] == "running"
    assert clerk.complete(task_id, {"title": "Công văn", "sender": "Sở"}).status_code == 200


def test_suspend_twice_and_resume_running_are_409(deployed, clerk):
    started = clerk.start("simple_approval").json
    url = f"/api/v1/process-instances/{started['id']}"
    assert clerk.post(url + "/resume").status_code == 409
    clerk.post(url + "/suspend")
    second = clerk.post(url + "/suspend")
    assert second.status_code == 409
    assert second.json["error"]["code"] == "invalid_state"


def test_terminate_cancels_open_tasks_and_records_it(deployed, clerk):
    started = clerk.start("simple_approval").json
    response = clerk.post(f"/api/v1/process-instances/{started['id']}/terminate")
    assert response.status_code == 200
    assert response.json["state"] == "terminated"
    assert response.json["ended_at"]
    assert response.json["tasks"] == []
    task = clerk.get(f"/api/v1/tasks/{started['tasks'][0]['id']}").json
    assert task["state"] == "cancelled"
    history = clerk.get(f"/api/v1/process-instances/{started['id']}").json["history"]
    assert "instance_terminated" in [e["type"] for e in history]
    assert clerk.post(f"/api/v1/process-instances/{started['id']}/terminate").status_code == 409


def test_terminate_also_closes_an_open_task_the_engine_had_not_ready(deployed, clerk, app):
    """A task row still open though its element is not ready in the engine (the projection behind
    it, an incident's task): a terminated instance leaves no open task."""
    import uuid

    from service.extensions import db
    from service.tasks.models import Task

    started = clerk.start("simple_approval").json
    ghost = uuid.uuid4()
    with app.app_context():
        db.session.add(Task(id=ghost, instance_id=uuid.UUID(started["id"]), element_id="gone", name="Gone"))
        db.session.commit()
    assert clerk.post(f"/api/v1/process-instances/{started['id']}/terminate").status_code == 200
    with app.app_context():
        assert db.session.get(Task, ghost).state == "cancelled"
        assert db.session.get(Task, uuid.UUID(started["tasks"][0]["id"])).state == "cancelled"


def test_only_starter_or_admin_controls_an_instance(deployed, clerk, make_user):
    started = clerk.start("simple_approval").json
    colleague = make_user("colleague", groups=["reception"])
    response = colleague.post(f"/api/v1/process-instances/{started['id']}/suspend")
    assert response.status_code == 403
    assert deployed.post(f"/api/v1/process-instances/{started['id']}/suspend").status_code == 200


def test_if_match_with_a_stale_version_is_refused_and_changes_nothing(deployed, clerk):
    started = clerk.start("simple_approval").json
    url = f"/api/v1/process-instances/{started['id']}"
    stale = started["version"] - 1
    response = clerk.post(url + "/suspend", headers={"If-Match": f'"{stale}"'})
    assert response.status_code == 412
    assert response.json["error"]["details"]["current_version"] == started["version"]
    assert clerk.get(url).json["state"] == "running"
    ok = clerk.post(url + "/suspend", headers={"If-Match": f'"{started["version"]}"'})
    assert ok.status_code == 200
    assert ok.json["version"] == started["version"] + 1


def test_malformed_if_match_is_400(deployed, clerk):
    started = clerk.start("simple_approval").json
    response = clerk.post(f"/api/v1/process-instances/{started['id']}/suspend", headers={"If-Match": "abc"})
    assert response.status_code == 400
