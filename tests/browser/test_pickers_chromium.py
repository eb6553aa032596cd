"""Pickers in Chromium: the specialist asks for a supplement by ticking the procedure's components
(no typing)."""

import re

import pytest

from tests.browser.conftest import IN_CI, PASSWORD, log_in
from tests.factories import receive_dossier

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

ID_COPY = "Bản chụp giấy tờ tùy thân (Căn cước công dân/Hộ chiếu)"


@pytest.fixture
def appraisal(office, make_officers):
    """A dossier of AG-LLTP-01 accepted, digitised and assigned to the specialist."""
    officers = make_officers("specialist", password=PASSWORD)
    dossier = receive_dossier(office.clerk)

    def do(caller, element, variables):
        items = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json[
            "items"
        ]
        task = next(t for t in items if t["element_id"] == element)
        assert caller.complete(task["id"], variables).status_code == 200

    do(office.clerk, "receive", {"reception_decision": "accept"})
    do(office.clerk, "digitise", {"all_components_digitised": True})
    do(office.head, "assign", {"specialist": "specialist"})
    return officers.specialist, dossier


def test_the_specialist_asks_for_a_supplement_by_picking_components(page, appraisal):
    specialist, dossier = appraisal
    log_in(page, "specialist")
    page.goto("/ui/?tab=mine")
    page.get_by_role("link", name="Thẩm định hồ sơ").first.click()
    page.get_by_role("radiogroup", name="Đề xuất").get_by_role(
        "radio", name=re.compile("^Yêu cầu bổ sung")
    ).check()
    page.get_by_label("Ý kiến thẩm định").fill("Thiếu giấy tờ tùy thân.")
    page.get_by_label(re.compile(r"Bản chụp giấy tờ tùy thân.*\(Bản chụp\)")).check()
    expect(page.get_by_label("Lý do yêu cầu bổ sung")).to_be_visible()
    page.get_by_label("Lý do yêu cầu bổ sung").fill("Bản chụp không rõ.")
    page.get_by_role("button", name="Hoàn thành").click()
    page.wait_for_url("**/ui/")

    tasks = specialist.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json
    assert tasks["variables"]["missing_items"] == [ID_COPY]
