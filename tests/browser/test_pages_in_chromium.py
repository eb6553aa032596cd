"""The web pages in a real browser (Debian's Chromium through Playwright) against a live server."""

import re
import uuid

import pytest

from tests.browser.conftest import IN_CI, PASSWORD, log_in, screenshot

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

DATE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def field_error(page, name):
    """The message shown under the form field `name` (inside that field's own container)."""
    return page.locator(f'[data-schemapath="root.{name}"] .field-error')


def _task(office, task_id):
    from service.extensions import db
    from service.tasks.models import Task

    with office.app.app_context():
        task = db.session.get(Task, uuid.UUID(task_id))
        db.session.expunge(task)
        return task


def test_a_wrong_password_shows_an_error_then_the_clerk_logs_in(page):
    page.goto("/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=/ui/$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")
    screenshot(page, "login.png")

    page.get_by_label("Tên đăng nhập").fill("clerk")
    page.get_by_label("Mật khẩu").fill("khong-dung")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("clerk")
    expect(page.get_by_label("Mật khẩu")).to_have_value("")

    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/ui/")
    expect(page.get_by_test_id("user")).to_have_text("Trần Thị Bình")
    expect(page.get_by_test_id("unit")).to_have_text("Trung tâm Phục vụ hành chính công")
    expect(page.get_by_role("navigation", name="Điều hướng chính")).to_contain_text("Công việc")


def test_a_clerk_claims_a_task_fails_then_completes_its_form(page, office):
    log_in(page)
    expect(page.get_by_test_id("count-mine")).to_have_text("0")
    expect(page.get_by_test_id("count-group")).to_have_text("3")
    expect(page.get_by_test_id("empty")).to_have_text("Không có công việc nào.")

    page.get_by_role("link", name=re.compile("^Việc của nhóm")).click()
    rows = page.locator("tr.task-row")
    expect(rows).to_have_count(3)
    for index, (status, label) in enumerate(
        (("late", "Quá hạn"), ("due_soon", "Sắp đến hạn"), ("early", "Còn hạn"))
    ):
        expect(rows.nth(index)).to_have_class(re.compile(rf"\bdue-{status}\b"))
        expect(rows.nth(index).get_by_test_id("due")).to_have_text(label)
        expect(rows.nth(index).locator("time")).to_have_count(2)  # created, due
        for moment in rows.nth(index).locator("time").all():
            expect(moment).to_have_text(DATE)
    screenshot(page, "worklist.png")

    letter = rows.filter(has_text="VB-2025-001")
    task_id = letter.get_attribute("data-task-id")
    letter.get_by_role("button", name=re.compile("^Nhận việc")).click()
    expect(page.locator("#messages")).to_contain_text("Đã nhận việc.")
    expect(page.get_by_test_id("count-mine")).to_have_text("1")
    expect(page.get_by_test_id("count-group")).to_have_text("2")
    assert _task(office, task_id).assignee.username == "clerk"

    page.get_by_role("link", name=re.compile("^Việc của tôi")).click()
    page.locator(f'tr[data-task-id="{task_id}"]').get_by_role("link", name="Tiếp nhận văn bản").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiếp nhận văn bản")
    expect(page.get_by_test_id("instructions")).to_have_text("Kiểm tra và vào sổ văn bản đến.")
    expect(page.get_by_test_id("assignee")).to_have_text("Trần Thị Bình")
    expect(page.get_by_test_id("assignee").locator(".person")).to_have_attribute("title", "clerk")

    title = page.get_by_label("Trích yếu")
    title.fill("ab")  # the schema wants at least 3 characters, and a sender
    page.get_by_role("button", name="Hoàn thành").click()
    expect(field_error(page, "title")).to_have_text("Cần ít nhất 3 ký tự.")
    expect(field_error(page, "sender")).to_have_text("Trường này là bắt buộc.")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-errors")).to_contain_text("Trích yếu: Cần ít nhất 3 ký tự.")
    assert _task(office, task_id).state == "open"

    title.fill("Công văn số 12 về cải cách hành chính")
    page.get_by_label("Cơ quan gửi").fill("Sở Tư pháp")
    page.get_by_label("Số trang").fill("3")
    page.get_by_role("button", name="Hoàn thành").click()
    page.wait_for_url("**/ui/")
    expect(page.locator("#messages")).to_contain_text("Đã hoàn thành công việc «Tiếp nhận văn bản».")
    expect(page.get_by_test_id("count-mine")).to_have_text("0")
    done = _task(office, task_id)
    assert (done.state, done.completed_by_id is not None) == ("completed", True)
    instance = office.clerk.get(f"/api/v1/process-instances/{done.instance_id}").json
    assert instance["variables"]["title"] == "Công văn số 12 về cải cách hành chính"
    assert instance["variables"]["pages"] == 3


