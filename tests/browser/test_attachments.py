"""The digitised components panel of the task page, in Chromium and through the test client."""

import hashlib
import re
import uuid

import pytest

from tests.attachments.test_attachments import pdf_bytes, png_bytes
from tests.browser.conftest import IN_CI, PASSWORD, log_in, screenshot
from tests.support import COMPONENTS

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

DATE = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")


def dossier_task(office) -> str:
    instance_id = office.dossier["process_instance_id"]
    items = office.clerk.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    return items[0]["id"]


def letter_task(office) -> str:
    return office.letters[0]["tasks"][0]["id"]


def upload_api(caller, task_id, data, name):
    import io

    return caller.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_clerk_uploads_a_pdf_for_a_dossier_component_and_sees_its_row(page, office):
    task_id = dossier_task(office)
    pdf = pdf_bytes("To khai")
    log_in(page)
    page.goto(f"/ui/tasks/{task_id}")
    panel = page.get_by_test_id("attachments")
    expect(panel.get_by_role("heading", name="Thành phần hồ sơ số hóa")).to_be_visible()
    expect(panel.get_by_test_id("attachments-empty")).to_have_text("Chưa có tệp nào.")
    expect(panel.get_by_text("Nhận PDF, PNG, JPEG, tối đa 20 MB mỗi tệp.")).to_be_visible()
    component = panel.get_by_label("Thành phần được số hóa")
    expect(component.locator("option")).to_have_text(["— Không chọn —", COMPONENTS[0]["name"]])

    component.select_option(COMPONENTS[0]["name"])
    panel.get_by_label("Tệp (PDF hoặc ảnh)").set_input_files(
        {"name": "Tờ khai LLTP.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    panel.get_by_role("button", name="Tải lên").click()
    expect(panel.locator("#attachment-status")).to_have_text("Đã tải lên “Tờ khai LLTP.pdf”.")
    rows = panel.locator("tr.attachment-row")
    expect(rows).to_have_count(1)
    expect(panel.get_by_test_id("attachments-empty")).to_be_hidden()
    row = rows.first
    sha = hashlib.sha256(pdf).hexdigest()
    expect(row.get_by_role("link", name="Tờ khai LLTP.pdf")).to_be_visible()
    expect(row).to_contain_text(COMPONENTS[0]["name"])
    expect(row.locator("code")).to_have_text(sha[:12])
    expect(row.locator("code")).to_have_attribute("title", sha)
    expect(row).to_contain_text("Trần Thị Bình")
    expect(row.locator("time")).to_have_text(DATE)
    expect(panel.get_by_label("Tệp (PDF hoặc ảnh)")).to_have_value("")

    # The link downloads the same bytes, with the session of the page.
    with page.expect_download() as info:
        row.get_by_role("link", name="Tờ khai LLTP.pdf").click()
    download = info.value
    assert download.suggested_filename == "Tờ khai LLTP.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == pdf

    # After a reload, the row comes from the server, the same as the script drew it.
    drawn = row.inner_text()
    page.reload()
    expect(page.locator("tr.attachment-row")).to_have_count(1)
    assert page.locator("tr.attachment-row").first.inner_text() == drawn
    screenshot(page, "task-attachments.png")


def test_a_wrong_type_and_an_oversize_file_show_their_errors_in_the_page(page, office):
    task_id = letter_task(office)
    office.app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 64 * 1024
    log_in(page)
    page.goto(f"/ui/tasks/{task_id}")
    panel = page.get_by_test_id("attachments")
    expect(panel.get_by_label("Thành phần được số hóa")).to_have_count(0)  # not a dossier
    file_input = panel.get_by_label("Tệp (PDF hoặc ảnh)")
    button = panel.get_by_role("button", name="Tải lên")

    button.click()
    expect(panel.get_by_role("alert")).to_have_text("Vui lòng chọn một tệp.")

    # An HTML page named .pdf: the server looks at its content and refuses it.
    file_input.set_input_files(
        {"name": "x.pdf", "mimeType": "application/pdf", "buffer": b"<!doctype html><p>not a pdf</p>"}
    )
    button.click()
    message = "Tệp “x.pdf” không đúng định dạng. Chỉ nhận: PDF, PNG, JPEG."
    expect(panel.get_by_role("alert")).to_have_text(message)
    expect(panel.locator("#attachment-file-error")).to_have_text(message)
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(file_input).to_have_attribute("aria-describedby", "attachment-hint attachment-file-error")

    # Too large for the page's limit: refused before anything is sent.
    big = pdf_bytes() + b"%" + b"x" * (80 * 1024)
    file_input.set_input_files({"name": "lon.pdf", "mimeType": "application/pdf", "buffer": big})
    button.click()
    expect(panel.get_by_role("alert")).to_have_text(
        re.compile(r"^Tệp “lon\.pdf” có dung lượng 8\d,\d KB, vượt quá giới hạn 64 KB\.$")
    )
    expect(panel.locator(".field-error")).to_have_count(1)

    # The server's own limit (lowered after the page was drawn) answers 413, shown the same way.
    office.app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 4 * 1024
    medium = pdf_bytes() + b"%" + b"x" * (8 * 1024)
    file_input.set_input_files({"name": "vua.pdf", "mimeType": "application/pdf", "buffer": medium})
    button.click()
    expect(panel.get_by_role("alert")).to_contain_text("Tệp “vua.pdf” có dung lượng")
    expect(panel.locator("tr.attachment-row")).to_have_count(0)

    # A right file then goes through, and the errors go away.
    office.app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 64 * 1024
    file_input.set_input_files({"name": "anh.png", "mimeType": "image/png", "buffer": png_bytes()})
    button.click()
    expect(panel.locator("tr.attachment-row")).to_have_count(1)
    expect(panel.get_by_role("alert")).to_be_hidden()
    expect(panel.locator(".field-error")).to_have_count(0)
    expect(panel.locator("tr.attachment-row").first).to_contain_text("—")  # no component


def test_the_panel_is_in_english_with_lang_en(page, office):
    log_in(page)
    page.goto(f"/ui/tasks/{dossier_task(office)}?lang=en")
    panel = page.get_by_test_id("attachments")
    expect(panel.get_by_role("heading", name="Digitised dossier components")).to_be_visible()
    panel.get_by_label("File (PDF or image)").set_input_files(
        {"name": "a.html", "mimeType": "text/html", "buffer": b"<p>x</p>"}
    )
    panel.get_by_role("button", name="Upload").click()
    expect(panel.get_by_role("alert")).to_have_text(
        "The file “a.html” is not of an accepted type. Accepted: PDF, PNG, JPEG."
    )


# --- the task page through the test client ------------------------------------------------------


def session_client(office, username):
    client = office.app.test_client()
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return client


def test_the_list_is_shown_without_an_upload_control_when_the_user_may_not_add_files(office):
    task_id = letter_task(office)
    assert upload_api(office.clerk, task_id, pdf_bytes(), "cong-van.pdf").status_code == 201
    assert office.other.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200

    page = session_client(office, "clerk").get(f"/ui/tasks/{task_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cong-van.pdf" in html and 'id="attachment-form"' not in html
    assert "js/attachments.js" not in html
    assert upload_api(office.clerk, task_id, png_bytes(), "b.png").status_code == 409

    page = session_client(office, "other_clerk").get(f"/ui/tasks/{task_id}")
    assert 'id="attachment-form"' in page.get_data(as_text=True)


def test_a_user_who_may_not_see_the_task_gets_no_page_and_no_file(office):
    task_id = letter_task(office)
    created = upload_api(office.clerk, task_id, pdf_bytes(), "mat.pdf").json
    head = session_client(office, "head")
    assert head.get(f"/ui/tasks/{task_id}").status_code == 403
    assert head.get(created["download_url"]).status_code == 403
    assert head.get(f"/ui/tasks/{uuid.uuid4()}").status_code == 404
