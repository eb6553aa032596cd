"""Finding 2 of the security review: anyone could start any process with any variables.

A commune specialist could POST /process-instances {"definition_key": "dossier", "variables":
{"reception_unit": "TTPVHCC", ...}} and put a task into the provincial clerk's worklist. Now each
definition declares who starts it (camunda:candidateStarterGroups/Users in the BPMN, or at deploy;
administrators only when it declares none) and which start variables it takes (its start form).
"""

from io import BytesIO

import pytest

from tests.dossiers import test_dossier_flow as flow
from tests.support import BPMN, bpmn_path

office = flow.office

FORGED = {
    "dossier_id": "00000000-0000-4000-8000-000000000001",
    "procedure_code": "AG-LLTP-01",
    "reception_unit": "TTPVHCC",
    "handling_unit": "SO-TP",
    "applicant": {"name": "Nguyễn Văn A"},
}


def test_a_commune_specialist_cannot_start_the_dossier_process(office, make_user):
    commune = make_user("xa_specialist", groups=["specialists", "reception"], unit="UBND-XA")
    answer = commune.start("dossier", variables=FORGED)
    assert answer.status_code == 403
    assert "only administrators" in answer.json["error"]["message"]
    assert office.clerk.get("/api/v1/tasks").json["total"] == 0  # nothing reached the clerk
    assert office.admin.get("/api/v1/process-instances").json["total"] == 0


def test_even_an_administrator_cannot_start_a_dossier_with_forged_variables(office):
    answer = office.admin.start("dossier", variables=FORGED)
    assert answer.status_code == 422
    assert set(answer.json["error"]["details"]["fields"]) == set(FORGED)
    assert answer.json["error"]["details"]["fields"]["handling_unit"] == [
        "Set by the service or the process; a caller cannot set it."
    ]
    assert office.admin.get("/api/v1/process-instances").json["total"] == 0


def test_the_starters_the_bpmn_declares_may_start_it_and_no_one_else(admin, make_user):
    assert admin.deploy(BPMN / "simple_approval.bpmn").status_code == 201  # starters: reception
    assert make_user("clerk", groups=["reception"]).start("simple_approval").status_code == 201
    refused = make_user("specialist", groups=["specialists"]).start("simple_approval")
    assert refused.status_code == 403
    assert refused.json["error"]["details"]["starter_groups"] == ["reception"]
    detail = admin.get("/api/v1/process-definitions/simple_approval").json
    assert detail["starter_groups"] == ["reception"] and detail["start_form"] is None


def test_starters_given_at_deploy_replace_the_bpmns(admin, make_user):
    def deploy(**fields):
        data = {"file": (BytesIO((BPMN / "simple_approval.bpmn").read_bytes()), "simple_approval.bpmn")}
        return admin.post(
            "/api/v1/process-definitions", data={**data, **fields}, content_type="multipart/form-data"
        )

    assert deploy(starter_groups="leaders").status_code == 201
    clerk = make_user("clerk", groups=["reception"])
    leader = make_user("leader", groups=["leaders"])
    alice = make_user("alice")
    assert clerk.start("simple_approval").status_code == 403
    assert leader.start("simple_approval").status_code == 201
    again = deploy(starter_groups="reception", starter_users="alice")  # identical content: 200
    assert again.status_code == 200
    assert again.json["starter_groups"] == ["reception"] and again.json["starter_users"] == ["alice"]
    assert clerk.start("simple_approval").status_code == 201
    assert alice.start("simple_approval").status_code == 201
    assert leader.start("simple_approval").status_code == 403
    versions = admin.get("/api/v1/process-definitions/simple_approval").json["versions"]
    assert len(versions) == 1  # the same version, with new starters


def test_a_process_without_a_start_form_takes_no_start_variables(admin, make_user):
    assert admin.deploy(BPMN / "simple_approval.bpmn").status_code == 201
    answer = make_user("clerk", groups=["reception"]).start("simple_approval", variables={"approved": True})
    assert answer.status_code == 422
    assert answer.json["error"]["details"]["fields"] == {
        "approved": ["This process start has no form: it takes no data."]
    }


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"ref": "HS-1", "wait_for": "PT1S", "sync_result": {"reference": "x"}}, "sync_result"),
        ({"ref": "HS-1", "wait_for": "PT1S", "extra": 1}, "extra"),
        ({"ref": "HS-1"}, "wait_for"),
        ({"ref": "HS-1", "wait_for": "soon"}, "wait_for"),
    ],
    ids=["computed-by-the-process", "undeclared", "missing", "invalid"],
)
def test_start_variables_must_fit_the_start_form(admin, variables, field):
    assert admin.deploy(bpmn_path("svc_service_chain.bpmn")).status_code == 201
    answer = admin.start("service_chain", variables=variables)
    assert answer.status_code == 422
    assert field in answer.json["error"]["details"]["fields"]


def test_start_variables_the_start_form_declares_are_taken(admin):
    assert admin.deploy(bpmn_path("svc_service_chain.bpmn")).status_code == 201
    answer = admin.start("service_chain", variables={"ref": "HS-1", "wait_for": "PT1H"})
    assert answer.status_code == 201
    assert answer.json["variables"]["ref"] == "HS-1"
