"""A dossier through the API, from reception to return, with every branch a clerk meets."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.dossiers.models import Dossier, DossierPause
from service.extensions import db
from tests.factories import receive_dossier
from tests.integrations.remote import connect, run_calls, simulator_fixture
from tests.support import QR

remote_simulator = simulator_fixture()


@pytest.fixture
def office(dossier_office, make_user):
    """The dossier process, the catalogue and the officers (tests/factories.py), with a coordinator
    of the provincial police (consulted) and an officer of an unrelated unit."""
    dossier_office.police = make_user("police", groups=["coordinators"], unit="CA-TINH")
    dossier_office.stranger = make_user("stranger", groups=["other"], unit="OTHER-UNIT")
    return dossier_office


def receive(office, procedure="AG-LLTP-01", **applicant):
    return receive_dossier(office.clerk, procedure, applicant or None)


def do(caller, dossier: dict, element: str, variables: dict | None = None) -> dict:
    """Complete the open task `element` of the dossier's process as `caller`; return the dossier."""
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    matching = [t for t in tasks if t["element_id"] == element]
    assert matching, f"{caller.username} has no open {element}: {[t['element_id'] for t in tasks]}"
    response = caller.complete(matching[0]["id"], variables or {})
    assert response.status_code == 200, response.json
    return caller.get(f"/api/v1/dossiers/{dossier['id']}").json


def accept(office, dossier):
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    return do(office.clerk, dossier, "digitise", {"all_components_digitised": True})


def to_appraisal(office, dossier):
    dossier = accept(office, dossier)
    return do(office.head, dossier, "assign", {"specialist": "specialist"})


def appraise(office, dossier, decision, **extra):
    variables = {"appraisal_decision": decision, "appraisal_opinion": "Hồ sơ đã được thẩm định.", **extra}
    return do(office.specialist, dossier, "appraise", variables)


def test_a_dossier_walks_from_reception_to_return(office):
    dossier = receive(office)
    assert dossier["status"] == 1
    assert dossier["code"] is None
    assert dossier["applicant"]["name"] == "Nguyễn Thị Ánh"
    assert dossier["current_steps"][0]["element_id"] == "receive"

    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    assert dossier["status"] == 2
    assert dossier["code"].startswith("000.17.22.H56-")
    assert len(dossier["code"].split("-")[-1]) == 4
    assert dossier["due_at"] and dossier["received_at"]
    dossier = do(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    assert dossier["status"] == 4
    assert dossier["current_steps"][0]["unit"] == "unit_heads"
    dossier = do(office.head, dossier, "assign", {"specialist": "specialist"})
    assert dossier["current_steps"][0]["assignee"] == "specialist"  # assigneeVariable on appraise
    assert dossier["current_steps"][0]["due_at"]
    dossier = appraise(office, dossier, "propose_approve")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    dossier = do(
        office.records,
        dossier,
        "issue_result",
        {"result_number": "123/PLLTP", "issued_on": "2026-11-26"},
    )
    assert dossier["status"] == 9
    assert dossier["finished_at"]
    assert dossier["verdict"] in {"early", "on_time"}
    dossier = do(office.clerk, dossier, "return_result", {"method": "counter"})
    assert dossier["status"] == 10
    assert dossier["outcome"] == "approved"
    assert dossier["returned_at"]
    assert dossier["current_steps"] == []
    steps = [s["element_id"] for s in dossier["steps"]]
    assert steps == ["receive", "digitise", "assign", "appraise", "approve", "issue_result", "return_result"]
    appraisal = dossier["steps"][3]
    assert appraisal["allotted_days"] == 5.0
    assert appraisal["verdict"] == "early"
    assert appraisal["actor"] == "specialist"
    by_code = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}")
    assert by_code.status_code == 200
    assert by_code.json["id"] == dossier["id"]

    for form in ("mau-01", "mau-05"):
        pdf = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/{form}?format=pdf")
        assert pdf.status_code == 200
        assert pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")
    html = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    text = html.get_data(as_text=True)
    assert "PHIẾU KIỂM SOÁT" in text.upper()
    assert dossier["code"] in text
    assert "Trước hạn" in text
    register = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-06?format=html")
    assert dossier["code"] in register.get_data(as_text=True).replace("<wbr>", "")
    assert office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-99").status_code == 404


