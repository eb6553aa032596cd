"""Mẫu 06 "Sổ theo dõi hồ sơ" (GET /api/v1/reports/register): the dossiers a unit received in a
period, in order, with the register's columns; the same rows as JSON, CSV and XLSX; who may read
which unit's register. Office hours 07:00-11:30 and 13:30-17:00 (Asia/Ho_Chi_Minh); November 2026
before the 24th has no day off."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.dossiers.test_dossier_flow import appraise, do, receive
from tests.integrations.remote import connect, run_calls, simulator_fixture
from tests.reports.test_late_list import HCM, HISTORIES, XLSX, code_of, make_histories

UNIT = "000.17.22.H56"
URL = "/api/v1/reports/register?period=month:2026-11"


remote_simulator = simulator_fixture()


def at(day, hour=8, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=HCM)


@pytest.fixture
def register(dossier_office, clock, remote_simulator):
    """One dossier walked from the counter to its return by post in early November, then the
    hand-made histories of the late list's tests (tests/reports/test_late_list.py)."""
    office = dossier_office
    clock.freeze()
    with clock.at(at(2)):  # Monday 2/11, 08:00 (the past: the suite runs later)
        dossier = receive(office)
        dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})  # received 08:00
        clock.advance_to(at(2, 10))
        dossier = do(
            office.clerk, dossier, "digitise", {"all_components_digitised": True}
        )  # status 4 at 10:00
        dossier = do(office.head, dossier, "assign", {"specialist": "specialist"})
        clock.advance_to(at(4, 9))
        dossier = appraise(office, dossier, "propose_approve")
        dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
        result = {"result_number": "9/PLLTP", "issued_on": "2026-11-04"}
        dossier = do(office.records, dossier, "issue_result", result)
        clock.advance_to(at(6, 15))
        dossier = do(office.clerk, dossier, "return_result", {"method": "post"})
        assert dossier["status"] == 9  # the delivery is booked with the post (a service call)
        connect(office.app, remote_simulator)
        assert [c[2] for c in run_calls(office.app)] == ["done"]
        dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}").json
        assert dossier["status"] == 10 and dossier["tracking_number"] == "EB000000001VN"
    make_histories(office)
    office.walked = dossier
    return office


def parsed(item: dict) -> dict:
    """A JSON row with its moments read back (the API writes them in UTC)."""
    return {
        key: datetime.fromisoformat(value) if key.endswith("_at") and value else value
        for key, value in item.items()
    }


def expected_codes(office) -> list[str]:
    """In the order of reception (then by code): the walked dossier at 08:00 on 2/11, then the
    histories received in November (late_in_october is not)."""
    order = [
        "late_in_month",  # 2/11 09:00, ...-0001
        "paused_after_due",  # 2/11 09:00, ...-0005
        "finished_in_time",  # 3/11
        "paused_before_due",  # 16/11, ...-0003
        "still_paused_in_time",  # 16/11, ...-0004
        "finished_next_month",  # 20/11, ...-0002
        "open_in_time",  # 20/11, ...-0006
    ]
    assert set(order) == set(HISTORIES) - {"late_in_october"}
    return [office.walked["code"], *(code_of(name) for name in order)]


def test_the_register_lists_the_units_dossiers_of_the_period_with_its_columns(register):
    answer = register.clerk.get(URL)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["period"], body["label"], body["unit"], body["total"]) == (
        "month:2026-11",
        "Tháng 11/2026",
        UNIT,
        8,
    )
    assert [item["code"] for item in body["items"]] == expected_codes(register)
    assert [item["no"] for item in body["items"]] == list(range(1, 9))
    first = parsed(body["items"][0])
    assert first == {
        "no": 1,
        "code": register.walked["code"],
        "procedure_code": "AG-LLTP-01",
        "procedure_name": first["procedure_name"],
        "sets": 1,
        "applicant_name": "Nguyễn Thị Ánh",
        "applicant_address": "Số 12 Trần Hưng Đạo, An Giang",
        "applicant_phone": "0912345678",
        "unit_code": UNIT,
        "lead_agency": "SO-TP",  # the unit's name (the test office names it by its code)
        "received_at": at(2),
        "appointed_at": at(16),  # 10 working days
        "due_at": at(16),
        "transferred_at": at(2, 10),  # status 4: the digitised dossier goes to the agency
        "returned_at": at(6, 15),
        "return_method": "post",
        "tracking_number": "EB000000001VN",
        "register_number": "2026/1",  # book (the unit's year) / its first line, as Mẫu 01 prints
        "notes": None,
    }
    assert first["procedure_name"].startswith("Cấp Phiếu lý lịch tư pháp")
    moved = parsed(next(item for item in body["items"] if item["code"] == code_of("paused_before_due")))
    assert moved["appointed_at"] == at(25, 17)  # Mẫu 01's appointment
    assert moved["due_at"] == datetime(2026, 12, 8, 17, tzinfo=HCM)  # moved by the pause
    assert moved["notes"] == "Hạn trả đã dời"


def test_json_pages_number_the_lines_of_the_whole_register(register):
    body = register.clerk.get(URL + "&per_page=3&page=2").json
    assert [item["no"] for item in body["items"]] == [4, 5, 6]
    assert [item["code"] for item in body["items"]] == expected_codes(register)[3:6]
    assert body["total"] == 8


def test_the_same_dossiers_as_csv_and_xlsx(register):
    codes = expected_codes(register)
    as_csv = register.clerk.get(URL + "&format=csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert "so-theo-doi-ho-so-000-17-22-H56-month-2026-11.csv" in as_csv.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).removeprefix("\ufeff"))))
    assert lines[0][:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"]
    assert [line[1] for line in lines[1:]] == codes
    assert lines[1][8:13] == [
        "02/11/2026 08:00",
        "16/11/2026 08:00",
        "02/11/2026 10:00",
        "06/11/2026 15:00",
        "Bưu chính (số hiệu bưu gửi EB000000001VN)",
    ]

    as_xlsx = register.clerk.get(URL, headers={"Accept": XLSX})
    assert as_xlsx.status_code == 200 and as_xlsx.mimetype == XLSX
    rows = list(load_workbook(io.BytesIO(as_xlsx.data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Sổ theo dõi hồ sơ: Tháng 11/2026"
    assert [row[1] for row in rows[2:]] == codes
    assert rows[2][0] == 1 and rows[2][8] == datetime(2026, 11, 2, 8, 0)
    assert rows[2][12] == "Bưu chính (số hiệu bưu gửi EB000000001VN)"


def test_officers_read_their_own_units_register_administrators_any(register):
    assert register.clerk.get(URL + "&unit=000.99.99.X00").status_code == 403
    assert register.specialist.get(URL).status_code == 403  # SO-TP has no national code here
    everything = register.admin.get(URL).json
    assert everything["unit"] is None and everything["total"] == 8
    assert register.admin.get(URL + "&unit=000.99.99.X00").json["total"] == 0
    bad = register.clerk.get("/api/v1/reports/register?period=month:2026-00")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_period"
    assert register.clerk.get("/api/v1/reports/register").status_code == 422  # the period is required
    assert register.clerk.get(URL + "&format=pdf").status_code == 422
