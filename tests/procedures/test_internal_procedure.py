"""The internal_procedure model's "configure the electronic workflow" step writes the approved
internal procedure's handling unit and step allotments into the catalogue, as a new version
checked by the allotment rules."""

from datetime import datetime

import pytest

from tests.dossiers.test_dossier_flow import accept, do
from tests.factories import receive_dossier


@pytest.fixture
def agencies(dossier_office, deploy_library, make_user):
    deploy_library("internal_procedure.bpmn")
    dossier_office.department = make_user("department", groups=["departments"])
    dossier_office.chairman = make_user("chairman", groups=["chairman"])
    dossier_office.it = make_user("it", groups=["it_department"])
    return dossier_office


def _task(caller, instance_id, element):
    items = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    (found,) = [t for t in items if t["element_id"] == element and t["state"] == "open"]
    return found


def to_configuration(office, shares: list[dict], unit: str = "SO-TP") -> dict:
    """An internal procedure of AG-LLTP-01 drafted, submitted with its shares and approved."""
    department = office.department
    started = department.start("internal_procedure").json
    draft = {
        "procedure_codes": ["AG-LLTP-01"],
        "publication_decision_date": "2026-03-02",
        "consult_lower_levels": False,
        "draft_text": "Quy trình nội bộ giải quyết TTHC cấp Phiếu LLTP.",
    }
    assert department.complete(_task(department, started["id"], "draft")["id"], draft).status_code == 200
    submitted = department.complete(
        _task(department, started["id"], "submit")["id"],
        {"consolidated_text": "Bản hoàn thiện.", "handling_unit": unit, "step_allotments": shares},
    )
    assert submitted.status_code == 200, submitted.json
    approved = office.chairman.complete(
        _task(office.chairman, started["id"], "approve_procedure")["id"],
        {
            "approval_decision": "approve",
            "approval_decision_number": "620/QĐ-UBND",
            "approval_date": "2026-03-10",
        },
    )
    assert approved.status_code == 200, approved.json
    return _task(office.it, started["id"], "configure_system")


def test_configuring_writes_the_approved_shares_and_unit_as_a_new_version(agencies):
    office = agencies
    task = to_configuration(office, [{"element": "appraise", "days": 4}, {"element": "approve", "days": 1.5}])
    diff = office.it.get(f"/api/v1/procedures/changes/{task['id']}").json
    (change,) = diff["changes"]
    assert (change["code"], change["kind"], change["problem"]) == ("AG-LLTP-01", "changed", None)
    (shares,) = change["fields"]  # the unit is already SO-TP: only the shares change
    assert shares["field"] == "step_allotments"
    assert (shares["before"]["appraise"], shares["after"]) == (5, {"appraise": 4, "approve": 1.5})

    done = office.it.complete(task["id"], {"configured_on": "2026-03-12"})
    assert done.status_code == 200, done.json
    procedure = office.admin.get("/api/v1/procedures/AG-LLTP-01").json
    assert (procedure["version"], procedure["source"]) == (2, "internal_procedure")
    assert procedure["step_allotments"] == {"appraise": 4, "approve": 1.5}
    assert procedure["processing_days"] == 10  # the statutory time is the national database's


def test_shares_beyond_the_statutory_time_are_refused_and_nothing_is_written(agencies):
    office = agencies
    task = to_configuration(office, [{"element": "appraise", "days": 12}])
    (change,) = office.it.get(f"/api/v1/procedures/changes/{task['id']}").json["changes"]
    assert "AG-LLTP-01" in change["problem"] and "appraise 12" in change["problem"]
    refused = office.it.complete(task["id"], {"configured_on": "2026-03-12"})
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "catalogue_change_refused"
    assert office.admin.get("/api/v1/procedures/AG-LLTP-01").json["version"] == 1
    assert office.it.get(f"/api/v1/tasks/{task['id']}").json["state"] == "open"


def test_an_unknown_handling_unit_is_refused(agencies):
    office = agencies
    task = to_configuration(office, [], unit="NO-SUCH-UNIT")
    refused = office.it.complete(task["id"], {"configured_on": "2026-03-12"})
    assert refused.status_code == 422, refused.json
    assert "NO-SUCH-UNIT" in refused.json["error"]["message"]


def test_a_dossier_received_before_keeps_its_step_shares(agencies, clock):
    office = agencies
    clock.freeze()
    earlier = accept(office, receive_dossier(office.clerk))
    task = to_configuration(office, [{"element": "appraise", "days": 2}])
    assert office.it.complete(task["id"], {"configured_on": "2026-03-12"}).status_code == 200
    later = accept(office, receive_dossier(office.clerk))
    due = {}
    for name, dossier in (("earlier", earlier), ("later", later)):
        appraisal = do(office.head, dossier, "assign", {"specialist": "specialist"})["current_steps"][0]
        assert appraisal["element_id"] == "appraise"
        due[name] = datetime.fromisoformat(appraisal["due_at"])
    # both steps opened at the same moment: 5 working days (version 1) against 2 (version 2)
    assert due["earlier"] > due["later"]
