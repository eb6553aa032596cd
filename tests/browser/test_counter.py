"""The counter in one screen (service/ui/counter.py): the clerk registers, checks and accepts (or
guides with Mẫu 02, or refuses with Mẫu 03) on one form and prints the slip from the same page; the
digitisation follows at the clerk's pace and still comes before the processing unit gets the dossier.
Through Flask's test client; tests/browser/test_counter_chromium.py walks it in Chromium."""

from __future__ import annotations

import pytest

from tests.browser.test_reception import (
    CODE,
    FORM_LLTP,
    ID_COPY,
    csrf_of,
    dossiers_of,
    html,
    pdf_text,
    post_form,
    session_for,
)
from tests.support import QR


@pytest.fixture
def clerk_client(office, client):
    session_for(client)
    return client, csrf_of(client, "/ui/reception")


def tasks_of(office, dossier):
    return office.admin.get(f"/api/v1/tasks?process_instance_id={dossier.instance_id}").json["items"]


def test_accepting_at_the_counter_numbers_the_dossier_and_mau_01_prints_from_the_same_page(
    office, clerk_client
):
    client, token = clerk_client
    response = post_form(client, token, cccd_qr=QR, components=["0", "1"], decision="accept")

    assert response.status_code == 302
    dossier = dossiers_of(office.app)[-1]
    assert CODE.match(dossier.code) and dossier.status == 2 and dossier.due_at is not None
    assert response.headers["Location"] == f"/ui/reception?received={dossier.code}"
    page = html(client.get(response.headers["Location"]))
    assert "<h1>Tiếp nhận hồ sơ</h1>" in page and 'id="reception-form"' in page  # ready for the next one
    assert f"Đã tiếp nhận hồ sơ {dossier.code} của Nguyễn Thị Ánh." in page
    assert f'href="/api/v1/dossiers/{dossier.code}/documents/mau-01?format=pdf"' in page
    pdf = client.get(f"/api/v1/dossiers/{dossier.code}/documents/mau-01?format=pdf")
    assert pdf.status_code == 200 and dossier.code in pdf_text(pdf.data)
    # Digitisation follows at the clerk's pace; the processing unit gets nothing before it is done.
    open_steps = [t["element_id"] for t in tasks_of(office, dossier)]
    assert open_steps == ["digitise"]
    assert 'data-testid="next-step"' in page and "Số hóa hồ sơ" in page


def test_guiding_at_the_counter_ends_the_dossier_unnumbered_with_mau_02_naming_the_missing_items(
    office, clerk_client
):
    client, token = clerk_client
    response = post_form(
        client,
        token,
        cccd_qr=QR,
        components=["1"],
        decision="guide",
        other_missing="Ảnh 4x6",
        guidance="Bổ sung tờ khai có chữ ký.",
    )

    assert response.status_code == 302, html(response)
    dossier = dossiers_of(office.app)[-1]
    assert (dossier.code, dossier.outcome) == (None, "guided")
    assert tasks_of(office, dossier) == []
    page = html(client.get(response.headers["Location"]))
    assert 'data-testid="print-mau-02"' in page
    slip = client.get(f"/api/v1/dossiers/{dossier.id}/documents/mau-02?format=html")
    assert slip.status_code == 200
    assert FORM_LLTP in html(slip) and "Ảnh 4x6" in html(slip) and ID_COPY not in html(slip)


def test_refusing_at_the_counter_gives_status_3_and_mau_03_with_the_reason(office, clerk_client):
    client, token = clerk_client
    response = post_form(
        client,
        token,
        cccd_qr=QR,
        components=["0", "1"],
        decision="refuse",
        refusal_reason="Không thuộc thẩm quyền.",
    )

    assert response.status_code == 302
    dossier = dossiers_of(office.app)[-1]
    assert dossier.status == 3
    page = html(client.get(response.headers["Location"]))
    assert 'data-testid="print-mau-03"' in page and "print-mau-01" not in page
    slip = client.get(f"/api/v1/dossiers/{dossier.id}/documents/mau-03?format=html")
    assert "Không thuộc thẩm quyền." in html(slip)