def test_a_completions_answer_names_the_assignee_of_the_task_it_opened(office):
    """The answer to a completion lists the tasks it opened as the task itself reads afterwards:
    appraise, assigned by the head's choice (assigneeVariable), names the specialist."""
    dossier = accept(office, receive(office))
    (assign,) = [t for t in dossier["current_steps"] if t["element_id"] == "assign"]
    response = office.head.complete(assign["task_id"], {"specialist": "specialist"})
    assert response.status_code == 200, response.json
    (opened,) = response.json["tasks"]
    assert opened["element_id"] == "appraise"
    assert opened["assignee"] == "specialist"
    read = office.specialist.get(f"/api/v1/tasks/{opened['id']}").json
    assert read["assignee"] == opened["assignee"]
    assert read["due_at"] == opened["due_at"]  # the same moment, written alike (UTC)


def test_a_receptions_answer_shows_its_open_tasks_and_steps_as_a_read_of_the_dossier_does(office):
    """The reception answers its dossier's open tasks and Mẫu 05 steps from what its step wrote,
    without reading them back: the same as a read of the dossier right after."""
    answered = receive(office)
    read = office.clerk.get(f"/api/v1/dossiers/{answered['id']}").json
    assert answered["current_steps"] and answered["current_steps"] == read["current_steps"]
    assert answered["steps"] == read["steps"]
    assert answered == read


def test_incomplete_dossier_is_guided_and_never_numbered(office):
    dossier = receive(office)
    dossier = do(
        office.clerk,
        dossier,
        "receive",
        {"reception_decision": "guide", "missing_items": ["Tờ khai"], "guidance": "Bổ sung tờ khai."},
    )
    assert dossier["status"] == 1  # never registered: no code, no clock
    assert dossier["code"] is None
    assert dossier["current_steps"] == []
    assert dossier["outcome"] == "guided" and dossier["finished_at"]  # but no longer "new" work
    assert dossier["status_label"] == "Đã hướng dẫn hoàn thiện hồ sơ (Mẫu 02), không tiếp nhận"
    mau02 = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}/documents/mau-02?format=html")
    assert "Bổ sung tờ khai." in mau02.get_data(as_text=True)


def test_ineligible_dossier_is_refused_with_status_3(office):
    dossier = receive(office)
    dossier = do(
        office.clerk,
        dossier,
        "receive",
        {"reception_decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền."},
    )
    assert dossier["status"] == 3
    assert dossier["outcome"] == "not_received"
    assert dossier["code"] is None
    assert dossier["finished_at"]


def test_a_supplement_round_pauses_the_clock_and_moves_the_due_date(office, clock):
    dossier = to_appraisal(office, receive(office))
    original_due = dossier["due_at"]
    dossier = appraise(
        office,
        dossier,
        "request_supplement",
        missing_items=["Bản chụp CCCD"],
        supplement_reason="Thiếu bản chụp CCCD.",
    )
    assert dossier["status"] == 5
    assert dossier["paused"] is True
    with office.app.app_context():
        from service.calendar.operations import calendar

        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        due_before = row.due_at
        paused_at = row.paused_at
        clock.advance_to(calendar().add_working_days(row.paused_at, 1))  # the applicant took a working day
    dossier = do(office.clerk, dossier, "await_supplement", {"supplement_received": True})
    assert dossier["status"] == 4
    assert dossier["paused"] is False
    assert dossier["paused_days"] == pytest.approx(1.0, abs=0.01)
    assert dossier["original_due_at"] == original_due
    with office.app.app_context():
        moved = calendar().working_days_between(due_before, _parse(dossier["due_at"]))
    assert moved == pytest.approx(dossier["paused_days"], abs=0.001)
    assert [s["element_id"] for s in dossier["current_steps"]] == ["appraise"]
    with office.app.app_context():  # the pause is kept, with its moments and its working time
        pauses = db.session.scalars(
            sa.select(DossierPause).where(DossierPause.dossier_id == uuid.UUID(dossier["id"]))
        ).all()
        assert [(p.kind, p.started_at, p.working_days) for p in pauses] == [
            ("supplement", paused_at, pytest.approx(1.0, abs=0.01))
        ]
        assert pauses[0].ended_at is not None and pauses[0].ended_at > paused_at
    with office.app.app_context():  # the apology timer moved with the due date
        from service.instances.models import ProcessInstance

        instance = db.session.get(ProcessInstance, uuid.UUID(dossier["process_instance_id"]))
        new_due = _parse(dossier["due_at"])
        assert instance.next_timer_at == calendar().subtract_working_days(new_due, 1)


