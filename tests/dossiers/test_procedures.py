"""The procedure catalogue: API and file loading."""

import json

from service.cli import main
from tests.support import ROOT

CATALOGUE = ROOT / "data" / "procedures.json"
LLTP = {
    "code": "AG-LLTP-01",
    "name": "Cấp Phiếu lý lịch tư pháp",
    "field": "Lý lịch tư pháp",
    "processing_days": 10,
    "components": [{"name": "Tờ khai", "form": "Bản chính", "quantity": 1}],
    "step_allotments": {"appraise": 5, "approve": 1.5},
}


def test_admin_adds_and_anyone_reads_a_procedure(admin, make_user):
    created = admin.post("/api/v1/procedures", json=LLTP)
    assert created.status_code == 201
    assert created.json["processing_days"] == 10.0
    clerk = make_user("clerk", groups=["reception"])
    read = clerk.get("/api/v1/procedures/AG-LLTP-01").json
    assert read["step_allotments"] == {"appraise": 5.0, "approve": 1.5}
    assert read["components"][0]["required"] is True
    assert clerk.get("/api/v1/procedures?q=lý lịch").json["total"] == 1
    assert clerk.get("/api/v1/procedures?field=Hộ tịch").json["total"] == 0


def test_only_admins_change_the_catalogue(admin, make_user):
    clerk = make_user("clerk", groups=["reception"])
    assert clerk.post("/api/v1/procedures", json=LLTP).status_code == 403
    admin.post("/api/v1/procedures", json=LLTP)
    assert (
        clerk.client.patch(
            "/api/v1/procedures/AG-LLTP-01", json={"fee": "0"}, headers=clerk.headers
        ).status_code
        == 403
    )
    changed = admin.client.patch(
        "/api/v1/procedures/AG-LLTP-01", json={"processing_days": 7.5, "active": False}, headers=admin.headers
    )
    assert changed.status_code == 200
    assert changed.json["processing_days"] == 7.5
    assert changed.json["active"] is False


def test_bad_procedures_are_refused_with_field_details(admin):
    assert admin.post("/api/v1/procedures", json=LLTP).status_code == 201
    assert admin.post("/api/v1/procedures", json=LLTP).status_code == 409
    bad = admin.post("/api/v1/procedures", json={**LLTP, "code": "X 1", "processing_days": -1})
    assert bad.status_code == 422
    assert set(bad.json["error"]["details"]["fields"]) == {"code", "processing_days"}
    assert admin.get("/api/v1/procedures/NOPE").status_code == 404


def test_the_catalogue_loads_from_json_and_csv_idempotently(app, admin, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["procedures", "load", str(CATALOGUE)])
    assert first.exit_code == 0, first.output
    assert "5 created, 0 updated" in first.output
    again = runner.invoke(main, ["procedures", "load", str(CATALOGUE)])
    assert "0 created, 5 updated" in again.output
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "code,name,field,processing_days,fee,components,step_allotments\n"
        "AG-X-01,Thủ tục thử,Thử,2.5,0,Tờ khai;Bản sao CCCD,appraise=1;approve=0.5\n",
        encoding="utf-8",
    )
    loaded = runner.invoke(main, ["procedures", "load", str(csv_file)])
    assert loaded.exit_code == 0, loaded.output
    item = admin.get("/api/v1/procedures/AG-X-01").json
    assert [c["name"] for c in item["components"]] == ["Tờ khai", "Bản sao CCCD"]
    assert item["step_allotments"] == {"appraise": 1.0, "approve": 0.5}
    assert admin.get("/api/v1/procedures").json["total"] == 6


def test_a_bad_record_refuses_the_whole_file(app, admin, tmp_path):
    records = json.loads(CATALOGUE.read_text())
    records[1]["processing_days"] = "soon"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = app.test_cli_runner().invoke(main, ["procedures", "load", str(path)])
    assert result.exit_code != 0
    assert "Record 2" in result.output
    assert admin.get("/api/v1/procedures").json["total"] == 0
