"""The official slips of a dossier as printed (the PDF's text, read with pypdf): Mẫu 01's sets
and register line, Mẫu 02's request date and original/copy column, Mẫu 04's one re-appointment,
Mẫu 05's pauses, Mẫu 06's unit names and lines; and only the slips that fit the dossier."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from service.dossiers.models import Dossier
from service.extensions import db
from tests.dossiers.test_dossier_flow import accept, appraise, do, receive, to_appraisal
from tests.support import COMPONENTS, QR

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def office(dossier_office, make_user):
    return dossier_office


def squash(text: str) -> str:
    """NFC text without whitespace: PDF extraction breaks lines inside table cells."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def pdf_text(caller, code: str, form: str) -> str:
    response = caller.get(f"/api/v1/dossiers/{code}/documents/{form}?format=pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return squash("".join(page.extract_text() for page in reader.pages))


def row(office, dossier: dict) -> Dossier:
    return db.session.get(Dossier, uuid.UUID(dossier["id"]))


def local(moment: datetime) -> datetime:
    return moment.astimezone(VIETNAM)


def vn_time(moment: datetime) -> str:
    """How the slips print a moment (Vietnam time): 16 giờ 30 phút, ngày 07 tháng 12 năm 2026."""
    m = local(moment)
    month = f"{m.month:02d}" if m.month < 3 else str(m.month)
    return squash(f"{m.hour:02d} giờ {m.minute:02d} phút, ngày {m.day:02d} tháng {month} năm {m.year}")


def receive_sets(office, sets) -> object:
    body = {
        "procedure_code": "AG-LLTP-01",
        "channel": "counter",
        "applicant": {"cccd_qr": QR, "phone": "0912345678"},
        "components": COMPONENTS,
        "sets": sets,
    }
    return office.clerk.post("/api/v1/dossiers", json=body)


# --- 3, 4: number of sets, the register's line, the units' names ----------------------------------


def test_the_number_of_sets_received_is_kept_checked_and_printed(office):
    for bad in (0, -1, "2", 1.5, 101):
        refused = receive_sets(office, bad)
        assert refused.status_code == 422, bad
        assert "sets" in refused.json["error"]["details"]["fields"]
    dossier = receive_sets(office, 3).json
    assert dossier["sets"] == 3
    dossier = accept(office, dossier)
    assert squash("Số lượng hồ sơ: 3 (bộ)") in pdf_text(office.clerk, dossier["code"], "mau-01")
    assert receive(office)["sets"] == 1  # the default


def test_receipt_and_register_print_the_same_book_and_line_and_the_units_names(office):
    with office.app.app_context():
        from service.identity.operations import get_or_create_unit

        get_or_create_unit("SO-TP", "Sở Tư pháp").name = "Sở Tư pháp tỉnh An Giang"
        db.session.commit()
    first = accept(office, receive(office))
    second = accept(office, receive_sets(office, 2).json)
    with office.app.app_context():
        book = str(local(row(office, first).received_at).year)
        assert (row(office, first).register_book, row(office, first).register_number) == (book, 1)
        assert (row(office, second).register_book, row(office, second).register_number) == (book, 2)
    receipt = pdf_text(office.clerk, second["code"], "mau-01")
    assert squash(f"Vào Sổ theo dõi hồ sơ, Quyển số: {book}, Số thứ tự: 2") in receipt

    register = pdf_text(office.clerk, second["code"], "mau-06")
    assert squash(f"Quyển số: {book}") in register
    assert squash("Sở Tư pháp tỉnh An Giang") in register  # the lead agency by its name
    assert "SO-TP" not in register  # never by its code
    # the receiving unit (the clerk's) heads the register
    assert squash("Trung tâm Phục vụ hành chính công").casefold() in register.casefold()
    # each row's STT is its line in the register, the one its Mẫu 01 prints
    lines = re.findall(r"(\d)000\.17\.22\.H56-", register)
    assert lines == ["1", "2"]
    first_line, second_line = register.index(first["code"]), register.index(second["code"])
    assert first_line < second_line
    assert register[second_line + len(second["code"]) :].startswith(squash("Cấp Phiếu lý lịch tư pháp"))


# --- 2: Mẫu 02 ------------------------------------------------------------------------------------


def test_the_supplement_request_prints_its_date_and_each_items_form_and_quantity(office, clock):
    dossier = to_appraisal(office, receive(office))
    asked = clock.freeze()
    component = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)"
    dossier = appraise(
        office,
        dossier,
        "request_supplement",
        missing_items=[component],
        supplement_reason="Tờ khai thiếu chữ ký.",
    )
    clock.advance(days=3)  # printed three days later: the slip keeps the request's date
    text = pdf_text(office.clerk, dossier["code"], "mau-02")
    m = local(asked)
    month = f"{m.month:02d}" if m.month < 3 else str(m.month)
    assert squash(f"ngày {m.day:02d} tháng {month} năm {m.year}") in text
    printed = local(clock.now())
    assert squash(f"ngày {printed.day:02d} tháng") not in text  # not the day it was printed
    assert squash("Hình thức (bản chính, bản sao chứng thực hoặc bản chụp)") in text
    assert squash(f"1 {component} Bản chính 1") in text