def _parse(value):
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_liên_thông_consultation_waits_for_every_agency_each_seeing_only_its_own(office, make_user):
    finance = make_user("finance", groups=["coordinators"], unit="SO-TC")
    dossier = to_appraisal(office, receive(office))
    refused = office.specialist.complete(
        next(
            t["id"]
            for t in office.specialist.get(
                f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}"
            ).json["items"]
            if t["element_id"] == "appraise"
        ),
        {
            "appraisal_decision": "consult",
            "appraisal_opinion": "Cần ý kiến phối hợp.",
            "agencies": ["Công an tỉnh"],
            "consultation_content": "Xin ý kiến về nhân thân.",
        },
    )
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["fields"] == {
        "agencies/0": ["There is no org unit 'Công an tỉnh'."]
    }
    dossier = appraise(
        office,
        dossier,
        "consult",
        agencies=["CA-TINH", "SO-TC"],
        consultation_content="Xin ý kiến về nhân thân.",
    )
    consults = [s for s in dossier["current_steps"] if s["element_id"] == "consult"]
    assert len(consults) == 2
    assert all(s["unit"] == "coordinators" for s in consults)
    # Each agency's coordinator has exactly its own consultation.
    for caller in (office.police, finance):
        listed = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
        assert [t["element_id"] for t in listed["items"]] == ["consult"]
    dossier = do(office.police, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    assert [s["element_id"] for s in dossier["current_steps"]] == ["consult"]
    assert (
        office.police.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
        == []
    )
    dossier = do(finance, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    assert [s["element_id"] for s in dossier["current_steps"]] == ["appraise"]


def test_the_leader_refuses_and_the_refusal_is_returned(office, remote_simulator):
    dossier = appraise(
        office,
        to_appraisal(office, receive(office)),
        "propose_refuse",
        proposed_refusal_reason="Không đủ điều kiện.",
    )
    dossier = do(
        office.leader, dossier, "approve", {"approval_decision": "refuse", "refusal_reason": "Không đủ."}
    )
    dossier = do(
        office.records, dossier, "issue_refusal", {"letter_number": "9/TB", "issued_on": "2026-11-26"}
    )
    assert dossier["status"] == 9
    dossier = do(office.clerk, dossier, "return_result", {"method": "post"})
    assert dossier["status"] == 9  # until the post has the refusal: the delivery is booked
    connect(office.app, remote_simulator)
    assert [c[:3] for c in run_calls(office.app)] == [("book_delivery", "post/book_delivery", "done")]
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}").json
    assert (dossier["status"], dossier["return_method"]) == (10, "post")
    assert dossier["outcome"] == "refused"  # the same codes as an approval, told apart in the data
    listed = office.admin.get("/api/v1/dossiers", query_string={"status": 10}).json["items"]
    assert {d["id"]: d["outcome"] for d in listed}[dossier["id"]] == "refused"


def test_the_leader_stops_the_handling_with_a_notice_and_the_dossier_ends_at_8(office):
    dossier = appraise(
        office,
        to_appraisal(office, receive(office)),
        "propose_stop",
        proposed_stop_reason="Người yêu cầu đã chết; không có người thừa kế đề nghị tiếp tục.",
    )
    refused = office.leader.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}")
    approve = next(t for t in refused.json["items"] if t["element_id"] == "approve")
    missing = office.leader.complete(approve["id"], {"approval_decision": "stop"})
    assert missing.status_code == 422 and "stop_reason" in missing.json["error"]["details"]["fields"]
    dossier = do(
        office.leader, dossier, "approve", {"approval_decision": "stop", "stop_reason": "Đương sự chết."}
    )
    assert dossier["status"] == 4 and [s["element_id"] for s in dossier["current_steps"]] == [
        "issue_stop_notice"
    ]
    dossier = do(
        office.records,
        dossier,
        "issue_stop_notice",
        {"notice_number": "12/TB-UBND", "issued_on": "2026-11-26"},
    )
    assert dossier["status"] == 8 and dossier["outcome"] == "stopped"
    assert dossier["finished_at"] and dossier["current_steps"] == []  # no result to return
    instance = office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json
    assert instance["state"] == "completed"
    steps = [s["element_id"] for s in dossier["steps"]]
    assert steps[-2:] == ["approve", "issue_stop_notice"] and "return_result" not in steps