def test_what_a_decision_needs_is_asked_for_and_nothing_is_received_meanwhile(office, clerk_client):
    client, token = clerk_client
    before = len(dossiers_of(office.app))

    incomplete = post_form(client, token, cccd_qr=QR, components=["1"], decision="accept")
    no_reason = post_form(client, token, cccd_qr=QR, components=["0", "1"], decision="refuse")
    no_guidance = post_form(client, token, cccd_qr=QR, components=["0", "1"], decision="guide")

    assert incomplete.status_code == 422
    assert f"Không thể tiếp nhận khi còn thiếu thành phần bắt buộc: {FORM_LLTP}." in html(incomplete)
    assert no_reason.status_code == 422 and "Vui lòng nêu rõ lý do từ chối tiếp nhận." in html(no_reason)
    assert no_guidance.status_code == 422
    assert "Ghi rõ thành phần cần bổ sung, hoàn thiện" in html(no_guidance)
    assert "Vui lòng nhập nội dung hướng dẫn." in html(no_guidance)
    assert len(dossiers_of(office.app)) == before


def test_recording_only_leaves_the_check_for_later_as_before(office, clerk_client):
    client, token = clerk_client
    response = post_form(client, token, cccd_qr=QR, components=["0", "1"], decision="later")

    dossier = dossiers_of(office.app)[-1]
    assert response.headers["Location"] == f"/ui/reception/{dossier.id}"
    assert dossier.status == 1 and [t["element_id"] for t in tasks_of(office, dossier)] == ["receive"]


def test_the_received_panel_shows_only_a_dossier_the_clerk_may_see(office, clerk_client, make_user):
    client, token = clerk_client
    post_form(client, token, cccd_qr=QR, components=["0", "1"], decision="accept")
    code = dossiers_of(office.app)[-1].code
    make_user("far_clerk", groups=["reception"], unit="UBND-XA", password="mat-khau-demo")
    other = office.app.test_client()
    session_for(other, "far_clerk")

    assert 'data-testid="received"' not in html(other.get(f"/ui/reception?received={code}"))
    assert 'data-testid="received"' in html(client.get(f"/ui/reception?received={code}"))


def test_in_chromium_the_clerk_guides_at_the_counter_seeing_only_the_guidance_fields(page, office):
    import re

    from playwright.sync_api import expect

    from tests.browser.conftest import log_in

    log_in(page, "clerk")
    page.goto("/ui/reception?procedure=AG-LLTP-01")
    page.get_by_label("Họ và tên").fill("Lê Thị Cúc")
    page.get_by_label(re.compile("^Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp")).check()
    guidance = page.get_by_label("Nội dung hướng dẫn")
    reason = page.get_by_label("Lý do từ chối tiếp nhận")
    expect(guidance).to_be_hidden()
    expect(reason).to_be_hidden()
    page.get_by_role("radiogroup", name="Kết quả kiểm tra").get_by_role(
        "radio", name=re.compile("^Chưa đầy đủ")
    ).check()
    expect(guidance).to_be_visible()
    expect(reason).to_be_hidden()
    guidance.fill("Bổ sung bản chụp giấy tờ tùy thân.")
    page.get_by_role("button", name="Ghi nhận hồ sơ").click()

    expect(page.get_by_test_id("received")).to_contain_text("Lê Thị Cúc")
    slip = page.request.get(page.get_by_test_id("print-mau-02").get_attribute("href").replace("pdf", "html"))
    assert slip.status == 200 and ID_COPY in slip.text()


def test_the_counters_decisions_speak_english_in_english_mode(office, clerk_client):
    client, _token = clerk_client
    page = html(client.get("/ui/reception?lang=en"))
    assert "Result of the check" in page
    assert "Complete and within our competence: accept, number and print the receipt (Form 01)" in page
    assert "Kết quả kiểm tra" not in page
