"""Org-unit scoping: an officer of one unit never sees or acts on another unit's dossier steps,
even as a member of the same candidate group (tasks.unit from the BPMN `unitVariable`)."""

import uuid

import sqlalchemy as sa

from service.extensions import db
from service.tasks.models import Task
from tests.dossiers import test_dossier_flow as flow
from tests.support import BPMN

office = flow.office  # the fixture: a deployed dossier process, the catalogue and officers
accept, do, receive = flow.accept, flow.do, flow.receive


def _open_task(office, dossier, element):
    with office.app.app_context():
        return db.session.scalar(
            sa.select(Task).where(
                Task.instance_id == uuid.UUID(dossier["process_instance_id"]),
                Task.element_id == element,
                Task.state == "open",
            )
        )


def test_tasks_are_scoped_to_the_receiving_and_the_handling_unit(office):
    dossier = receive(office)
    assert _open_task(office, dossier, "receive").unit == "TTPVHCC"
    dossier = accept(office, dossier)
    assert _open_task(office, dossier, "assign").unit == "SO-TP"  # the procedure's agency


def test_a_clerk_of_another_unit_cannot_see_or_act_on_the_dossier(office, make_user):
    dossier = receive(office)
    outsider = make_user("xa_clerk", groups=["reception"], unit="UBND-XA")
    task = _open_task(office, dossier, "receive")

    listed = outsider.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    assert listed["items"] == [] and listed["total"] == 0
    assert outsider.get(f"/api/v1/tasks/{task.id}").status_code == 403
    claim = outsider.post(f"/api/v1/tasks/{task.id}/claim")
    assert claim.status_code == 403
    assert "TTPVHCC" in claim.json["error"]["message"]
    assert outsider.complete(task.id, {"reception_decision": "accept"}).status_code == 403
    assert outsider.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 403
    assert outsider.get("/api/v1/dossiers").json["total"] == 0
    assert outsider.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").status_code == 403

    # The clerk of the receiving unit still does the step; nothing was changed by the refusals.
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    assert dossier["status"] == 2


def test_a_unit_head_of_another_unit_does_not_get_the_assignment(office, make_user):
    dossier = accept(office, receive(office))
    other_head = make_user("other_head", groups=["unit_heads"], unit="SO-KHCN")
    assert other_head.get("/api/v1/tasks").json["total"] == 0
    task = _open_task(office, dossier, "assign")
    assert other_head.post(f"/api/v1/tasks/{task.id}/claim").status_code == 403
    assert office.head.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    # An officer with no unit is not an officer of SO-TP either.
    unitless = make_user("unitless_head", groups=["unit_heads"])
    assert unitless.get("/api/v1/tasks").json["total"] == 0


def test_tasks_of_a_process_without_unit_properties_stay_open_to_every_unit(office, make_user):
    assert office.admin.deploy(BPMN / "simple_approval.bpmn").status_code == 201
    started = office.clerk.start("simple_approval", business_key="VB-1").json
    with office.app.app_context():
        units = db.session.scalars(
            sa.select(Task.unit).where(Task.instance_id == uuid.UUID(started["id"]))
        ).all()
    assert units and set(units) == {None}


def test_a_procedure_of_an_unknown_agency_stops_the_dossier_with_an_incident(office, make_user):
    """Unit scoping fails closed: a handling unit no org unit has is an incident on the instance,
    never a task open to every unit's heads; once the unit exists, a retry opens it scoped."""
    with office.app.app_context():
        from service.procedures import operations as procedures

        procedures.update(procedures.get("AG-LLTP-01"), {"unit_code": "NO-SUCH-UNIT"})
        db.session.commit()
    dossier = do(office.clerk, receive(office), "receive", {"reception_decision": "accept"})
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    digitise = tasks["items"][0]["id"]
    answer = office.clerk.complete(digitise, {"all_components_digitised": True}).json
    assert answer["state"] == "error"
    assert answer["error"]["element_id"] == "assign"
    assert "handling_unit" in answer["error"]["message"] and "NO-SUCH-UNIT" in answer["error"]["message"]
    assert answer["tasks"] == []
    assert _open_task(office, dossier, "assign") is None
    commune_head = make_user("xa_head", groups=["unit_heads"], unit="UBND-XA")
    assert commune_head.get("/api/v1/tasks").json["total"] == 0
    failed = office.admin.get("/api/v1/process-instances?state=error").json["items"]
    assert [i["id"] for i in failed] == [dossier["process_instance_id"]]

    make_user("head_of_new_unit", groups=["unit_heads"], unit="NO-SUCH-UNIT")  # the unit now exists
    retried = office.admin.post(f"/api/v1/process-instances/{dossier['process_instance_id']}/retry")
    assert retried.status_code == 200 and retried.json["state"] == "running"
    assert _open_task(office, dossier, "assign").unit == "NO-SUCH-UNIT"