def test_the_applicant_withdraws_during_appraisal(office):
    dossier = to_appraisal(office, receive(office))
    response = office.clerk.post(
        f"/api/v1/dossiers/{dossier['code']}/withdraw", json={"reason": "Không còn nhu cầu"}
    )
    assert response.status_code == 200
    dossier = response.json
    assert [s["element_id"] for s in dossier["current_steps"]] == ["hand_back"]
    assert dossier["status"] == 7 and dossier["outcome"] == "withdrawn"  # at once, not after hand-back
    assert dossier["finished_at"]
    assert "appraise" in [s["element_id"] for s in dossier["steps"] if s["outcome"] == "cancelled"]
    dossier = do(office.clerk, dossier, "hand_back", {"handed_back": True, "recipient": "Nguyễn Thị Ánh"})
    assert dossier["status"] == 7
    again = office.clerk.post(f"/api/v1/dossiers/{dossier['code']}/withdraw", json={})
    assert again.status_code == 409


def test_the_apology_timer_opens_the_apology_beside_the_work(office):
    dossier = to_appraisal(office, receive(office))
    with office.app.app_context():
        from service.jobs.operations import fire_timers

        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        assert fire_timers(row.instance_id, row.due_at + timedelta(minutes=1))
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert sorted(s["element_id"] for s in dossier["current_steps"]) == ["apology", "appraise"]


def test_no_apology_while_the_applicant_has_the_dossier(office, clock):
    from service.calendar.operations import calendar
    from service.instances.models import ProcessInstance
    from service.jobs.operations import fire_timers

    dossier = to_appraisal(office, receive(office))
    dossier = appraise(
        office, dossier, "request_supplement", missing_items=["Tờ khai"], supplement_reason="Thiếu tờ khai."
    )
    with office.app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        instance = db.session.get(ProcessInstance, row.instance_id)
        assert instance.next_timer_at is None  # the apology timer is parked
        # the applicant takes longer than the whole statutory time: still no apology, not late
        late_moment = row.due_at + timedelta(days=30)
        clock.advance_to(late_moment)
        fire_timers(row.instance_id, late_moment)
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert [s["element_id"] for s in dossier["current_steps"]] == ["await_supplement"]
    late = office.admin.get("/api/v1/dossiers", query_string={"overdue": "true"}).json["items"]
    assert dossier["id"] not in {d["id"] for d in late}

    dossier = do(office.clerk, dossier, "await_supplement", {"supplement_received": True})
    with office.app.app_context():  # the clock restarted: the apology waits for the moved due moment
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        instance = db.session.get(ProcessInstance, row.instance_id)
        assert row.due_at > late_moment
        assert instance.next_timer_at == calendar().subtract_working_days(row.due_at, 1)


