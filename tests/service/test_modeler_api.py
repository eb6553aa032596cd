"""Diagrams drawn in Camunda Modeler (tests/data/camunda/), deployed through the API and run: their
candidate groups, assignees, forms, due dates, ${...} conditions and ISO 8601 timers honoured;
several processes in one file, diagram-only files, and the deploy report; refused expressions."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from service.extensions import db
from tests.support import DATA

CAMUNDA = DATA / "camunda"


def camunda(name: str) -> bytes:
    return (CAMUNDA / name).read_bytes()


@pytest.fixture
def people(make_user, admin):
    return {
        "admin": admin,
        "alice": make_user("alice", groups=["requesters"]),
        "pat": make_user("pat", groups=["purchasing"]),
        "dora": make_user("dora", groups=["directors"]),
    }


def _tasks(caller, **query):
    return caller.get("/api/v1/tasks", query_string=query).json["items"]


def _fire(app, instance_id, moment):
    from service.jobs.operations import fire_timers

    with app.app_context():
        return fire_timers(uuid.UUID(instance_id), moment)


def _instance(app, instance_id):
    from service.instances.models import ProcessInstance

    with app.app_context():
        row = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        return {"state": row.state, "next_timer_at": row.next_timer_at, "error": row.error}


def test_a_camunda_purchase_request_runs_with_its_groups_forms_due_dates_and_report(app, people):
    admin, alice, pat, dora = people["admin"], people["alice"], people["pat"], people["dora"]
    deployed = admin.deploy(camunda("camunda_purchase.bpmn"), "camunda_purchase.bpmn")
    assert deployed.status_code == 201, deployed.json
    body = deployed.json
    assert (body["key"], body["version"], body["start_form"]) == (
        "camunda_purchase",
        1,
        "camunda_purchase_request",
    )
    assert body["starter_groups"] == ["requesters"]
    assert body["diagram_only"] is False and body["non_executable"] == []
    assert [d["key"] for d in body["definitions"]] == ["camunda_purchase"]
    reported = {(line["element_id"], line["message"].split(" ")[0]) for line in body["report"]}
    assert ("Activity_review", "camunda:asyncBefore") in reported
    assert ("Activity_review", "camunda:taskListener") in reported
    assert ("DataStoreReference_ledger", "The") in reported

    started = alice.start("camunda_purchase", variables={"item": "Laptops", "amount": 5000})
    assert started.status_code == 201, started.json
    instance_id = started.json["id"]
    # camunda:candidateGroups="purchasing": in the purchasing worklist, not in the directors'.
    assert [t["element_id"] for t in _tasks(pat)] == ["Activity_review"]
    assert _tasks(dora) == []
    review = _tasks(pat)[0]
    assert review["form_key"] == "camunda_purchase_review"  # camunda:formKey
    assert review["candidate_groups"] == ["purchasing"]
    # camunda:dueDate="2026-12-31T17:00:00+07:00"
    assert datetime.fromisoformat(review["due_at"]) == datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert pat.get(f"/api/v1/tasks/{review['id']}").json["form"]["key"] == "camunda_purchase_review"
    # camunda:priority, camunda:followUpDate and camunda:properties are the task's properties.
    from service.tasks.models import Task

    with app.app_context():
        properties = db.session.get(Task, uuid.UUID(review["id"])).properties
    assert properties["priority"] == "70" and properties["category"] == "procurement"
    assert properties["followUpDate"] == "2026-12-20T09:00:00+07:00"
    # The form is what a completion may carry.
    assert pat.complete(review["id"], {"approved": True, "amount": 1}).status_code == 422
    # ${amount > 1000 && approved} routes a large approved request to the directors.
    assert pat.complete(review["id"], {"approved": True}).status_code == 200
    director = _tasks(dora)
    assert [t["element_id"] for t in director] == ["Activity_director"]
    assert set(director[0]["candidate_groups"]) == {"directors", "purchasing-heads"}
    opened = datetime.fromisoformat(director[0]["created_at"])
    assert abs(datetime.fromisoformat(director[0]["due_at"]) - (opened + timedelta(days=2))) < timedelta(
        seconds=5
    )
    assert dora.complete(director[0]["id"]).status_code == 200
    assert admin.get(f"/api/v1/process-instances/{instance_id}").json["state"] == "completed"


@pytest.mark.parametrize(
    ("amount", "approved"), [(500, True), (5000, False)], ids=["small-approved", "large-refused"]
)
def test_the_default_flow_assigns_the_receipt_to_the_initiator(people, amount, approved):
    admin, alice, pat = people["admin"], people["alice"], people["pat"]
    assert admin.deploy(camunda("camunda_purchase.bpmn"), "camunda_purchase.bpmn").status_code == 201
    instance_id = alice.start("camunda_purchase", variables={"item": "Pens", "amount": amount}).json["id"]
    # camunda:initiator="initiator": the starter's username, which no caller may set.
    variables = admin.get(f"/api/v1/process-instances/{instance_id}").json["variables"]
    assert variables["initiator"] == "alice"
    assert pat.complete(_tasks(pat)[0]["id"], {"approved": approved}).status_code == 200
    receive = _tasks(alice)
    assert [t["element_id"] for t in receive] == ["Activity_receive"]
    assert receive[0]["assignee"] == "alice"  # camunda:assignee="${initiator}"
    assert _tasks(pat) == []


def test_the_initiator_variable_cannot_be_given_by_the_caller(people):
    admin, alice = people["admin"], people["alice"]
    assert admin.deploy(camunda("camunda_purchase.bpmn"), "camunda_purchase.bpmn").status_code == 201
    refused = alice.start("camunda_purchase", variables={"item": "x", "amount": 1, "initiator": "dora"})
    assert refused.status_code == 422


def test_iso_8601_timers_fire_at_the_right_moments(app, admin, make_user, clock):
    pat = make_user("pat", groups=["purchasing"])
    began = clock.freeze()
    assert admin.deploy(camunda("camunda_timers.bpmn"), "camunda_timers.bpmn").status_code == 201
    instance_id = admin.start("camunda_timers").json["id"]
    week = _instance(app, instance_id)["next_timer_at"]
    assert abs(week - (began + timedelta(days=7))) < timedelta(seconds=2)  # P7D
    assert not _fire(app, instance_id, began + timedelta(days=6))
    assert _tasks(pat) == []
    fired_at = clock.advance(days=7, seconds=1)
    assert _fire(app, instance_id, fired_at)
    assert [t["element_id"] for t in _tasks(pat)] == ["Activity_follow_up"]
    # R3/PT1H on the task: three reminders an hour apart, then none.
    reminders = []
    for _ in range(3):
        due = _instance(app, instance_id)["next_timer_at"]
        assert due is not None
        reminders.append(due)
        assert _fire(app, instance_id, due + timedelta(seconds=1))
    assert [b - a for a, b in pairwise(reminders)] == [timedelta(hours=1)] * 2
    assert abs(reminders[0] - (fired_at + timedelta(hours=1))) < timedelta(seconds=2)
    assert _instance(app, instance_id)["next_timer_at"] is None
    assert _instance(app, instance_id)["state"] == "running"
    assert [t["element_id"] for t in _tasks(pat)] == ["Activity_follow_up"]  # non-interrupting


def test_a_timer_start_cycle_starts_one_instance_per_repetition(app, admin, make_user, clock):
    operator = make_user("olga", groups=["operators"])
    began = clock.freeze()
    assert admin.deploy(camunda("camunda_cycle_start.bpmn"), "camunda_cycle_start.bpmn").status_code == 201

    def instances():
        return admin.get("/api/v1/process-instances?definition_key=hourly_check").json["items"]

    assert len(instances()) == 1  # armed, waiting for the first repetition
    for repetition in range(1, 4):
        waiting = [i for i in instances() if _instance(app, i["id"])["next_timer_at"] is not None]
        assert len(waiting) == 1
        due = _instance(app, waiting[0]["id"])["next_timer_at"]
        assert abs(due - (began + timedelta(hours=repetition))) < timedelta(seconds=2)
        assert _fire(app, waiting[0]["id"], clock.advance_to(due + timedelta(seconds=1)))
        assert len(_tasks(operator)) == repetition
    assert len(instances()) == 3  # R3: three instances, and none waits for a fourth
    assert all(_instance(app, i["id"])["next_timer_at"] is None for i in instances())


def test_a_file_with_two_executable_pools_deploys_two_definitions(people):
    admin = people["admin"]
    deployed = admin.deploy(camunda("camunda_two_agencies.bpmn"), "camunda_two_agencies.bpmn")
    assert deployed.status_code == 201, deployed.json
    body = deployed.json
    assert [(d["key"], d["version"], d["created"]) for d in body["definitions"]] == [
        ("commune_intake", 1, True),
        ("district_review", 1, True),
    ]
    assert body["key"] == "commune_intake" and body["non_executable"] == ["citizen_side"]
    assert any(line["element_id"] == "citizen_side" for line in body["report"])
    keys = {d["key"] for d in admin.get("/api/v1/process-definitions").json["items"]}
    assert {"commune_intake", "district_review"} <= keys and "citizen_side" not in keys
    for key, group in (("commune_intake", "commune-officers"), ("district_review", "district-officers")):
        started = admin.start(key)
        assert started.status_code == 201
        assert [t["candidate_groups"] for t in started.json["tasks"]] == [[group]]
    again = admin.deploy(camunda("camunda_two_agencies.bpmn"), "camunda_two_agencies.bpmn")
    assert again.status_code == 200
    assert [d["created"] for d in again.json["definitions"]] == [False, False]


def test_a_file_with_only_a_descriptive_pool_is_a_diagram(people):
    admin = people["admin"]
    deployed = admin.deploy(camunda("camunda_descriptive_pool.bpmn"), "as_is.bpmn")
    assert deployed.status_code == 201, deployed.json
    body = deployed.json
    assert body["diagram_only"] is True and body["definitions"] == []
    assert (body["key"], body["version"], body["name"]) == (
        "Definitions_as_is_map",
        1,
        "How permits are handled today",
    )
    assert body["non_executable"] == ["Process_as_is"]
    assert "not executable" in body["report"][0]["message"]
    listed = admin.get("/api/v1/diagrams").json
    assert [(d["key"], d["version"], d["processes"]) for d in listed] == [
        ("Definitions_as_is_map", 1, ["Process_as_is"])
    ]
    assert admin.get("/api/v1/diagrams/Definitions_as_is_map").json["versions"][0]["version"] == 1
    xml = admin.get("/api/v1/diagrams/Definitions_as_is_map/versions/1/xml")
    assert xml.status_code == 200 and xml.data == camunda("camunda_descriptive_pool.bpmn")
    assert admin.start("Process_as_is").status_code == 404  # never started
    assert admin.deploy(camunda("camunda_descriptive_pool.bpmn"), "as_is.bpmn").status_code == 200
    assert people["alice"].deploy(camunda("camunda_descriptive_pool.bpmn"), "as_is.bpmn").status_code == 403


def _with_condition(expression: str) -> bytes:
    escaped = expression.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return camunda("camunda_purchase.bpmn").replace(
        b"${amount &gt; 1000 &amp;&amp; approved}", escaped.encode()
    )


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("${bean.method()}", "bean.method(...)"),
        ("${__import__('os').system('id')}", "__import__"),
        ("${amount.__class__}", "__class__"),
        ("${execution.getVariable('amount') > 5}", "execution.getVariable(...)"),
        ("${x = 1}", "'='"),
        ("${amount + 1 > 5}", "'+'"),
        ("${a[0]}", "'['"),
        ("${approved ? 1 : 0}", "'?'"),
        ("${" + "(" * 40 + "approved" + ")" * 40 + "}", "nests deeper"),
        ("${" + " && ".join(["approved"] * 300) + "}", "longer than"),
        ("${lambda}", "reserved word"),
        ("${'unclosed}", "not closed"),
    ],
    ids=[
        "method",
        "import",
        "dunder",
        "execution",
        "assignment",
        "arithmetic",
        "index",
        "ternary",
        "deep",
        "long",
        "keyword",
        "unclosed",
    ],
)
def test_unsupported_or_hostile_expressions_are_refused_at_deploy_naming_the_element(
    people, expression, says
):
    refused = people["admin"].deploy(_with_condition(expression), "camunda_purchase.bpmn")
    assert refused.status_code == 422, refused.json
    error = refused.json["error"]
    assert error["details"]["element_id"] == "Flow_large"
    assert "Flow_large" in error["message"] and says in error["message"]
    assert people["admin"].get("/api/v1/process-definitions/camunda_purchase").status_code == 404


@pytest.mark.parametrize(
    ("attribute", "value", "says"),
    [
        (
            'camunda:assignee="${initiator}"',
            'camunda:assignee="${userService.find(initiator)}"',
            "camunda:assignee",
        ),
        (
            'camunda:candidateGroups="purchasing"',
            'camunda:candidateGroups="${groups.all()}"',
            "candidateGroups",
        ),
        ('camunda:formKey="camunda_purchase_review"', 'camunda:formKey="${formFor(amount)}"', "formKey"),
        (
            'camunda:formKey="camunda_purchase_review"',
            'camunda:formKey="embedded:app:forms/review.html"',
            "no such form",
        ),
        ('camunda:dueDate="P2D"', 'camunda:dueDate="next tuesday"', "camunda:dueDate"),
        ('camunda:dueDate="P2D"', 'camunda:dueDate="P99999D"', "max_allotment_days"),
        ('camunda:candidateGroups="purchasing"', 'camunda:candidateUsers="pat,dora"', "candidateUsers"),
    ],
    ids=[
        "assignee-call",
        "groups-call",
        "form-expression",
        "form-missing",
        "due-words",
        "due-too-far",
        "users",
    ],
)
def test_task_attributes_outside_what_motcua_can_honour_are_refused(people, attribute, value, says):
    data = camunda("camunda_purchase.bpmn")
    assert attribute.encode() in data
    refused = people["admin"].deploy(data.replace(attribute.encode(), value.encode(), 1), "p.bpmn")
    assert refused.status_code == 422, refused.json
    assert says in refused.json["error"]["message"]
    assert refused.json["error"]["details"].get("element_id", "").startswith("Activity_")


@pytest.mark.parametrize(
    ("timer", "says"),
    [
        ("R/PT1H", "max_timer_cycles"),
        ("R3/PT1S", "min_timer_interval_seconds"),
        ("R3/P99999D", "max_timer_days"),
        ("0 0 9 * * ?", "timer"),
        ("${bean.when()}", "bean.when(...)"),
    ],
    ids=["endless", "too-often", "too-far", "cron", "method"],
)
def test_timer_values_outside_the_budgets_or_the_subset_are_refused(people, timer, says):
    data = camunda("camunda_timers.bpmn").replace(b">R3/PT1H<", f">{timer}<".encode())
    refused = people["admin"].deploy(data, "camunda_timers.bpmn")
    assert refused.status_code == 422, refused.json
    assert says in refused.json["error"]["message"]
    assert refused.json["error"]["details"]["element_id"] == "Event_remind"
