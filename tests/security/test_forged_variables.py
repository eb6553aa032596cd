"""Finding 1 of the security review: form data re-routed a dossier to another unit.

Task completions merged every submitted variable into the process, so the counter clerk could
complete `receive` with `handling_unit` and move the dossier to another unit (or to none, opening
it to every unit's heads). Now a completion takes only the fields its form declares, never a
variable the service or the process computes, and neither do starts and messages.
"""

import uuid

import pytest
import sqlalchemy as sa

from service.extensions import db
from service.instances.models import ProcessInstance
from service.tasks.models import Task
from tests.dossiers import test_dossier_flow as flow
from tests.support import BPMN

office = flow.office  # a deployed dossier process, the catalogue and the Sở Tư pháp's officers
receive, do = flow.receive, flow.do

SERVICE_VARIABLES = [
    ("handling_unit", "NOWHERE"),
    ("handling_unit", "UBND-XA"),
    ("handling_unit", ["SO-TP"]),
    ("reception_unit", "UBND-XA"),
    ("dossier_id", "5f0c1a9e-0000-4000-8000-000000000099"),
    ("dossier_code", "000.00.00.H01-990101-0001"),
    ("due_at", "2099-01-01T00:00:00+00:00"),
    ("apology_at", "2000-01-01T00:00:00+00:00"),
    ("procedure_code", "AG-OTHER"),
]


def _instance(office, dossier) -> tuple[int, dict]:
    with office.app.app_context():
        row = db.session.get(ProcessInstance, uuid.UUID(dossier["process_instance_id"]))
        return row.version, dict(row.variables)


def _open_tasks(office, dossier) -> list[tuple[str, str | None]]:
    with office.app.app_context():
        rows = db.session.execute(
            sa.select(Task.element_id, Task.unit).where(
                Task.instance_id == uuid.UUID(dossier["process_instance_id"]), Task.state == "open"
            )
        )
        return sorted(tuple(row) for row in rows)


def _task_id(caller, dossier, element) -> str:
    items = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    return next(t["id"] for t in items if t["element_id"] == element)


@pytest.mark.parametrize(("name", "value"), SERVICE_VARIABLES, ids=[f"{n}={v}" for n, v in SERVICE_VARIABLES])
def test_the_clerk_cannot_set_a_service_variable_when_receiving(office, name, value):
    dossier = receive(office)
    before = _instance(office, dossier)
    answer = office.clerk.complete(
        _task_id(office.clerk, dossier, "receive"), {"reception_decision": "accept", name: value}
    )
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "fields_not_accepted"
    assert answer.json["error"]["details"]["fields"] == {
        name: ["Set by the service or the process; a caller cannot set it."]
    }
    assert _instance(office, dossier) == before  # nothing applied
    assert _open_tasks(office, dossier) == [("receive", "TTPVHCC")]