def test_the_guidance_at_the_counter_prints_its_own_date(office, clock):
    guided_at = clock.freeze()
    dossier = do(
        office.clerk,
        receive(office),
        "receive",
        {
            "reception_decision": "guide",
            "missing_items": ["Bản chụp giấy tờ chứng minh nơi cư trú"],
            "guidance": "Bổ sung.",
        },
    )
    clock.advance(days=2)
    text = pdf_text(office.clerk, dossier["id"], "mau-02")
    m = local(guided_at)
    assert squash(f"ngày {m.day:02d} tháng") in text
    assert squash("Bản chụp giấy tờ chứng minh nơi cư trú Bản chụp 1") in text


# --- 5: Mẫu 05 ------------------------------------------------------------------------------------


def test_the_control_slip_shows_each_pause_and_the_steps_verdicts(office, clock):
    from service.calendar.operations import calendar

    dossier = to_appraisal(office, receive(office))
    dossier = appraise(
        office, dossier, "request_supplement", missing_items=["Tờ khai"], supplement_reason="Thiếu."
    )
    with office.app.app_context():
        paused_at = row(office, dossier).paused_at
        back = clock.advance_to(calendar().add_working_days(paused_at, 2))
    dossier = do(office.clerk, dossier, "await_supplement", {"supplement_received": True})
    text = pdf_text(office.clerk, dossier["code"], "mau-05")
    assert squash("Thời gian tạm dừng tính thời gian giải quyết") in text
    assert squash("Chờ bổ sung, hoàn thiện hồ sơ") in text
    assert vn_time(paused_at) in text
    assert vn_time(back) in text
    assert text.endswith(vn_time(back) + "2")  # the paused working days, from the pause's row
    # the steps keep their verdicts against their own time (the appraisal asked early); the wait
    # for the applicant is a handover with no verdict
    assert squash("specialist Trước hạn Thẩm định hồ sơ") in text
    assert squash("specialist clerk Chờ công dân bổ sung hồ sơ") in text


# --- 1: Mẫu 04, one re-appointment ----------------------------------------------------------------


def _apology(office, dossier):
    from service.jobs.operations import fire_timers

    with office.app.app_context():
        found = row(office, dossier)
        assert fire_timers(found.instance_id, found.due_at + timedelta(minutes=1))
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert "apology" in [s["element_id"] for s in dossier["current_steps"]]
    tasks = office.head.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    return next(t for t in tasks["items"] if t["element_id"] == "apology")


def test_the_apology_sets_one_working_moment_after_the_due_and_prints_its_time(office):
    from service.calendar.operations import calendar

    dossier = to_appraisal(office, receive(office))
    task = _apology(office, dossier)
    with office.app.app_context():
        cal = calendar()
        due = row(office, dossier).due_at
        due_day = local(due).date()
        after = cal.next_working_day(due_day)
        sunday = due_day + timedelta(days=(6 - due_day.weekday()) or 7)
        before = local(cal.subtract_working_days(due, 1)).date()
    reason = {"reason": "Chờ xác minh của cơ quan công an."}

    def complete(**values):
        return office.head.complete(task["id"], {**reason, **values})

    weekend = complete(new_due_date=sunday.isoformat())
    assert weekend.status_code == 422
    assert "không phải ngày làm việc" in weekend.json["error"]["details"]["fields"]["new_due_date"][0]
    early = complete(new_due_date=before.isoformat(), new_due_time="16:00")
    assert early.status_code == 422
    assert "phải sau hạn trả kết quả" in early.json["error"]["message"]
    lunch = complete(new_due_date=after.isoformat(), new_due_time="12:00")
    assert lunch.status_code == 422
    assert "ngoài giờ hành chính" in lunch.json["error"]["details"]["fields"]["new_due_time"][0]

    done = complete(new_due_date=after.isoformat(), new_due_time="16:30")
    assert done.status_code == 200, done.json
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    appointed = datetime.fromisoformat(dossier["appointed_at"])
    assert local(appointed).date() == after and local(appointed).time() == time(16, 30)
    assert datetime.fromisoformat(dossier["due_at"]) == due  # the statutory due is kept
    text = pdf_text(office.clerk, dossier["code"], "mau-04")
    assert vn_time(appointed) in text
    assert squash("00 giờ 00 phút") not in text
    assert vn_time(due) in text  # the original appointment, beside the new one
    assert squash("Chờ xác minh của cơ quan công an.") in text
    # the control slip shows the new appointment too, and the public lookup gives it as the due
    assert vn_time(appointed) in pdf_text(office.clerk, dossier["code"], "mau-05")
    with office.app.app_context():
        from service.dossiers import lookup

        public = lookup.find(dossier["code"], row(office, dossier).lookup_pin)
        assert public.due_at == appointed
    # no second apology: its timer stays parked whatever happens next
    dossier = appraise(office, dossier, "propose_approve")
    with office.app.app_context():
        from service.instances.models import ProcessInstance
        from service.jobs.operations import fire_timers

        instance = db.session.get(ProcessInstance, uuid.UUID(dossier["process_instance_id"]))
        assert instance.next_timer_at is None
        fire_timers(instance.id, appointed + timedelta(days=30))
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert [s["element_id"] for s in dossier["current_steps"]] == ["approve"]


