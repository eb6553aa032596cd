"""A dossier's whole day in the browser: the clerk receives it at the counter and prints the
receipt, the head assigns it, the specialist appraises, the leader approves, records issue the
result and the clerk returns it; every step through the pages only (Debian's Chromium)."""

import io
import re

import pytest

from tests.browser.conftest import IN_CI, PASSWORD, log_in, name_officers, screenshot
from tests.support import QR

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

CODE = re.compile(r"^000\.17\.22\.H56-\d{6}-\d{4}$")
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?$")


@pytest.fixture
def documents_system(tmp_path):
    """The simulator of the agency's documents system, where a signed result is filed before it
    reaches the counter (the dossier model's file_result)."""
    from tests.integrations.simulation import SimulatorProcess

    simulator = SimulatorProcess(tmp_path / "simulator.log")
    yield simulator
    simulator.stop()


@pytest.fixture
def sotp(office, make_officers, tmp_path, monkeypatch, documents_system):
    """The Sở Tư pháp's officers who handle AG-LLTP-01 (the office fixture has its head), its
    signing key (a test authority's, trusted) and the documents system its results are filed in."""
    from tests.integrations.remote import connect
    from tests.pki import Authority, write_keys

    connect(office.app, documents_system)

    make_officers("specialist", "leader", "records", password=PASSWORD)
    keys, roots = write_keys(
        tmp_path / "pki", Authority.create(), {"SO-TP": "Sở Tư pháp tỉnh An Giang"}, b"pw"
    )
    office.app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE", "pw")
    name_officers(office.admin, specialist="Phạm Thị Lan", leader="Võ Thanh Tùng", records="Huỳnh Thị Mai")
    return office


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def log_out(page):
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")


