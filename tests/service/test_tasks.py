"""The worklist, claiming and completing tasks, forms, and failing scripts."""

import pytest

from tests.support import bpmn_path
from tests.support import statements as counted

REGISTER = {"title": "Công văn số 12", "sender": "Sở Tư pháp"}


@pytest.fixture
def people(admin, deploy_library, make_user):
    deploy_library("simple_approval.bpmn")
    return {
        "admin": admin,
        "clerk": make_user("clerk", groups=["reception"]),
        "clerk2": make_user("clerk2", groups=["reception"]),
        "specialist": make_user("specialist", groups=["specialists"]),
        "leader": make_user("leader", groups=["leaders"]),
    }


def _first_task(caller, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    items = caller.get(f"/api/v1/tasks?{params}").json["items"]
    assert items, f"no task for {caller.username} with {query}"
    return items[0]


def test_a_dossier_walks_through_every_lane_to_completion(people):
    clerk, specialist, leader = people["clerk"], people["specialist"], people["leader"]
    instance = clerk.start("simple_approval", business_key="HS-1").json
    register = _first_task(clerk, candidate_group="reception")
    assert clerk.complete(register["id"], REGISTER).status_code == 200
    appraise = _first_task(specialist, candidate_group="specialists")
    assert appraise["element_id"] == "appraise"
    assert specialist.complete(appraise["id"], {"opinion": "đạt"}).status_code == 200
    approve = _first_task(leader)
    done = leader.complete(approve["id"], {"approved": True})
    assert done.status_code == 200
    body = done.json
    assert body["state"] == "completed"
    assert body["variables"]["registry_number"] == "VB-14"
    assert body["tasks"] == []
    history = clerk.get(f"/api/v1/process-instances/{instance['id']}").json["history"]
    completed = [(e["type"], e["actor"]) for e in history if e["type"] == "task_completed"]
    assert completed == [
        ("task_completed", "clerk"),
        ("task_completed", "specialist"),
        ("task_completed", "leader"),
    ]
    assert history[-1]["type"] == "instance_completed"


def test_task_completion_audit_records_the_submitted_data(people):
    clerk = people["clerk"]
    instance = clerk.start("simple_approval").json
    clerk.complete(instance["tasks"][0]["id"], REGISTER)
    history = clerk.get(f"/api/v1/process-instances/{instance['id']}").json["history"]
    event = next(e for e in history if e["type"] == "task_completed")
    assert event["data"] == {"variables": REGISTER}
    assert event["element_id"] == "register"
    assert event["task_id"] == instance["tasks"][0]["id"]


def test_worklist_shows_only_the_callers_groups(people):
    people["clerk"].start("simple_approval")
    assert people["clerk"].get("/api/v1/tasks").json["total"] == 1
    assert people["specialist"].get("/api/v1/tasks").json["total"] == 0
    assert people["admin"].get("/api/v1/tasks").json["total"] == 1
    assert people["specialist"].get("/api/v1/tasks?candidate_group=reception").json["total"] == 0


def test_worklist_filters_and_orders_oldest_first(people):
    clerk = people["clerk"]
    first = clerk.start("simple_approval", business_key="A").json
    second = clerk.start("simple_approval", business_key="B").json
    items = clerk.get("/api/v1/tasks").json["items"]
    assert [t["process_instance_id"] for t in items] == [first["id"], second["id"]]
    only = clerk.get(f"/api/v1/tasks?process_instance_id={second['id']}").json
    assert only["total"] == 1
    clerk.post(f"/api/v1/tasks/{items[0]['id']}/claim")
    mine = clerk.get("/api/v1/tasks?assignee=me").json
    assert [t["id"] for t in mine["items"]] == [items[0]["id"]]
    assert clerk.get("/api/v1/tasks?assignee=clerk").json["total"] == 1
    # register is due in 4 hours (dueIn PT4H)
    assert clerk.get("/api/v1/tasks?due_before=2000-01-01T00:00:00Z").json["total"] == 0
    assert clerk.get("/api/v1/tasks?due_before=2999-01-01T00:00:00Z").json["total"] == 2
    assert clerk.get("/api/v1/tasks?state=bogus").status_code == 422
    assert clerk.get("/api/v1/tasks?due_before=yesterday").status_code == 422


def test_worklist_filters_by_process_and_sla_class_as_the_worklist_page_does(people, clock):
    clerk = people["clerk"]
    clerk.start("simple_approval", business_key="A")
    clerk.start("simple_approval", business_key="B")
    assert clerk.get("/api/v1/tasks?process=simple_approval").json["total"] == 2
    assert clerk.get("/api/v1/tasks?process=no_such_process").json["total"] == 0
    # register is due in 4 hours (dueIn PT4H): due soon (within a working day), then late.
    assert clerk.get("/api/v1/tasks?due=due_soon").json["total"] == 2
    assert clerk.get("/api/v1/tasks?due=late").json["total"] == 0
    assert clerk.get("/api/v1/tasks?due=none").json["total"] == 0
    clock.advance(hours=5)
    late = clerk.get("/api/v1/tasks?due=late&process=simple_approval").json
    assert late["total"] == 2 and len(late["items"]) == 2
    assert clerk.get("/api/v1/tasks?due=due_soon").json["total"] == 0
    assert clerk.get("/api/v1/tasks?due=bogus").status_code == 422
    assert clerk.get("/api/v1/tasks?process=").status_code == 422


def test_the_worklist_reads_a_page_in_the_same_few_statements_whatever_its_rows(app, people):
    """The API and the worklist page share the worklist query: a count and one joined page query,
    never a query per row."""

    clerk = people["clerk"]

    def statements(url):
        with counted(app) as seen:
            assert clerk.get(url).status_code == 200
        return len(seen)

    clerk.start("simple_approval")
    urls = ("/api/v1/tasks", "/ui/?tab=group")
    for url in urls:  # the working calendar is read once, then cached
        statements(url)
    one = {url: statements(url) for url in urls}
    for _ in range(4):
        clerk.start("simple_approval")
    assert {url: statements(url) for url in one} == one
    assert clerk.get("/api/v1/tasks").json["total"] == 5


def test_completed_tasks_are_listed_with_state_filter(people):
    clerk = people["clerk"]
    instance = clerk.start("simple_approval").json
    clerk.complete(instance["tasks"][0]["id"], REGISTER)
    assert clerk.get("/api/v1/tasks").json["total"] == 0
    done = clerk.get("/api/v1/tasks?state=completed").json
    assert done["total"] == 1
    assert done["items"][0]["completed_at"]


def test_task_detail_carries_its_form_schema_and_documentation(people):
    clerk = people["clerk"]
    instance = clerk.start("simple_approval", business_key="HS-9").json
    task = clerk.get(f"/api/v1/tasks/{instance['tasks'][0]['id']}").json
    assert task["form"]["key"] == "simple_approval_register"
    assert task["form"]["schema"]["required"] == ["title", "sender"]
    assert task["form"]["ui"]["order"][0] == "title"
    assert task["documentation"].startswith("Kiểm tra")
    assert task["business_key"] == "HS-9"
    assert task["due_at"]


def test_completion_is_validated_against_the_form_with_one_entry_per_field(people):
    clerk = people["clerk"]
    instance = clerk.start("simple_approval").json
    task_id = instance["tasks"][0]["id"]
    response = clerk.complete(task_id, {"title": "x", "pages": 0})
    assert response.status_code == 422
    fields = response.json["error"]["details"]["fields"]
    assert set(fields) == {"title", "sender", "pages"}
    assert clerk.get(f"/api/v1/tasks/{task_id}").json["state"] == "open"


def test_non_candidates_get_403_on_read_claim_and_complete(people):
    instance = people["clerk"].start("simple_approval").json
    task_id = instance["tasks"][0]["id"]
    specialist = people["specialist"]
    assert specialist.get(f"/api/v1/tasks/{task_id}").status_code == 403
    assert specialist.post(f"/api/v1/tasks/{task_id}/claim").status_code == 403
    response = specialist.complete(task_id, REGISTER)
    assert response.status_code == 403
    assert response.json["error"]["details"]["candidate_groups"] == ["reception"]


def test_admin_may_complete_any_task(people):
    instance = people["clerk"].start("simple_approval").json
    assert people["admin"].complete(instance["tasks"][0]["id"], REGISTER).status_code == 200


def test_claim_makes_the_task_yours_and_others_get_409(people):
    clerk, clerk2 = people["clerk"], people["clerk2"]
    task_id = clerk.start("simple_approval").json["tasks"][0]["id"]
    claimed = clerk.post(f"/api/v1/tasks/{task_id}/claim")
    assert claimed.status_code == 200
    assert claimed.json["assignee"] == "clerk"
    assert clerk.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200  # idempotent for the holder
    other = clerk2.post(f"/api/v1/tasks/{task_id}/claim")
    assert other.status_code == 409
    assert "clerk" in other.json["error"]["message"]
    refused = clerk2.complete(task_id, REGISTER)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "task_claimed"
    assert "claimed by clerk" in refused.json["error"]["message"]  # the holder is named
    assert clerk2.post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 409


def test_unclaim_returns_the_task_to_the_group(people):
    clerk, clerk2 = people["clerk"], people["clerk2"]
    task_id = clerk.start("simple_approval").json["tasks"][0]["id"]
    clerk.post(f"/api/v1/tasks/{task_id}/claim")
    released = clerk.post(f"/api/v1/tasks/{task_id}/unclaim")
    assert released.status_code == 200
    assert released.json["assignee"] is None
    assert clerk2.post(f"/api/v1/tasks/{task_id}/claim").json["assignee"] == "clerk2"


def test_second_completion_of_a_task_is_refused(people):
    clerk = people["clerk"]
    task_id = clerk.start("simple_approval").json["tasks"][0]["id"]
    assert clerk.complete(task_id, REGISTER).status_code == 200
    again = clerk.complete(task_id, REGISTER)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "task_not_open"


def test_complete_with_stale_if_match_is_refused(people):
    clerk = people["clerk"]
    instance = clerk.start("simple_approval").json
    task_id = instance["tasks"][0]["id"]
    stale = clerk.complete(task_id, REGISTER, headers={"If-Match": f'"{instance["version"] + 5}"'})
    assert stale.status_code == 412
    assert clerk.get(f"/api/v1/tasks/{task_id}").json["state"] == "open"
    fresh = clerk.complete(task_id, REGISTER, headers={"If-Match": f'"{instance["version"]}"'})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == f'"{fresh.json["version"]}"'


def test_unknown_task_is_404(people):
    assert people["clerk"].get("/api/v1/tasks/00000000-0000-0000-0000-000000000000").status_code == 404
    assert people["clerk"].complete("00000000-0000-0000-0000-000000000000").status_code == 404


def test_complete_body_must_carry_an_object_of_variables(people):
    clerk = people["clerk"]
    task_id = clerk.start("simple_approval").json["tasks"][0]["id"]
    response = clerk.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": "nope"})
    assert response.status_code == 422
    assert "variables" in response.json["error"]["details"]["fields"]


@pytest.fixture
def failing(admin, make_user):
    assert admin.deploy(bpmn_path("svc_script_failure.bpmn")).status_code == 201
    return make_user("starter", groups=["starters"])


def test_a_failing_script_puts_the_instance_in_error_with_a_readable_message(failing):
    instance = failing.start("script_failure").json
    response = failing.complete(instance["tasks"][0]["id"], {"divisor": 0, "escape": False})
    assert response.status_code == 200
    body = response.json
    assert body["state"] == "error"
    assert body["error"]["element_id"] == "compute"
    assert "ZeroDivisionError" in body["error"]["message"]
    assert body["error"]["line"] == 2
    assert body["tasks"] == []
    history = failing.get(f"/api/v1/process-instances/{instance['id']}").json["history"]
    assert history[-1]["type"] == "instance_failed"


def test_a_sandbox_escape_at_run_time_fails_the_instance_not_the_server(failing):
    instance = failing.start("script_failure").json
    response = failing.complete(instance["tasks"][0]["id"], {"divisor": 4, "escape": True})
    assert response.status_code == 200
    assert response.json["state"] == "error"
    assert response.json["error"]["element_id"] == "compute"
    assert "leaked" not in response.json["variables"]


def test_an_instance_in_error_can_be_retried_or_terminated(failing):
    instance = failing.start("script_failure").json
    failing.complete(instance["tasks"][0]["id"], {"divisor": 0, "escape": False})
    url = f"/api/v1/process-instances/{instance['id']}"
    retried = failing.post(url + "/retry")
    assert retried.status_code == 200
    assert retried.json["state"] == "error"  # the data still divides by zero
    assert failing.post(url + "/terminate").json["state"] == "terminated"
    assert failing.post(url + "/retry").status_code == 409


def test_a_task_without_candidate_groups_belongs_to_its_starter(failing, make_user):
    instance = failing.start("script_failure").json
    task_id = instance["tasks"][0]["id"]
    stranger = make_user("stranger", groups=["reception"])
    assert stranger.get("/api/v1/tasks").json["total"] == 0
    assert stranger.complete(task_id, {"divisor": 2, "escape": False}).status_code == 403
    assert failing.get("/api/v1/tasks").json["total"] == 1
    done = failing.complete(task_id, {"divisor": 2, "escape": False})
    assert done.json["variables"]["share"] == 50


def test_completion_answers_every_active_task_including_other_branches(admin, make_user):
    assert admin.deploy(bpmn_path("svc_parallel.bpmn")).status_code == 201
    owner = make_user("owner", groups=["owners"])
    instance = owner.start("parallel_review").json
    tasks = {t["element_id"]: t["id"] for t in instance["tasks"]}
    after_a = owner.complete(tasks["opinion_a"], {"opinion_a": "yes"}).json
    assert [t["element_id"] for t in after_a["tasks"]] == ["opinion_b"]
    after_b = owner.complete(tasks["opinion_b"], {"opinion_b": "no"}).json
    assert [t["element_id"] for t in after_b["tasks"]] == ["decide"]
    assert after_b["tasks"][0]["assignee"] is None
    assert after_b["tasks"][0]["created_at"]
