"""Step allotments are shares of the statutory time: the catalogue refuses a procedure whose steps
claim more working days along a path of its deployed process than its processing_days, on create,
change and load (the whole file), and a deploy that makes one exceed says so in its report."""

from __future__ import annotations

import json
from io import BytesIO

from service.cli import main
from tests.support import ROOT

CATALOGUE = ROOT / "data" / "procedures.json"
# The building permit as the demo shipped it: 18 working days of steps against 15.
OLD_GPXD = {
    "receive": 0.5,
    "digitise": 0.5,
    "assign": 1,
    "appraise": 9,
    "consult": 3,
    "approve": 2,
    "issue_result": 1,
    "return_result": 1,
}


def procedure(code: str, days: float, shares: dict, process_key: str = "dossier") -> dict:
    return {
        "code": code,
        "name": f"Thủ tục {code}",
        "processing_days": days,
        "step_allotments": shares,
        "process_key": process_key,
    }


def small(key: str, *tasks: tuple[str, float | None]) -> bytes:
    """A process of user tasks in a row, each with its `allotment` property (None: without one)."""
    nodes, flows, previous = [], [], "start"
    for number, (element, days) in enumerate(tasks):
        extension = (
            "<bpmn:extensionElements><spiffworkflow:properties>"
            f'<spiffworkflow:property name="allotment" value="{days}" />'
            "</spiffworkflow:properties></bpmn:extensionElements>"
            if days is not None
            else ""
        )
        nodes.append(f'<bpmn:userTask id="{element}">{extension}</bpmn:userTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{number}" sourceRef="{previous}" targetRef="{element}" />')
        previous = element
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end" />')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">'
        f'<bpmn:process id="{key}" isExecutable="true"><bpmn:startEvent id="start" />'
        + "".join(nodes)
        + '<bpmn:endEvent id="end" />'
        + "".join(flows)
        + "</bpmn:process></bpmn:definitions>"
    ).encode()


def upload(admin, records: list[dict]):
    data = json.dumps(records).encode()
    return admin.post(
        "/api/v1/procedures/load",
        data={"file": (BytesIO(data), "catalogue.json")},
        content_type="multipart/form-data",
    )


def test_a_procedure_whose_shares_exceed_its_time_is_refused_naming_the_path(admin, deploy_library):
    deploy_library("dossier.bpmn")
    refused = admin.post("/api/v1/procedures", json=procedure("AG-GPXD-01", 15, OLD_GPXD))
    assert refused.status_code == 422, refused.json
    error = refused.json["error"]
    assert error["code"] == "allotments_exceed"
    assert "AG-GPXD-01" in error["message"] and "18" in error["message"] and "15" in error["message"]
    (problem,) = error["details"]["procedures"]
    assert (
        problem["code"] == "AG-GPXD-01"
        and problem["allotted_days"] == 18
        and problem["processing_days"] == 15
    )
    assert problem["process_key"] == "dossier" and problem["version"] == 1
    assert problem["path"] == [
        {"element": "receive", "days": 0.5},
        {"element": "digitise", "days": 0.5},
        {"element": "assign", "days": 1.0},
        {"element": "appraise", "days": 9.0},
        {"element": "consult", "days": 3.0},
        {"element": "approve", "days": 2.0},
        {"element": "issue_result", "days": 1.0},
        {"element": "return_result", "days": 1.0},
    ]
    assert admin.get("/api/v1/procedures/AG-GPXD-01").status_code == 404


def test_the_bpmn_allotment_counts_for_a_step_the_procedure_does_not_share_out(admin, deploy_library):
    deploy_library("dossier.bpmn")
    # 1 day in all for the listed steps, but consult keeps the model's 1 day: 2 of 1.
    shares = {
        "receive": 0.125,
        "digitise": 0.125,
        "assign": 0.125,
        "appraise": 0.25,
        "approve": 0.25,
        "issue_result": 0.125,
    }
    refused = admin.post("/api/v1/procedures", json=procedure("AG-KS-01", 1, shares))
    assert refused.status_code == 422
    path = refused.json["error"]["details"]["procedures"][0]["path"]
    assert {"element": "consult", "days": 1.0} in path
    fits = admin.post(
        "/api/v1/procedures",
        json=procedure(
            "AG-KS-01",
            1,
            {
                **shares,
                "consult": 0.125,
                "appraise": 0.125,
                "issue_refusal": 0.125,
                "issue_stop_notice": 0.125,
            },
        ),
    )
    assert fits.status_code == 201, fits.json


