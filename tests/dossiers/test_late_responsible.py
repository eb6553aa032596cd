"""A late dossier always has a responsible step on the monthly late list (reports/operations.py):
its late steps; else the step of the main path open when its due moment passed (a task still open
has no verdict yet; the apology beside it is never named); hand-computed on AG-LLTP-01, office
hours 07:00-11:30 and 13:30-17:00 (Asia/Ho_Chi_Minh), in March 2027 (no holidays)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from service.dossiers.models import Dossier
from service.extensions import db
from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2027, 3, day, hour, 0, tzinfo=HCM)


def late_list(office, month: str = "2027-03") -> list[dict]:
    report = office.admin.get(f"/api/v1/reports/late-dossiers?month={month}&refresh=true")
    assert report.status_code == 200, report.json
    return report.json["rows"]


def test_an_open_late_dossier_names_the_officer_still_holding_it_not_the_apology(dossier_office, clock):
    office = dossier_office
    clock.freeze()
    clock.advance_to(at(1))  # Monday
    dossier = to_appraisal(office, receive(office))
    assert datetime.fromisoformat(dossier["due_at"]) == at(15)  # 10 working days
    clock.advance_to(at(12, 9))  # Friday, a working day before it is due: the apology opens
    with office.app.app_context():
        from service.jobs.operations import fire_timers

        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        assert fire_timers(row.instance_id, clock.now())
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert sorted(s["element_id"] for s in dossier["current_steps"]) == ["apology", "appraise"]
    clock.advance_to(at(31, 12))  # the month ends with the appraisal still open, 12 days late
    (row,) = late_list(office)
    assert row["code"] == dossier["code"] and row["finished_at"] is None
    assign = next(s for s in dossier["steps"] if s["element_id"] == "assign")
    assert row["responsible"] == [
        {
            "officer": "specialist",
            "unit": assign["unit"],  # the handling unit, by name
            "step": "Thẩm định hồ sơ",
            "element_id": "appraise",
            "allotted_days": None,
            "used_days": None,
            "reason": "open_at_due",
        }
    ]


def test_a_dossier_late_with_every_step_on_time_names_the_step_open_at_its_due_moment(dossier_office, clock):
    office = dossier_office
    with office.app.app_context():  # a version stored before shares were checked: 3 days, appraise 5
        from service.procedures import operations as procedures

        procedures.update(procedures.get("AG-LLTP-01"), {"processing_days": Decimal(3)}, check=False)
        db.session.commit()
    clock.freeze()
    clock.advance_to(at(1))  # Monday
    dossier = to_appraisal(office, receive(office))
    assert datetime.fromisoformat(dossier["due_at"]) == at(4)  # Thursday
    clock.advance_to(at(5))  # Friday: 4 working days of the appraisal's 5
    dossier = appraise(office, dossier, "propose_approve")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    dossier = do(
        office.records,
        dossier,
        "issue_result",
        {"result_number": "7/PLLTP", "issued_on": "2027-03-05"},
    )
    assert dossier["verdict"] == "late"
    assert all(s["verdict"] in {"early", "on_time"} for s in dossier["steps"])
    (row,) = late_list(office)
    assert row["code"] == dossier["code"]
    (entry,) = row["responsible"]
    assert entry["officer"] == "specialist" and entry["element_id"] == "appraise"
    assert entry["reason"] == "open_at_due"
    assert (entry["allotted_days"], entry["used_days"]) == (5.0, 4.0)


def test_late_steps_come_first(dossier_office, clock):
    office = dossier_office
    clock.freeze()
    clock.advance_to(at(1))
    dossier = to_appraisal(office, receive(office))
    clock.advance_to(at(16))  # 11 working days: the appraisal's 5 and the dossier's 10 are both past
    dossier = appraise(office, dossier, "propose_approve")
    (row,) = late_list(office)
    (entry,) = row["responsible"]
    assert (entry["element_id"], entry["reason"], entry["allotted_days"], entry["used_days"]) == (
        "appraise",
        "late_step",
        5.0,
        11.0,
    )