def test_a_form_error_is_422_with_the_field_and_nothing_moves(office):
    dossier = receive(office)
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json[
        "items"
    ]
    response = office.clerk.complete(tasks[0]["id"], {"reception_decision": "maybe"})
    assert response.status_code == 422
    assert "reception_decision" in response.json["error"]["details"]["fields"]
    assert office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["status"] == 1


def test_reception_checks_its_input(office, make_user):
    bad_qr = office.clerk.post(
        "/api/v1/dossiers",
        json={"procedure_code": "AG-LLTP-01", "channel": "counter", "applicant": {"cccd_qr": "not|a|card"}},
    )
    assert bad_qr.status_code == 422
    assert bad_qr.json["error"]["code"] == "cccd_invalid"
    unknown = office.clerk.post(
        "/api/v1/dossiers", json={"procedure_code": "NOPE", "channel": "counter", "applicant": {"name": "A"}}
    )
    assert unknown.status_code == 404
    channel = office.clerk.post(
        "/api/v1/dossiers",
        json={"procedure_code": "AG-LLTP-01", "channel": "fax", "applicant": {"name": "A"}},
    )
    assert channel.status_code == 422
    not_reception = office.specialist.post(
        "/api/v1/dossiers",
        json={"procedure_code": "AG-LLTP-01", "channel": "counter", "applicant": {"name": "A"}},
    )
    assert not_reception.status_code == 403
    parsed = office.clerk.post("/api/v1/applicants/from-cccd", json={"qr": QR})
    assert parsed.json["id_number"] == "089190000123"
    assert office.clerk.post("/api/v1/applicants/from-cccd", json={"qr": "x"}).status_code == 422


def test_another_units_clerk_cannot_see_the_dossier(office):
    dossier = receive(office)
    assert office.stranger.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 403
    assert office.stranger.get("/api/v1/dossiers").json["total"] == 0
    assert office.clerk.get("/api/v1/dossiers").json["total"] == 1


def test_dossiers_are_listed_by_status_procedure_and_lateness(office, clock):
    first = accept(office, receive(office))
    receive(office, "AG-KS-01")
    assert office.clerk.get("/api/v1/dossiers?status=4").json["total"] == 1
    assert office.clerk.get("/api/v1/dossiers?status=1").json["total"] == 1
    assert office.clerk.get("/api/v1/dossiers?procedure=AG-KS-01").json["total"] == 1
    assert office.clerk.get("/api/v1/dossiers?overdue=true").json["total"] == 0
    clock.advance(days=60)  # the first one's 10 working days are long gone; the other is not numbered
    late = office.clerk.get("/api/v1/dossiers?overdue=true").json
    assert [d["id"] for d in late["items"]] == [first["id"]]
    assert office.clerk.get("/api/v1/dossiers?status=42").status_code == 422


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ((2026, 3, 3, 14, 0), (2026, 3, 3, 17, 0)),  # before the 15:00 cut-off: that day's close
        ((2026, 3, 6, 15, 30), (2026, 3, 9, 17, 0)),  # a Friday after it: Monday's close
    ],
)
def test_a_half_day_procedure_is_due_at_the_close_of_the_day_its_clock_starts(office, clock, received, due):
    from datetime import datetime

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    with clock.at(datetime(*received, tzinfo=vn)):
        dossier = receive(office, "AG-CT-01")  # Chứng thực bản sao: 0.5 working day
        dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    assert _parse(dossier["due_at"]) == datetime(*due, tzinfo=vn)
    assert dossier["original_due_at"] == dossier["due_at"]