def test_a_change_that_makes_the_shares_exceed_is_refused_and_other_changes_pass(admin, deploy_library):
    deploy_library("dossier.bpmn")
    gpxd = next(p for p in json.loads(CATALOGUE.read_text()) if p["code"] == "AG-GPXD-01")
    assert admin.post("/api/v1/procedures", json=gpxd).status_code == 201
    patch = admin.client.patch
    shorter = patch("/api/v1/procedures/AG-GPXD-01", json={"processing_days": 14}, headers=admin.headers)
    assert (
        shorter.status_code == 422
        and shorter.json["error"]["details"]["procedures"][0]["allotted_days"] == 15
    )
    longer = patch(
        "/api/v1/procedures/AG-GPXD-01",
        json={"step_allotments": {**gpxd["step_allotments"], "approve": 2}},
        headers=admin.headers,
    )
    assert longer.status_code == 422
    fee = patch("/api/v1/procedures/AG-GPXD-01", json={"fee": "0"}, headers=admin.headers)
    assert fee.status_code == 200
    assert admin.get("/api/v1/procedures/AG-GPXD-01").json["processing_days"] == 15


def test_a_procedure_of_a_process_not_deployed_is_not_checked(admin):
    assert admin.post("/api/v1/procedures", json=procedure("AG-GPXD-01", 15, OLD_GPXD)).status_code == 201


def test_a_catalogue_file_with_offending_procedures_is_refused_whole_listing_each(
    app, admin, deploy_library, tmp_path
):
    deploy_library("dossier.bpmn")
    records = json.loads(CATALOGUE.read_text())
    records[3]["step_allotments"] = OLD_GPXD  # AG-GPXD-01, 18 of 15
    records[4]["processing_days"] = 0.25  # AG-CT-01, 0.5 of 0.25
    uploaded = upload(admin, records)
    assert uploaded.status_code == 422, uploaded.json
    listed = uploaded.json["error"]["details"]["procedures"]
    assert [(p["code"], p["allotted_days"], p["processing_days"]) for p in listed] == [
        ("AG-GPXD-01", 18, 15),
        ("AG-CT-01", 0.5, 0.25),
    ]
    assert (
        "AG-GPXD-01" in uploaded.json["error"]["message"] and "AG-CT-01" in uploaded.json["error"]["message"]
    )
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["procedures", "load", str(path)])
    assert result.exit_code != 0
    assert "AG-GPXD-01" in result.output and "AG-CT-01" in result.output
    assert admin.get("/api/v1/procedures").json["total"] == 0  # nothing written
    assert upload(admin, json.loads(CATALOGUE.read_text())).json == {"created": 5, "updated": 0}


def test_a_new_version_that_makes_shares_exceed_is_deployed_with_a_warning(admin):
    assert admin.deploy(small("permit", ("appraise", None)), "permit.bpmn").status_code == 201
    created = admin.post("/api/v1/procedures", json=procedure("P-1", 6, {"appraise": 5}, "permit"))
    assert created.status_code == 201
    fine = admin.deploy(small("permit", ("appraise", None), ("approve", 1)), "permit.bpmn")
    assert fine.status_code == 201 and not [line for line in fine.json["report"] if "P-1" in line["message"]]
    over = admin.deploy(small("permit", ("appraise", None), ("approve", 2)), "permit.bpmn")
    assert over.status_code == 201 and over.json["version"] == 3
    (warning,) = [line for line in over.json["report"] if "P-1" in line["message"]]
    assert "7" in warning["message"] and "6" in warning["message"] and "permit v3" in warning["message"]
    # The procedure stays; a change of its time or shares must now make them fit.
    patch = admin.client.patch
    assert (
        patch("/api/v1/procedures/P-1", json={"processing_days": 6.5}, headers=admin.headers).status_code
        == 422
    )
    assert (
        patch(
            "/api/v1/procedures/P-1", json={"step_allotments": {"appraise": 4}}, headers=admin.headers
        ).status_code
        == 200
    )


def test_the_cli_deploy_warns_of_a_procedure_whose_shares_no_longer_fit(app, admin, tmp_path):
    assert admin.deploy(small("permit", ("appraise", None)), "permit.bpmn").status_code == 201
    assert (
        admin.post("/api/v1/procedures", json=procedure("P-1", 6, {"appraise": 5}, "permit")).status_code
        == 201
    )
    path = tmp_path / "permit.bpmn"
    path.write_bytes(small("permit", ("appraise", None), ("approve", 2)))
    result = app.test_cli_runner().invoke(main, ["deploy", str(path)])
    assert result.exit_code == 0, result.output
    assert "deployed permit v2" in result.output and "Procedure P-1 allots 7" in result.output
