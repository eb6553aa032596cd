"""Pickers fed by the server: `x-picker` in a form names the choices of a field; the API serves
them to those who may act on the task (the unit's specialists with their workload, the procedure's
components, the agencies), the task page draws them as choices, and the server still judges."""

import json

import pytest

from service.pickers.queries import declared
from tests.dossiers.test_dossier_flow import accept, do, receive
from tests.support import ROOT


@pytest.fixture
def office(dossier_office, make_user):
    dossier_office.second = make_user("second", groups=["specialists"], unit="SO-TP")
    named = dossier_office.admin.client.patch(
        "/api/v1/users/second", json={"display_name": "Lê Văn Bảy"}, headers=dossier_office.admin.headers
    )
    assert named.status_code == 200, named.json
    # Not offered: a specialist of another unit, a deactivated one, and the head (not a specialist).
    make_user("elsewhere", groups=["specialists"], unit="CA-TINH")
    gone = make_user("gone", groups=["specialists"], unit="SO-TP")
    response = dossier_office.admin.client.patch(
        "/api/v1/users/gone", json={"is_active": False}, headers=dossier_office.admin.headers
    )
    assert response.status_code == 200, response.json
    dossier_office.gone = gone
    return dossier_office


def open_task(caller, dossier, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    return next(t for t in tasks if t["element_id"] == element)


def test_the_shipped_forms_declare_their_pickers():
    def schema(key):
        return json.loads((ROOT / "forms" / f"{key}.schema.json").read_text(encoding="utf-8"))

    assert declared(schema("dossier_assign")) == {
        "specialist": {"kind": "specialist", "group": "specialists", "multiple": False}
    }
    appraise = declared(schema("dossier_appraise"))
    assert appraise["missing_items"]["kind"] == "components" and appraise["missing_items"]["multiple"]
    assert appraise["agencies"]["kind"] == "agency"
    assert declared(schema("dossier_await_supplement"))["supplemented_items"]["kind"] == "components"
    assert declared(schema("dossier_receive"))["missing_items"]["kind"] == "components"
    # The server's checks stay: the specialist is still an active username, an agency a unit code.
    assert schema("dossier_assign")["properties"]["specialist"]["format"] == "username"
    assert schema("dossier_appraise")["properties"]["agencies"]["items"]["format"] == "org_unit"


def test_the_head_is_offered_the_units_active_specialists_with_their_open_tasks(office):
    busy = accept(office, receive(office))
    do(office.head, busy, "assign", {"specialist": "specialist"})  # one open appraisal for "specialist"
    dossier = accept(office, receive(office))
    task = open_task(office.head, dossier, "assign")

    response = office.head.get(f"/api/v1/tasks/{task['id']}/pickers/specialist")

    assert response.status_code == 200, response.json
    assert response.json["kind"] == "specialist" and response.json["multiple"] is False
    items = {item["value"]: item for item in response.json["items"]}
    assert set(items) == {"specialist", "second"}  # not "elsewhere", "gone" nor the head
    assert items["specialist"]["open_tasks"] == 1
    assert items["second"] == {"value": "second", "label": "Lê Văn Bảy", "open_tasks": 0}


def test_the_components_and_agencies_pickers_of_the_appraisal(office):
    dossier = accept(office, receive(office))
    do(office.head, dossier, "assign", {"specialist": "specialist"})
    task = open_task(office.specialist, dossier, "appraise")

    components = office.specialist.get(f"/api/v1/tasks/{task['id']}/pickers/missing_items").json
    agencies = office.specialist.get(f"/api/v1/tasks/{task['id']}/pickers/agencies").json

    assert components["multiple"] is True
    assert components["items"][0] == {
        "value": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)",
        "label": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)",
        "form": "Bản chính",
        "quantity": 1,
    }
    assert len(components["items"]) == 3
    codes = {item["value"]: item["label"] for item in agencies["items"]}
    assert codes["TTPVHCC"] == "Trung tâm Phục vụ hành chính công"
    assert "SO-TP" in codes


def test_only_those_who_may_act_on_the_task_see_its_choices(office):
    dossier = accept(office, receive(office))
    task = open_task(office.head, dossier, "assign")
    url = f"/api/v1/tasks/{task['id']}/pickers/specialist"

    assert office.clerk.get(url).status_code == 403  # the counter's clerk is not the unit's head
    assert office.specialist.get(url).status_code == 403
    missing = office.head.get(f"/api/v1/tasks/{task['id']}/pickers/instruction")
    assert missing.status_code == 404 and missing.json["error"]["code"]


def test_a_picked_value_is_still_judged_by_the_server(office):
    dossier = accept(office, receive(office))
    task = open_task(office.head, dossier, "assign")

    response = office.head.complete(task["id"], {"specialist": "gone"})

    assert response.status_code == 422
    assert "specialist" in response.json["error"]["details"]["fields"]


def test_the_task_page_draws_the_specialist_as_a_choice_by_name(office):
    from tests.browser.test_pages_server import log_in

    dossier = accept(office, receive(office))
    task = open_task(office.head, dossier, "assign")
    browser = office.app.test_client()
    log_in(browser, "head", "password-1")

    page = browser.get(f"/ui/tasks/{task['id']}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('id="task-context">') + len('id="task-context">')
    context = json.loads(html[start : html.index("</script>", start)])
    prop = context["schema"]["properties"]["specialist"]
    assert prop["enum"] == ["", "second", "specialist"]
    assert prop["options"]["enum_titles"][1] == "Lê Văn Bảy (0 việc đang xử lý)"
    assert prop["format"] == "select"