def open_from_worklist(page, task_name, tab="group"):
    """Open a task from the worklist tab ("group": my groups' tasks, "mine": my tasks)."""
    page.goto(f"/ui/?tab={tab}")
    page.get_by_role("link", name=task_name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(task_name)


def claim(page, username):
    page.get_by_role("button", name="Nhận việc").click()
    # The officer by full name, the username on hover.
    expect(page.get_by_test_id("assignee").locator(".person")).to_have_attribute("title", username)


def complete(page):
    page.get_by_role("button", name="Hoàn thành").click()


def test_a_dossier_is_received_printed_appraised_approved_issued_and_returned(page, sotp):
    office = sotp
    # The clerk registers the dossier at the counter, the applicant read from the CCCD QR code.
    log_in(page, "clerk")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Tiếp nhận").click()
    page.get_by_label("Tìm thủ tục (mã hoặc tên)").fill("ly lich tu phap")
    expect(page.get_by_label("Thủ tục hành chính", exact=True)).to_have_value("AG-LLTP-01")
    qr = page.get_by_label("Mã QR trên CCCD")
    qr.press_sequentially(QR)
    qr.press("Enter")  # a scanner ends with Enter: it fills the form, it does not send it
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Ánh")
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_label(re.compile("^Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp")).check()
    page.get_by_label(re.compile("^Bản chụp giấy tờ tùy thân")).check()
    # The check on the same screen: accepted, numbered, Mẫu 01 printed from the counter's page.
    page.get_by_role("radiogroup", name="Kết quả kiểm tra").get_by_role(
        "radio", name=re.compile("^Đầy đủ")
    ).check()
    page.get_by_role("button", name="Ghi nhận hồ sơ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiếp nhận hồ sơ")
    expect(page.get_by_test_id("received-code")).to_have_text(CODE)
    code = page.get_by_test_id("received-code").text_content().strip()
    receipt = page.request.get(page.get_by_test_id("print-mau-01").get_attribute("href"))
    assert receipt.status == 200 and code in pdf_text(receipt.body())
    screenshot(page, "reception-received.png")

    # The digitisation follows, at the clerk's pace, from the counter's panel and back to it.
    page.get_by_test_id("next-step").filter(has_text="Số hóa hồ sơ").click()
    claim(page, "clerk")
    page.get_by_label("Đã số hóa toàn bộ thành phần hồ sơ").check()
    complete(page)
    page.wait_for_url(re.compile(r".*/ui/reception\?received="))
    page.goto(f"/ui/reception/{code}")

    # The receipt (Mẫu 01) carries the dossier's code and due date.
    expect(page.get_by_test_id("dossier-code")).to_have_text(CODE)
    code = page.get_by_test_id("dossier-code").text_content().strip()
    expect(page.get_by_test_id("dossier-due")).to_have_text(DATE)
    receipt = page.request.get(page.get_by_test_id("print-mau-01").get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert code in pdf_text(receipt.body())
    log_out(page)

    # The head of the Sở Tư pháp assigns a specialist.
    log_in(page, "head")
    open_from_worklist(page, "Phân công chuyên viên xử lý")
    expect(page.get_by_test_id("dossier-code")).to_have_text(code)
    claim(page, "head")
    # The specialist is chosen from the unit's list, by name with their open tasks.
    picker = page.get_by_label("Chuyên viên được phân công")
    expect(picker.locator("option", has_text="Phạm Thị Lan")).to_contain_text("việc đang xử lý")
    picker.select_option("specialist")
    complete(page)
    page.wait_for_url("**/ui/")
    log_out(page)

    # The specialist finds the appraisal in "my tasks" (assigned by name) and proposes approval.
    log_in(page, "specialist")
    open_from_worklist(page, "Thẩm định hồ sơ", tab="mine")
    page.get_by_role("radiogroup", name="Đề xuất").get_by_role(
        "radio", name="Đủ điều kiện: trình phê duyệt"
    ).check()
    page.get_by_label("Ý kiến thẩm định").fill("Hồ sơ đủ điều kiện cấp Phiếu lý lịch tư pháp.")
    complete(page)
    page.wait_for_url("**/ui/")
    log_out(page)

    # The leader approves, seeing what the specialist proposed.
    log_in(page, "leader")
    open_from_worklist(page, "Phê duyệt kết quả giải quyết")
    decisions = page.get_by_test_id("decisions")
    expect(decisions.locator("li").first).to_contain_text("Thẩm định hồ sơ")
    expect(decisions.locator("li").first).to_contain_text("Đủ điều kiện: trình phê duyệt")
    expect(decisions.locator("li").first).to_contain_text("Hồ sơ đủ điều kiện cấp Phiếu lý lịch tư pháp.")
    expect(decisions).to_contain_text("Chuyên viên được phân công")
    claim(page, "leader")
    page.get_by_role("radiogroup", name="Quyết định").get_by_role(
        "radio", name="Phê duyệt, ký kết quả"
    ).check()
    complete(page)
    page.wait_for_url("**/ui/")
    log_out(page)

    # Records issue the result.
    log_in(page, "records")
    open_from_worklist(page, "Vào số, phát hành kết quả")
    claim(page, "records")
    page.get_by_label("Số, ký hiệu văn bản kết quả").fill("125/PLLTP")
    page.get_by_label("Ngày ban hành").fill("2026-11-26")
    # The electronic result: the PDF uploaded, then signed with the unit's key (PAdES).
    from service.documents import render_pdf

    page.locator("#attachment-file").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": render_pdf("mau-01", {})}
    )
    page.locator("#attachment-submit").click()
    expect(page.locator("#attachment-status")).to_contain_text("Đã tải lên")
    page.reload()
    page.get_by_role("button", name="Ký số").first.click()
    expect(page.get_by_test_id("signatures").last).to_contain_text("Ký bởi Sở Tư pháp tỉnh An Giang")
    expect(page.get_by_test_id("signatures").last).to_contain_text("hợp lệ")
    page.get_by_label("Số, ký hiệu văn bản kết quả").fill("125/PLLTP")
    page.get_by_label("Ngày ban hành").fill("2026-11-26")
    complete(page)
    page.wait_for_url("**/ui/")
    log_out(page)
    # The workers file the signed result in the agency's documents system.
    from tests.integrations.remote import run_calls

    assert [c[:3] for c in run_calls(sotp.app)] == [("file_result", "edms/file_result", "done")]

    # The clerk returns the result at the counter.
    log_in(page, "clerk")
    open_from_worklist(page, "Trả kết quả cho công dân")
    claim(page, "clerk")
    page.get_by_role("radiogroup", name="Hình thức trả kết quả").get_by_role(
        "radio", name="Trực tiếp tại Bộ phận Một cửa"
    ).check()
    complete(page)
    page.wait_for_url("**/ui/")

    # The dossier page: returned, every step on Mẫu 05, the diagram ending at "returned".
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Hồ sơ").click()
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(page.get_by_text("Đã trả kết quả").first).to_be_visible()
    steps = page.locator("section[aria-labelledby='steps-title'] tbody tr")
    expect(steps).to_have_count(7)  # receive, digitise, assign, appraise, approve, issue, return
    for name in ("Phân công chuyên viên xử lý", "Thẩm định hồ sơ", "Phê duyệt kết quả giải quyết"):
        expect(page.locator("section[aria-labelledby='steps-title']")).to_contain_text(name)
    decisions = page.get_by_test_id("decisions")
    expect(decisions).to_contain_text("125/PLLTP")
    expect(decisions).to_contain_text("26/11/2026")  # the issue date, as dd/mm/yyyy
    expect(decisions).to_contain_text("Trực tiếp tại Bộ phận Một cửa")
    returned = page.locator('g.djs-element[data-element-id="return_result"]')
    expect(returned).to_have_class(re.compile(r"\bmotcua-completed\b"))
    expect(page.locator("g.djs-element.motcua-active")).to_have_count(0)
    screenshot(page, "dossier-returned.png")

    dossier = office.admin.get(f"/api/v1/dossiers/{code}").json
    assert dossier["status"] == 10 and dossier["verdict"] in {"early", "on_time"}
    assert [s["element_id"] for s in dossier["steps"]][:2] == ["receive", "digitise"]
    variables = office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json[
        "variables"
    ]
    assert variables["e_result_signed"] is True  # found by the service, not ticked
