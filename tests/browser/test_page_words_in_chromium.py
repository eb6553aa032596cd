"""What the pages say, in Chromium: Vietnamese validation messages beside the fields, fields shown
only when they apply (and not sent when hidden), the claim message replaced by later errors, the
lanes of the diagram named by their groups' words, and no request of the pages or slips left
unanswered (the icon)."""

import re

import pytest

from tests.browser.conftest import IN_CI, log_in
from tests.browser.test_dossier_pages import accept

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)


def field_error(page, name):
    return page.locator(f'[data-schemapath="root.{name}"] .field-error')


def receive_task_id(office) -> str:
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}")
    return next(t["id"] for t in tasks.json["items"] if t["element_id"] == "receive")


def test_a_clerk_meets_vietnamese_messages_and_only_the_fields_that_apply(page, office):
    log_in(page)
    page.goto(f"/ui/tasks/{receive_task_id(office)}")
    page.get_by_role("button", name="Nhận việc").click()
    expect(page.locator("#messages")).to_contain_text("Đã nhận việc.")

    # Nothing chosen: the error is in Vietnamese, named by the field's label, and the claim's
    # message no longer stands above it.
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#form-errors")).to_contain_text("Kết quả kiểm tra: Trường này là bắt buộc.")
    expect(page.locator("#messages")).to_be_empty()

    decision = page.get_by_role("radiogroup", name="Kết quả kiểm tra")
    guidance = page.get_by_label("Nội dung hướng dẫn")
    refusal = page.get_by_label("Lý do từ chối tiếp nhận")
    expect(guidance).to_be_hidden()
    expect(refusal).to_be_hidden()
    decision.get_by_role("radio", name=re.compile("^Không đủ điều kiện")).check()
    expect(refusal).to_be_visible()
    expect(guidance).to_be_hidden()
    refusal.fill("Không thuộc thẩm quyền.")  # then the clerk changes their mind

    decision.get_by_role("radio", name=re.compile("^Chưa đầy đủ")).check()
    expect(refusal).to_be_hidden()
    expect(guidance).to_be_visible()
    guidance.fill("Bổ sung bản chụp giấy tờ tùy thân.")
    # The items to complete are the procedure's components, ticked (a picker: no item typed twice;
    # a repeated item's Vietnamese message is checked through the API in test_form_messages.py).
    items = page.locator('[data-schemapath="root.missing_items"]')
    items.get_by_role("checkbox").first.check()

    decision.get_by_role("radio", name=re.compile("^Đầy đủ")).check()
    expect(guidance).to_be_hidden()
    page.get_by_role("button", name="Hoàn thành").click()
    page.wait_for_url("**/ui/")
    dossier = office.clerk.get(f"/api/v1/dossiers/{office.dossier['id']}").json
    variables = office.clerk.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json[
        "variables"
    ]
    # What was typed in the fields that no longer applied was not sent.
    assert variables["reception_decision"] == "accept"
    assert "refusal_reason" not in variables and "guidance" not in variables
    assert "missing_items" not in variables


def test_the_diagram_names_lanes_by_their_groups_and_nothing_is_left_unanswered(page, office):
    dossier = accept(office)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    log_in(page)
    page.goto(f"/ui/dossiers/{dossier['code']}")
    diagram = page.locator("[data-diagram-url]")
    expect(diagram).to_have_attribute("data-state", "ready")
    lanes = page.locator('g.djs-element[data-element-id="lane_reception"] text, .djs-shape text')
    expect(lanes.filter(has_text="Bộ phận Một cửa").first).to_be_visible()
    expect(page.locator('.djs-element text:text-is("reception")')).to_have_count(0)

    decisions = page.get_by_test_id("decisions")
    expect(decisions).to_contain_text("Đầy đủ, đúng thẩm quyền: tiếp nhận")
    expect(decisions).not_to_contain_text(re.compile(r"dossier_code|due_at|\d{4}-\d{2}-\d{2}T"))
    expect(decisions.locator(".person").first).to_have_attribute("title", "clerk")

    page.goto(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html")
    expect(page.locator("body")).to_contain_text(dossier["code"])
    page.goto("/ui/")
    assert missing == [], missing
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_a_slip_refused_in_the_browser_is_a_page_with_a_way_to_log_in(page, office):
    dossier = accept(office)
    page.goto(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lỗi 401")
    expect(page.locator("main")).to_contain_text("Phiên làm việc đã hết hạn hoặc bạn chưa đăng nhập.")
    page.get_by_test_id("error-action").click()
    page.get_by_label("Tên đăng nhập").fill("clerk")
    page.get_by_label("Mật khẩu").fill("mat-khau-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/ui/dossiers/{dossier['code']}")
