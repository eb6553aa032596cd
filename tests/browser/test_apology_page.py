"""The apology (Mẫu 04) on its task page, in Chromium: the new appointment is refused with a
Vietnamese message when it is not a working moment, or when the dossier was already re-appointed
(the first appointment stays)."""

import re
import uuid
from datetime import datetime, time, timedelta

import pytest

from tests.browser.conftest import IN_CI, log_in

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise
    pytest.skip("The playwright package is not installed.", allow_module_level=True)


def _apology_due(office):
    """The office's dossier accepted and digitised, then its apology timer fired: the apology task
    opens for the unit's head. Returns (a Sunday after the due day, a working day after it)."""
    from service.calendar.operations import calendar
    from service.dossiers.models import Dossier
    from service.extensions import db
    from service.jobs.operations import fire_timers

    clerk, dossier = office.clerk, office.dossier
    for element, variables in (
        ("receive", {"reception_decision": "accept"}),
        ("digitise", {"all_components_digitised": True}),
    ):
        tasks = clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
        task = next(t for t in tasks["items"] if t["element_id"] == element)
        assert clerk.complete(task["id"], variables).status_code == 200
    with office.app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        assert fire_timers(row.instance_id, row.due_at + timedelta(minutes=1))
        cal = calendar()
        due_day = row.due_at.astimezone(cal.tz).date()
        sunday = due_day + timedelta(days=(6 - due_day.weekday()) or 7)
        return sunday, cal.next_working_day(due_day), cal


def test_the_apology_page_refuses_a_second_new_appointment_in_vietnamese(page, office):
    from service.dossiers.models import Dossier
    from service.extensions import db

    sunday, working, cal = _apology_due(office)
    log_in(page, "head")
    page.goto("/ui/?tab=group")
    page.get_by_role("link", name="Lập phiếu xin lỗi và hẹn lại ngày trả kết quả").click()
    page.get_by_label("Ngày hẹn trả kết quả mới").fill(sunday.isoformat())
    page.get_by_label("Lý do chưa trả kết quả đúng hạn").fill("Chờ xác minh.")
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#form-errors")).to_contain_text("không phải ngày làm việc")

    # meanwhile an earlier apology re-appointed the dossier: the page says only one is allowed
    first = datetime.combine(working, time(15, 0), tzinfo=cal.tz)
    with office.app.app_context():
        row = db.session.get(Dossier, uuid.UUID(office.dossier["id"]))
        row.appointed_at, row.apologised_at = first, row.due_at
        db.session.commit()
    page.get_by_label("Ngày hẹn trả kết quả mới").fill(cal.next_working_day(working).isoformat())
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#form-errors")).to_contain_text(re.compile("chỉ được hẹn lại một lần"))
    with office.app.app_context():
        assert db.session.get(Dossier, uuid.UUID(office.dossier["id"])).appointed_at == first
