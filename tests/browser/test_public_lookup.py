"""The public lookup (/tra-cuu, no login): the code and PIN printed on Mẫu 01 show the dossier's
status, due date, steps and what is asked of the applicant; nothing tells a wrong code from a wrong
PIN, guesses are throttled per address, and no officer's name is shown."""

from __future__ import annotations

import re

from tests.browser.test_pages_server import csrf_token
from tests.factories import receive_dossier


def _complete(caller, dossier, element, variables):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    task = next(t for t in tasks if t["element_id"] == element)
    done = caller.complete(task["id"], variables)
    assert done.status_code == 200, done.json
    return caller.get(f"/api/v1/dossiers/{dossier['id']}").json


def _registered(office) -> tuple[dict, str]:
    """A dossier received and numbered; its code and the PIN its receipt (Mẫu 01) prints."""
    dossier = receive_dossier(office.clerk)
    dossier = _complete(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    receipt = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html")
    pin = re.search(r'class="lookup-pin">(\d{6})<', receipt.get_data(as_text=True)).group(1)
    return dossier, pin


def _look_up(client, code, pin):
    token = csrf_token(client, "/ui/tra-cuu")
    return client.post("/ui/tra-cuu", data={"csrf_token": token, "code": code, "pin": pin})


def test_the_code_and_pin_of_the_receipt_show_the_dossier_without_officers(office, client):
    dossier, pin = _registered(office)
    assert (
        client.get("/tra-cuu?ma=" + dossier["code"])
        .headers["Location"]
        .endswith("/ui/tra-cuu?ma=" + dossier["code"])
    )
    form = client.get("/ui/tra-cuu?ma=" + dossier["code"]).get_data(as_text=True)
    assert f'value="{dossier["code"]}"' in form  # the QR code's link fills the code in
    answer = _look_up(client, dossier["code"], pin)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Được tiếp nhận" in page and dossier["code"] in page
    assert "Kiểm tra tính đầy đủ và thẩm quyền" in page  # the steps, by name
    for hidden in ("clerk", "TTPVHCC", "Nguyễn Thị Ánh", "0912345678"):
        assert hidden not in page, hidden  # no officer, no unit code, nothing of the applicant


def test_a_dossier_waiting_for_a_supplement_says_what_is_asked(office, client, make_officers):
    specialist = make_officers("specialist", password="password-1").specialist
    dossier, pin = _registered(office)
    dossier = _complete(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    dossier = _complete(office.head, dossier, "assign", {"specialist": "specialist"})
    _complete(
        specialist,
        dossier,
        "appraise",
        {
            "appraisal_decision": "request_supplement",
            "appraisal_opinion": "Thiếu giấy tờ.",
            "missing_items": ["Bản chụp CCCD"],
            "supplement_reason": "Bản chụp bị mờ.",
        },
    )
    page = _look_up(client, dossier["code"], pin).get_data(as_text=True)
    assert "Yêu cầu bổ sung" in page and "tạm dừng tính thời gian" in page
    asked = re.search(r'data-testid="lookup-requested">(.*?)</div>', page, re.S).group(1)
    assert "Bản chụp CCCD" in asked and "Bản chụp bị mờ." in asked


def test_a_wrong_pin_and_an_unknown_code_answer_the_same_and_guessing_is_throttled(office, client):
    dossier, pin = _registered(office)
    wrong_pin = _look_up(client, dossier["code"], "000000" if pin != "000000" else "111111")
    unknown = _look_up(client, "000.00.00.H00-260101-9999", pin)
    assert wrong_pin.status_code == unknown.status_code == 404
    message = "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này."
    assert message in wrong_pin.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert "Được tiếp nhận" not in wrong_pin.get_data(as_text=True)
    for _ in range(3):
        _look_up(client, dossier["code"], "123")
    blocked = _look_up(client, dossier["code"], pin)  # five failures: even the right PIN waits
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Được tiếp nhận" not in blocked.get_data(as_text=True)


def test_the_lookup_needs_no_login_but_leads_nowhere_else(office, client):
    assert client.get("/ui/tra-cuu").status_code == 200
    assert client.get("/ui/").status_code == 302  # the rest still asks to log in
    assert client.post("/ui/tra-cuu", data={"code": "x", "pin": "1"}).status_code == 400  # no CSRF token
    empty = client.post("/ui/tra-cuu", data={"csrf_token": csrf_token(client, "/ui/tra-cuu")})
    assert empty.status_code == 422 and "Vui lòng nhập mã hồ sơ." in empty.get_data(as_text=True)


def test_the_receipt_prints_the_lookup_address_and_its_qr_code_opens_it(office):
    office.app.config["MOTCUA_PUBLIC_URL"] = "https://motcua.angiang.gov.vn/"
    dossier, pin = _registered(office)
    receipt = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html")
    text = receipt.get_data(as_text=True)
    assert "vào https://motcua.angiang.gov.vn/tra-cuu, nhập mã hồ sơ" in text and pin in text
    from service.dossiers.lookup import public_url

    with office.app.app_context():
        assert public_url(dossier["code"]) == "https://motcua.angiang.gov.vn/tra-cuu?ma=" + dossier["code"]


def test_an_applicant_looks_the_dossier_up_in_the_browser_with_the_receipt(office, page):
    from playwright.sync_api import expect

    dossier, pin = _registered(office)
    page.goto("/tra-cuu?ma=" + dossier["code"])  # what the receipt's QR code opens
    expect(page.get_by_label("Mã hồ sơ")).to_have_value(dossier["code"])
    page.get_by_label("Mã tra cứu (in trên giấy tiếp nhận)").fill(pin)
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_test_id("lookup-status")).to_contain_text("Được tiếp nhận")
    expect(page.get_by_test_id("lookup-steps")).to_contain_text("Kiểm tra tính đầy đủ và thẩm quyền")
    expect(page.get_by_role("link", name="Đăng xuất")).to_have_count(0)  # no session was made
