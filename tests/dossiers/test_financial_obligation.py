"""Status 6 by the model's own path: the appraisal finds that the applicant owes a financial
obligation (land use fee, registration fee); the clock stops while they pay and restarts, the due
moments moved, when the one-stop shop records the receipt; then on to approval."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.dossiers.models import Dossier, DossierPause, DossierStep
from service.extensions import db
from service.instances.models import ProcessInstance
from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal
from tests.dossiers.test_dossier_flow import office as office  # the fixture

RECEIPT = {
    "obligation_met": True,
    "receipt_number": "BL-0012345",
    "amount_paid": 12500000,
    "paid_on": "2026-11-27",
}


def request_financial(office, dossier):
    return appraise(
        office,
        dossier,
        "request_financial",
        financial_obligations=["Tiền sử dụng đất", "Lệ phí trước bạ"],
        financial_amount=12500000,
    )


def _row(office, dossier) -> Dossier:
    return db.session.get(Dossier, uuid.UUID(dossier["id"]))


def test_a_financial_obligation_pauses_the_clock_at_6_and_the_receipt_restarts_it(office, clock):
    from service.calendar.operations import calendar

    dossier = to_appraisal(office, receive(office))
    original_due = dossier["due_at"]
    dossier = request_financial(office, dossier)
    assert dossier["status"] == 6
    assert dossier["status_label"] == "Yêu cầu thực hiện nghĩa vụ tài chính"
    assert dossier["paused"] is True
    assert [s["element_id"] for s in dossier["current_steps"]] == ["await_financial"]
    assert dossier["current_steps"][0]["due_at"] is None  # the applicant's time, not the agency's
    with office.app.app_context():
        row = _row(office, dossier)
        paused_at, due_before = row.paused_at, row.due_at
        instance = db.session.get(ProcessInstance, row.instance_id)
        assert instance.next_timer_at is None  # no apology while the applicant has the dossier
        assert row.supplement_requests == 0  # a financial obligation is not a supplement request
        clock.advance_to(calendar().add_working_days(paused_at, 1.5))  # they took a day and a half
    dossier = do(office.clerk, dossier, "await_financial", RECEIPT)
    assert dossier["status"] == 4
    assert dossier["paused"] is False
    assert dossier["paused_days"] == pytest.approx(1.5, abs=0.01)
    assert dossier["original_due_at"] == original_due
    assert [s["element_id"] for s in dossier["current_steps"]] == ["approve"]  # on to the leader
    with office.app.app_context():
        row = _row(office, dossier)
        moved = calendar().working_days_between(due_before, row.due_at)
        assert moved == pytest.approx(1.5, abs=0.001)
        instance = db.session.get(ProcessInstance, row.instance_id)
        assert instance.next_timer_at == calendar().subtract_working_days(row.due_at, 1)
        (pause,) = db.session.scalars(sa.select(DossierPause).where(DossierPause.dossier_id == row.id))
        assert (pause.kind, pause.started_at) == ("financial", paused_at)
        assert pause.working_days == pytest.approx(1.5, abs=0.01)
        assert instance.variables["receipt_number"] == "BL-0012345"
        assert instance.variables["amount_paid"] == 12500000

    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    dossier = do(
        office.records,
        dossier,
        "issue_result",
        {"result_number": "45/GCN", "issued_on": "2026-11-30"},
    )
    assert dossier["status"] == 9 and dossier["verdict"] in {"early", "on_time"}
    dossier = do(office.clerk, dossier, "return_result", {"method": "counter"})
    assert dossier["status"] == 10 and dossier["outcome"] == "approved"
    # Mẫu 05: the wait is a step of its own, with no allotment and no verdict; the others are judged
    steps = {s["element_id"]: s for s in dossier["steps"]}
    assert [s["element_id"] for s in dossier["steps"]] == [
        "receive",
        "digitise",
        "assign",
        "appraise",
        "await_financial",
        "approve",
        "issue_result",
        "return_result",
    ]
    assert steps["await_financial"]["allotted_days"] is None and steps["await_financial"]["verdict"] is None
    assert steps["approve"]["verdict"] == "early"
    slip = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    assert "Chờ thực hiện nghĩa vụ tài chính" in slip.get_data(as_text=True)


def test_the_receipt_must_name_its_number_amount_and_date(office):
    dossier = request_financial(office, to_appraisal(office, receive(office)))
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    waiting = next(t for t in tasks["items"] if t["element_id"] == "await_financial")
    refused = office.clerk.complete(waiting["id"], {"obligation_met": True})
    assert refused.status_code == 422
    assert set(refused.json["error"]["details"]["fields"]) == {"receipt_number", "amount_paid", "paid_on"}
    wrong = office.clerk.complete(waiting["id"], {**RECEIPT, "paid_on": "27/11/2026", "amount_paid": -1})
    assert wrong.status_code == 422
    assert set(wrong.json["error"]["details"]["fields"]) == {"paid_on", "amount_paid"}
    assert office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["status"] == 6


def test_while_the_obligation_is_unmet_there_is_no_apology_no_overdue_mark_and_no_late_list(office, clock):
    from service.jobs.operations import fire_timers

    dossier = request_financial(office, to_appraisal(office, receive(office)))
    with office.app.app_context():
        row = _row(office, dossier)
        late_moment = row.due_at + timedelta(days=30)  # longer than the whole statutory time
        month = row.due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
        clock.advance_to(late_moment)
        fire_timers(row.instance_id, late_moment)
        db.session.commit()
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert [s["element_id"] for s in dossier["current_steps"]] == ["await_financial"]  # no apology
    with office.app.app_context():
        from service.calendar.operations import calendar
        from service.sla import Sla, Window

        assert _row(office, dossier).sla_class(Window.at(clock.now(), calendar())) == Sla.PAUSED
    overdue = office.admin.get("/api/v1/dossiers", query_string={"overdue": "true"}).json["items"]
    assert dossier["id"] not in {d["id"] for d in overdue}
    report = office.admin.get(f"/api/v1/reports/late-dossiers?month={month}&refresh=true")
    assert report.status_code == 200
    assert dossier["code"] not in {r["code"] for r in report.json["rows"]}


def test_the_applicant_withdraws_while_the_obligation_is_unmet(office, clock):
    dossier = request_financial(office, to_appraisal(office, receive(office)))
    clock.advance(hours=2)
    response = office.clerk.post(f"/api/v1/dossiers/{dossier['code']}/withdraw", json={"reason": "Không nộp"})
    assert response.status_code == 200
    dossier = response.json
    assert dossier["status"] == 7 and dossier["outcome"] == "withdrawn"
    assert dossier["paused"] is False  # the pause ended with the cancelled wait
    assert [s["element_id"] for s in dossier["current_steps"]] == ["hand_back"]
    cancelled = [s for s in dossier["steps"] if s["outcome"] == "cancelled"]
    assert [s["element_id"] for s in cancelled] == ["await_financial"]
    with office.app.app_context():
        (pause,) = db.session.scalars(
            sa.select(DossierPause).where(DossierPause.dossier_id == uuid.UUID(dossier["id"]))
        )
        assert pause.kind == "financial" and pause.ended_at is not None


def test_the_public_lookup_says_which_obligations_are_awaited(office):
    from service.dossiers import lookup

    dossier = request_financial(office, to_appraisal(office, receive(office)))
    with office.app.app_context():
        found = lookup.find(dossier["code"], _row(office, dossier).lookup_pin)
    assert found.paused and found.waiting_for == "financial"
    assert found.requested == ["Tiền sử dụng đất", "Lệ phí trước bạ"]
    assert found.request_reason == "Số tiền phải nộp: 12.500.000 đồng"


def test_a_step_open_across_a_pause_has_its_due_moment_moved_too(office, clock):
    """The apology opened before the obligation was asked for: its clock stopped with the dossier's."""
    from service.calendar.operations import calendar
    from service.jobs.operations import fire_timers

    dossier = to_appraisal(office, receive(office))
    with office.app.app_context():
        row = _row(office, dossier)
        moment = calendar().subtract_working_days(row.due_at, 0.5)
        clock.advance_to(moment)
        fire_timers(row.instance_id, moment)
        db.session.commit()
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    apology = next(s for s in dossier["current_steps"] if s["element_id"] == "apology")
    apology_due = datetime.fromisoformat(apology["due_at"])
    dossier = request_financial(office, dossier)
    with office.app.app_context():
        clock.advance_to(calendar().add_working_days(_row(office, dossier).paused_at, 2))
    dossier = do(office.clerk, dossier, "await_financial", RECEIPT)
    apology = next(s for s in dossier["current_steps"] if s["element_id"] == "apology")
    with office.app.app_context():
        moved = calendar().working_days_between(apology_due, datetime.fromisoformat(apology["due_at"]))
        assert moved == pytest.approx(2.0, abs=0.001)
        steps = db.session.scalars(
            sa.select(DossierStep.element_id).where(DossierStep.dossier_id == uuid.UUID(dossier["id"]))
        ).all()
        assert "apology" not in steps  # still open


def test_the_wait_that_restarts_the_clock_keeps_its_own_due_moment(office, clock):
    """The receipt completes the wait for the applicant and restarts the clock: the steps left open
    across the pause have their due moments moved, not the wait this step completed (here given a
    due moment of its own, as a model's dueIn would)."""
    from service.calendar.operations import calendar
    from service.tasks.models import Task

    dossier = request_financial(office, to_appraisal(office, receive(office)))
    wait = next(s for s in dossier["current_steps"] if s["element_id"] == "await_financial")
    with office.app.app_context():
        task = db.session.get(Task, uuid.UUID(wait["task_id"]))
        due = task.due_at = calendar().add_working_days(task.created_at, 5)
        db.session.commit()
        clock.advance_to(calendar().add_working_days(_row(office, dossier).paused_at, 2))
    do(office.clerk, dossier, "await_financial", RECEIPT)
    with office.app.app_context():
        task = db.session.get(Task, uuid.UUID(wait["task_id"]))
        assert task.state == "completed"
        assert task.due_at == due