def test_a_dossier_task_shows_the_dossier_and_its_conditional_fields(page, office):
    log_in(page)
    page.goto("/ui/?tab=group")
    page.get_by_role("link", name="Kiểm tra tính đầy đủ và thẩm quyền").click()
    dossier = page.get_by_test_id("dossier")
    expect(dossier).to_contain_text("AG-LLTP-01")
    expect(dossier).to_contain_text("Cấp Phiếu lý lịch tư pháp")
    expect(dossier).to_contain_text("Nguyễn Thị Ánh")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Mới đăng ký")
    page.get_by_role("button", name="Nhận việc").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Trần Thị Bình")
    expect(page.get_by_test_id("assignee").locator(".person")).to_have_attribute("title", "clerk")

    decision = page.get_by_role("radiogroup", name="Kết quả kiểm tra")
    expect(decision.get_by_role("radio", checked=True)).to_have_count(0)  # nothing chosen for the clerk
    expect(page.get_by_label("Nội dung hướng dẫn")).to_be_hidden()
    decision.get_by_role("radio", name=re.compile("Chưa đầy đủ")).check()
    expect(page.get_by_label("Nội dung hướng dẫn")).to_be_visible()
    page.get_by_role("button", name="Hoàn thành").click()
    expect(field_error(page, "guidance")).to_have_text("Trường này là bắt buộc.")
    expect(field_error(page, "missing_items")).to_have_text("Trường này là bắt buộc.")

    decision.get_by_role("radio", name=re.compile("^Đầy đủ")).check()
    page.get_by_role("button", name="Hoàn thành").click()
    page.wait_for_url("**/ui/")
    expect(page.locator("#messages")).to_contain_text("Đã hoàn thành công việc")

    page.goto("/ui/?tab=group")
    page.get_by_role("link", name=re.compile("^Số hóa hồ sơ")).click()
    expect(page.get_by_test_id("dossier-code")).to_have_text(re.compile(r"^000\.17\.22\.H56-\d{6}-\d{4}$"))
    expect(page.get_by_test_id("dossier-due")).to_have_text(DATE)
    expect(page.get_by_test_id("dossier-status")).to_have_text("Được tiếp nhận")
    screenshot(page, "task.png")


def test_the_language_switch_to_english_holds_for_the_session(page):
    log_in(page)
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks")
    expect(page.get_by_role("link", name=re.compile("^My tasks"))).to_be_visible()

    page.goto("/ui/?tab=group")  # no ?lang: the session remembers
    expect(page.locator("tr.task-row").first.get_by_test_id("due")).to_have_text("Overdue")
    page.locator("tr.task-row").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Instructions")).to_be_visible()
    page.get_by_role("button", name="Complete").click()
    expect(field_error(page, "title")).to_have_text("This field is required.")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")  # the choice outlives the session
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")


def test_a_link_to_a_task_leads_through_the_login_back_to_the_task(page, office):
    task_id = office.clerk.get("/api/v1/tasks?candidate_group=reception").json["items"][0]["id"]
    page.goto(f"/ui/tasks/{task_id}")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    page.get_by_label("Tên đăng nhập").fill("clerk")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/ui/tasks/{task_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