def test_the_dossier_stays_with_its_unit_and_a_commune_head_never_sees_it(office, make_user):
    """The reproduction: receive with handling_unit=NOWHERE, then digitise; the commune's head
    used to see the assignment, read the provincial dossier and complete it."""
    dossier = receive(office)
    receive_task = _task_id(office.clerk, dossier, "receive")
    forged = {"reception_decision": "accept", "handling_unit": "NOWHERE"}
    assert office.clerk.complete(receive_task, forged).status_code == 422
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = do(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    assert _open_tasks(office, dossier) == [("assign", "SO-TP")]

    commune_head = make_user("xa_head", groups=["unit_heads"], unit="UBND-XA")
    assert commune_head.get("/api/v1/tasks").json["total"] == 0
    assert commune_head.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 403
    assign = _task_id(office.head, dossier, "assign")
    assert commune_head.post(f"/api/v1/tasks/{assign}/claim").status_code == 403
    assert commune_head.complete(assign, {"specialist": "specialist"}).status_code == 403


def test_a_field_no_form_declares_is_refused_by_name(office):
    dossier = receive(office)
    answer = office.clerk.complete(
        _task_id(office.clerk, dossier, "receive"), {"reception_decision": "accept", "priority": "high"}
    )
    assert answer.status_code == 422
    assert answer.json["error"]["details"]["fields"] == {
        "priority": ["Not a field of the form 'dossier_receive'."]
    }


def test_a_multi_instance_item_cannot_be_forged_by_the_specialist(office):
    """`agency` is the consultation's multi-instance item: the specialist names agencies (checked
    as org unit codes), but cannot write the item that scopes each consultation."""
    dossier = flow.to_appraisal(office, receive(office))
    answer = office.specialist.complete(
        _task_id(office.specialist, dossier, "appraise"),
        {
            "appraisal_decision": "consult",
            "appraisal_opinion": "Cần ý kiến Công an tỉnh.",
            "agencies": ["CA-TINH"],
            "consultation_content": "Xác minh lý lịch.",
            "agency": "SO-TP",
            "opinions": [],
        },
    )
    assert answer.status_code == 422
    assert set(answer.json["error"]["details"]["fields"]) == {"agency", "opinions"}


def test_a_message_cannot_carry_a_service_variable(office):
    dossier = receive(office)
    url = f"/api/v1/process-instances/{dossier['process_instance_id']}/messages"
    answer = office.clerk.post(url, json={"name": "withdrawal", "payload": {"handling_unit": "UBND-XA"}})
    assert answer.status_code == 422
    assert answer.json["error"]["details"]["fields"] == {
        "payload/handling_unit": ["Set by the service or the process; a caller cannot set it."]
    }
    assert _open_tasks(office, dossier) == [("receive", "TTPVHCC")]


def test_a_task_without_a_form_takes_no_data(admin, make_user):
    assert admin.deploy(BPMN / "simple_approval.bpmn").status_code == 201
    clerk = make_user("clerk", groups=["reception"])
    instance = clerk.start("simple_approval").json
    register = instance["tasks"][0]["id"]
    assert clerk.complete(register, {"title": "Công văn 12", "sender": "Sở Tư pháp"}).status_code == 200
    specialist = make_user("specialist", groups=["specialists"])
    appraise = specialist.get("/api/v1/tasks").json["items"][0]["id"]
    forged = specialist.complete(appraise, {"opinion": "Đạt", "registry_number": "VB-999"})
    assert forged.status_code == 422  # the number the script gave cannot be rewritten
    assert forged.json["error"]["details"]["fields"] == {
        "registry_number": ["Set by the service or the process; a caller cannot set it."]
    }


UNIT_FROM_SCRIPT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="d" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="unit_from_script" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="pick" name="Pick"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>target_unit = ["SO-TP"]</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="work" name="Work">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="unitVariable" value="target_unit" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pick" />
    <bpmn:sequenceFlow id="f2" sourceRef="pick" targetRef="work" />
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_unit_variable_holding_a_list_is_an_incident_not_an_unscoped_task(app, admin, make_user):
    make_user("officer", unit="SO-TP")
    assert admin.deploy(UNIT_FROM_SCRIPT, "unit_from_script.bpmn").status_code == 201
    started = admin.start("unit_from_script").json
    assert started["state"] == "error"
    assert started["error"]["element_id"] == "work"
    assert "target_unit" in started["error"]["message"]
    assert started["tasks"] == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_a_form_that_declares_a_variable_the_process_computes_is_refused_at_deploy(admin):
    """A designer cannot reopen the hole by declaring the field in a form: simple_approval's
    script sets registry_number; a register form that declares it makes the deploy fail."""
    text = (BPMN / "simple_approval.bpmn").read_text(encoding="utf-8")
    clash = text.replace("registry_number = ", "title = ")  # the script now computes `title`
    answer = admin.deploy(clash, "simple_approval.bpmn")
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["details"]["element_id"] == "register"
    assert "simple_approval_register" in error["message"] and "title" in error["message"]