def test_a_date_alone_is_the_end_of_that_days_office_hours(office):
    from service.calendar.operations import calendar

    dossier = to_appraisal(office, receive(office))
    task = _apology(office, dossier)
    with office.app.app_context():
        after = calendar().next_working_day(local(row(office, dossier).due_at).date())
    assert (
        office.head.complete(task["id"], {"reason": "Chậm.", "new_due_date": after.isoformat()}).status_code
        == 200
    )
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert local(datetime.fromisoformat(dossier["appointed_at"])).time() == time(17, 0)


def test_only_one_reappointment_per_dossier(office):
    from service.calendar.operations import calendar
    from service.instances.models import ProcessInstance
    from service.jobs.operations import fire_timers

    dossier = to_appraisal(office, receive(office))
    task = _apology(office, dossier)
    with office.app.app_context():
        cal = calendar()
        found = row(office, dossier)
        first_day = cal.next_working_day(local(found.due_at).date())
        other_day = cal.next_working_day(first_day)
        # an earlier apology already re-appointed the dossier (the model opens the apology once;
        # a process may open it again): the first appointment stays
        first = datetime.combine(first_day, time(15, 0), tzinfo=cal.tz)
        found.appointed_at, found.apologised_at = first, found.due_at
        db.session.commit()
    second = office.head.complete(task["id"], {"reason": "Chậm.", "new_due_date": other_day.isoformat()})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "reappointed_once"
    assert "chỉ được hẹn lại một lần" in second.json["error"]["message"]
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert datetime.fromisoformat(dossier["appointed_at"]) == first
    assert "apology" in [s["element_id"] for s in dossier["current_steps"]]  # nothing applied
    same = {"reason": "Chậm.", "new_due_date": first_day.isoformat(), "new_due_time": "15:00"}
    assert office.head.complete(task["id"], same).status_code == 200  # repeating it closes the task
    with office.app.app_context():  # and no apology timer is armed again
        instance = db.session.get(ProcessInstance, uuid.UUID(dossier["process_instance_id"]))
        assert instance.next_timer_at is None
        fire_timers(instance.id, first + timedelta(days=30))
    dossier = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert "apology" not in [s["element_id"] for s in dossier["current_steps"]]


# --- 6: only the slips that fit --------------------------------------------------------------------


def test_only_the_slips_that_fit_the_dossier_are_offered_and_generated(office):
    dossier = receive(office)
    for form in ("mau-01", "mau-02", "mau-03", "mau-04", "mau-05", "mau-06"):
        refused = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}/documents/{form}")
        assert refused.status_code == 409, form
        assert refused.json["error"]["code"] == "slip_not_available"
        assert refused.json["error"]["details"]["form"] == form
    dossier = to_appraisal(office, dossier)
    dossier = appraise(office, dossier, "propose_approve")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    for form, status in {"mau-01": 200, "mau-02": 409, "mau-03": 409, "mau-04": 409, "mau-05": 200}.items():
        got = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/{form}?format=html")
        assert got.status_code == status, form
    assert office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-03").json["error"]["details"][
        "available"
    ] == ["mau-01", "mau-05", "mau-06"]


def test_a_refused_dossier_offers_mau_03_and_not_mau_01(office):
    dossier = do(
        office.clerk,
        receive(office),
        "receive",
        {"reception_decision": "refuse", "refusal_reason": "Sai thẩm quyền."},
    )
    assert dossier["status"] == 3
    assert squash("Sai thẩm quyền.") in pdf_text(office.clerk, dossier["id"], "mau-03")
    assert office.clerk.get(f"/api/v1/dossiers/{dossier['id']}/documents/mau-01").status_code == 409


def test_the_register_is_the_offices_month_not_utcs(office, clock):
    """A dossier received at 06:00 on 1 December (23:00 on 30 November in UTC) is in December's
    register, beside December's dossiers and not November's."""
    from service.dossiers.slips import register_context

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    with clock.at(datetime(2026, 11, 30, 16, 0, tzinfo=vn)):
        november = accept(office, receive(office))
    with clock.at(datetime(2026, 12, 1, 6, 0, tzinfo=vn)):
        early = accept(office, receive(office))
    with clock.at(datetime(2026, 12, 2, 9, 0, tzinfo=vn)):
        december = accept(office, receive(office))
    with office.app.app_context():
        register = register_context(row(office, early), agency={})
        assert (register["period_from"].isoformat(), register["period_to"].isoformat()) == (
            "2026-12-01",
            "2026-12-31",
        )
        assert [r["code"] for r in register["rows"]] == [early["code"], december["code"]]
        assert november["code"] not in [r["code"] for r in register["rows"]]
