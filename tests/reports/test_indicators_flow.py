"""The QĐ 766 indicators of dossiers that walked through the real process (dossier.bpmn) around
the announced 2026 New Year swap (Fri 2/1 off, Sat 10/1 worked: service/calendar/schedules), with
a supplement request across the end of January; office hours 07:00-11:30 and 13:30-17:00, 8 hours a
working day (Asia/Ho_Chi_Minh). Also: the org units' hierarchy refuses cycles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal
from tests.integrations.remote import connect, run_calls
from tests.integrations.simulation import SimulatorProcess
from tests.pki import install_keys, sign_result

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(month, day, hour=8):
    return datetime(2026, month, day, hour, tzinfo=HCM)


def january(office) -> dict:
    response = office.admin.get("/api/v1/reports/indicators?period=month:2026-01")
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def documents_system(tmp_path):
    """The simulator of the agency's documents system: a signed result is filed there before it
    reaches the counter (the dossier model's file_result)."""
    simulator = SimulatorProcess(tmp_path / "simulator.log")
    yield simulator
    simulator.stop()


def test_a_month_across_the_new_year_swap_and_a_pause_over_its_end(
    dossier_office, clock, tmp_path, monkeypatch, documents_system
):
    office = dossier_office
    connect(office.app, documents_system)
    install_keys(office.app, tmp_path / "pki", monkeypatch, {"SO-TP": "Sở Tư pháp tỉnh An Giang"})
    clock.freeze()
    with clock.at(at(1, 5)):  # Monday 5/1, 08:00
        first = to_appraisal(office, receive(office))
        first = appraise(office, first, "propose_approve")
    # AG-LLTP-01: 10 working days from Mon 5/1 08:00: 5, 6, 7, 8, 9, Sat 10 (worked), 12, 13, 14,
    # 15 -> Fri 16/1 08:00 (without the swap it would be Mon 19/1 08:00).
    assert datetime.fromisoformat(first["due_at"]) == at(1, 16)
    with clock.at(at(1, 16, 10)):  # two hours late
        first = do(office.leader, first, "approve", {"approval_decision": "approve"})
        tasks = office.records.get(f"/api/v1/tasks?process_instance_id={first['process_instance_id']}").json
        sign_result(
            office.records, next(t["id"] for t in tasks["items"] if t["element_id"] == "issue_result")
        )
        first = do(
            office.records, first, "issue_result", {"result_number": "1/PLLTP", "issued_on": "2026-01-16"}
        )
        assert [c[:3] for c in run_calls(office.app)] == [("file_result", "edms/file_result", "done")]
        first = office.clerk.get(f"/api/v1/dossiers/{first['id']}").json
    assert first["verdict"] == "late" and first["status"] == 9
    with clock.at(at(1, 16, 11)):
        first = do(office.clerk, first, "return_result", {"method": "counter", "fee_payment": "online"})
    with clock.at(at(1, 26)):  # Monday 26/1: due 10 working days later, Mon 9/2 08:00
        second = to_appraisal(office, receive(office))
    with clock.at(at(1, 29, 9)):  # a supplement asked for on Thursday 29/1, in time: paused
        second = appraise(
            office, second, "request_supplement", missing_items=["Bản chụp CCCD"], supplement_reason="Thiếu."
        )
    assert second["status"] == 5

    data = january(office)
    # By hand, at 1/2 00:00: 2 counted; the first finished late, the second paused in time ->
    # on-time rate 1/2 = 0.5, 10 points; both digitised at reception (4 points); one result, signed
    # electronically (6 points); one fee, paid online (6 points); one supplement request; the
    # first's working days: Mon 5/1 08:00 to Fri 16/1 10:00 = 10 days (to 08:00, Saturday 10/1
    # worked) + 2 hours of 8 = 10.25 (9.25 had Saturday not been worked).
    counts = data["counts"]
    assert (counts["counted"], counts["late"], counts["paused"], counts["in_time"]) == (2, 1, 1, 1)
    assert (counts["digitised"], counts["resulted"], counts["e_results"]) == (2, 1, 1)
    assert (counts["paid"], counts["paid_online"], counts["supplement_requests"]) == (1, 1, 1)
    assert counts["average_days"] == 10.25
    found = {i["key"]: i for g in data["groups"] for i in g["indicators"]}
    assert [found[k]["points"] for k in ("on_time_rate", "digitised", "e_results", "online_payment")] == [
        10.0,
        4.0,
        6.0,
        6.0,
    ]
    assert data["procedures"][0]["average_days"] == 10.25
    # The steps of Mẫu 05: the approval opened on 5/1 (1 working day) and done on 16/1 was late;
    # every number leads to the dossiers behind it.
    steps = {row["element_id"]: (row["done"], row["late"]) for row in data["steps"]}
    assert steps["approve"] == (1, 1) and steps["appraise"] == (2, 0) and steps["receive"] == (2, 0)
    for row in data["steps"]:
        for link, expected in ((row["dossiers"], row["done"]), (row["late_dossiers"], row["late"])):
            assert office.admin.get(link).json["total"] == expected, (row["element_id"], link)

    # February: the applicant answers on Tue 3/2 09:00 (3 working days paused: due Thu 12/2 08:00)
    # and a second request follows; January's answer does not change.
    with clock.at(at(2, 3, 9)):
        second = do(office.clerk, second, "await_supplement", {"supplement_received": True})
    assert datetime.fromisoformat(second["due_at"]) == at(2, 12)
    with clock.at(at(2, 4, 9)):
        second = appraise(
            office, second, "request_supplement", missing_items=["Bản sao"], supplement_reason="Thiếu."
        )
    assert january(office) == data
    february = office.admin.get("/api/v1/reports/indicators?period=month:2026-02").json
    assert (february["counts"]["counted"], february["counts"]["paused"]) == (1, 1)
    assert february["counts"]["multiple_supplements"] == 1  # DVCQG would count it late


def _patch(caller, url, body):
    return caller.client.patch(url, json=body, headers=caller.headers)


def test_the_units_form_a_tree_without_cycles(admin):
    for code, parent in (("TINH", None), ("SO", "TINH"), ("PHONG", "SO")):
        response = admin.post("/api/v1/units", json={"code": code, "name": code, "parent_code": parent})
        assert response.status_code == 201, response.json
        assert response.json["parent_code"] == parent
    for code, parent in (("TINH", "PHONG"), ("SO", "SO"), ("SO", "NOWHERE")):
        refused = _patch(admin, f"/api/v1/units/{code}", {"parent_code": parent})
        assert refused.status_code == 422, refused.json
        assert "parent_code" in refused.json["error"]["details"]["fields"]
    moved = _patch(admin, "/api/v1/units/PHONG", {"parent_code": "TINH"})
    assert moved.status_code == 200 and moved.json["parent_code"] == "TINH"
    assert _patch(admin, "/api/v1/units/PHONG", {"parent_code": None}).json["parent_code"] is None