def test_a_half_day_dossiers_apology_waits_for_halfway_through_its_time(office, clock):
    from datetime import datetime

    from service.instances.models import ProcessInstance
    from service.jobs.operations import fire_timers

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    with clock.at(datetime(2026, 3, 3, 14, 0, tzinfo=vn)):  # due 17:00: the apology at 15:30
        dossier = accept(office, receive(office, "AG-CT-01"))
        with office.app.app_context():
            row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
            instance = db.session.get(ProcessInstance, row.instance_id)
            # (the test's clock runs on from 14:00 by the time the clerk accepts)
            assert instance.next_timer_at.replace(microsecond=0) == datetime(2026, 3, 3, 15, 30, tzinfo=vn)
            fire_timers(row.instance_id, datetime(2026, 3, 3, 14, 1, tzinfo=vn))
    steps = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["current_steps"]
    assert "apology" not in [s["element_id"] for s in steps]


def test_form_data_cannot_redirect_the_process_to_another_dossier(office):
    victim = receive(office)
    attacker = receive(office)
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={attacker['process_instance_id']}").json[
        "items"
    ]
    sneaky = {"reception_decision": "refuse", "dossier_id": victim["id"]}
    assert office.clerk.complete(tasks[0]["id"], sneaky).status_code == 422  # the form has no such field
    with office.app.app_context():
        from service.dossiers.follow import dossier_of
        from service.instances.operations import get

        instance = get(uuid.UUID(attacker["process_instance_id"]))
        assert dossier_of(instance, {"dossier_id": victim["id"]}) is None  # the row must point back
        assert str(dossier_of(instance, None).id) == attacker["id"]
    assert office.clerk.get(f"/api/v1/dossiers/{victim['id']}").json["status"] == 1


def test_the_monthly_late_list_names_the_late_dossiers_and_who_held_them(office, clock):
    dossier = to_appraisal(office, receive(office))
    due_at = _parse(dossier["due_at"])
    month = due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")
    clock.advance_to(due_at + timedelta(days=5))  # the specialist sat on it past the dossier's due date
    dossier = appraise(office, dossier, "propose_approve")
    report = office.admin.get(f"/api/v1/reports/late-dossiers?month={month}&refresh=true")
    assert report.status_code == 200
    rows = report.json["rows"]
    assert [r["code"] for r in rows] == [dossier["code"]]
    assert rows[0]["responsible"][0]["officer"] == "specialist"
    assert rows[0]["responsible"][0]["step"] == "Thẩm định hồ sơ"
    assert office.clerk.get(f"/api/v1/reports/late-dossiers?month={month}").status_code == 403
    assert office.admin.get("/api/v1/reports/late-dossiers?month=2026-13").status_code == 422


def test_a_specialist_must_be_an_active_user_before_the_appraisal_is_handed_over(office):
    dossier = accept(office, receive(office))
    tasks = office.head.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    assign = next(t for t in tasks["items"] if t["element_id"] == "assign")
    refused = office.head.complete(assign["id"], {"specialist": "khongco"})
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["fields"] == {
        "specialist": ["There is no active user 'khongco'."]
    }
    dossier = do(office.head, dossier, "assign", {"specialist": "specialist"})
    assert dossier["current_steps"][0]["assignee"] == "specialist"


def test_a_specialist_of_another_unit_named_by_the_head_is_not_handed_the_appraisal(office, make_user):
    commune = make_user("xa_specialist", groups=["specialists"], unit="UBND-XA")
    dossier = accept(office, receive(office))
    dossier = do(office.head, dossier, "assign", {"specialist": "xa_specialist"})
    step = dossier["current_steps"][0]
    assert step["element_id"] == "appraise" and step["assignee"] is None  # left to its candidates
    theirs = commune.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    assert theirs["items"] == []
    assert commune.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 403
    appraise(office, dossier, "propose_approve")  # the unit's own specialist takes it


def test_the_control_slip_names_the_processing_unit(office):
    with office.app.app_context():
        from service.identity.operations import get_or_create_unit

        get_or_create_unit("SO-TP", "Sở Tư pháp").name = "Sở Tư pháp tỉnh An Giang"
        db.session.commit()
    dossier = do(office.clerk, receive(office), "receive", {"reception_decision": "accept"})
    slip = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    assert "Sở Tư pháp tỉnh An Giang" in slip.get_data(as_text=True)
