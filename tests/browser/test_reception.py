"""The reception counter (/ui/reception) and its result page: receiving a dossier the way the API
does, with the applicant read from a CCCD QR string, and printing Mẫu 01.

First through Flask's test client (permissions, every error next to its field with nothing lost,
the dossier created), then in Debian's Chromium: a clerk receives a dossier and prints the receipt.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PASSWORD, log_in, screenshot
from tests.support import QR

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CODE = re.compile(r"^000\.17\.22\.H56-\d{6}-\d{4}$")
DATE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")
LLTP = "AG-LLTP-01"
# The catalogue's components of AG-LLTP-01 (data/procedures.json): two required, one optional.
FORM_LLTP = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)"
ID_COPY = "Bản chụp giấy tờ tùy thân (Căn cước công dân/Hộ chiếu)"
RESIDENCE = "Bản chụp giấy tờ chứng minh nơi cư trú"


# --- helpers -------------------------------------------------------------------------------------


def session_for(client, username="clerk", password=PASSWORD) -> None:
    """Log the test client in through the login page."""
    token = CSRF.search(client.get("/ui/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/ui/login", data={"csrf_token": token, "username": username, "password": password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_of(client, url="/ui/") -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def post_form(client, token, **fields):
    data = {
        "csrf_token": token,
        "procedure": LLTP,
        "channel": "counter",
        "cccd_qr": "",
        "name": "",
        "id_number": "",
        "birth_date": "",
        "sex": "",
        "address": "",
        "phone": "",
        "email": "",
        "action": "receive",
        **fields,
    }
    return client.post("/ui/reception", data=data)


def html(response) -> str:
    return response.get_data(as_text=True)


def field_error(page_html: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>([^<]*)</p>', page_html)
    return match.group(1).strip() if match else None


def value_of(page_html: str, field: str) -> str | None:
    match = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', page_html)
    if not match:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def checked(page_html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="components" value="(\d+)"[^>]*\bchecked', page_html)


def dossiers_of(app):
    from service.dossiers.models import Dossier
    from service.extensions import db

    with app.app_context():
        rows = list(db.session.scalars(sa.select(Dossier).order_by(Dossier.submitted_at)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def clerk_client(office, client):
    """The test client with the clerk's session, and the page's CSRF token."""
    session_for(client)
    return client, csrf_of(client, "/ui/reception")


# --- the server: permissions ---------------------------------------------------------------------


def test_only_reception_officers_and_admins_may_use_the_counter(office, client, make_user):
    before = len(dossiers_of(office.app))
    session_for(client, "head")  # unit_heads: may not receive, as POST /api/v1/dossiers says
    token = csrf_of(client)
    assert client.get("/ui/reception").status_code == 403
    refused = post_form(client, token, cccd_qr=QR, components=["0", "1"])
    assert refused.status_code == 403
    assert "Bạn không có quyền xem trang này." in html(refused)
    assert len(dossiers_of(office.app)) == before
    # The head of the handling unit sees its procedure's dossier; a head of an unrelated unit does not.
    assert client.get(f"/ui/reception/{office.dossier['id']}").status_code == 200
    client.post("/ui/logout", data={"csrf_token": token})
    make_user("outsider", groups=["unit_heads"], unit="OTHER-UNIT", password=PASSWORD)
    session_for(client, "outsider")
    token = csrf_of(client)
    assert client.get(f"/ui/reception/{office.dossier['id']}").status_code == 403

    client.post("/ui/logout", data={"csrf_token": token})
    session_for(client, "clerk")
    page = client.get("/ui/reception")
    assert page.status_code == 200
    assert f'<option value="{LLTP}">' in html(page)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_page_needs_a_session_and_its_csrf_token(office, client):
    response = client.get("/ui/reception")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/ui/login?next=/ui/reception"
    )
    session_for(client)
    before = len(dossiers_of(office.app))
    refused = post_form(client, "not-the-token", cccd_qr=QR, components=["0", "1"])
    assert refused.status_code == 400
    assert len(dossiers_of(office.app)) == before


# --- the server: errors next to their fields, nothing lost ---------------------------------------


def test_an_invalid_qr_string_is_explained_next_to_its_field_and_everything_typed_stays(office, clerk_client):
    client, token = clerk_client
    before = len(dossiers_of(office.app))
    response = post_form(
        client,
        token,
        cccd_qr="08919000012|352123456|Nguyễn Thị Ánh|15071990|Nữ|An Giang|01052021",
        name="Nguyễn Thị Ánh",
        phone="0912345678",
        email="anh@example.vn",
        channel="post",
        components=["0", "2"],
    )
    assert response.status_code == 422
    page = html(response)
    assert field_error(page, "cccd_qr") == "Số CCCD trong mã QR phải gồm 12 chữ số."
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*id="cccd_qr"[^>]*>', page).group(0)
    assert value_of(page, "cccd_qr").startswith("08919000012|")
    assert (value_of(page, "name"), value_of(page, "phone"), value_of(page, "email")) == (
        "Nguyễn Thị Ánh",
        "0912345678",
        "anh@example.vn",
    )
    assert '<option selected value="post">' in page
    assert f'<option selected value="{LLTP}">' in page
    assert checked(page) == ["0", "2"]
    assert "Chưa tiếp nhận được hồ sơ" in page  # the summary at the top links to each field
    assert len(dossiers_of(office.app)) == before

    wrong_fields = post_form(client, token, cccd_qr="a|b|c", action="read_qr", phone="0912345678")
    assert wrong_fields.status_code == 422
    assert field_error(html(wrong_fields), "cccd_qr") == (
        "Mã QR của CCCD gồm 7 trường ngăn cách bởi dấu “|”; chuỗi này có 3 trường."
    )
    assert value_of(html(wrong_fields), "phone") == "0912345678"
    too_long = post_form(client, token, cccd_qr="1" * 1001, name="Lê Văn Bình")
    assert field_error(html(too_long), "cccd_qr") == "Chuỗi mã QR dài quá 1000 ký tự."
    assert value_of(html(too_long), "name") == "Lê Văn Bình"


def test_reading_the_qr_without_javascript_fills_the_card_fields_and_keeps_the_others(office, clerk_client):
    client, token = clerk_client
    response = post_form(
        client, token, cccd_qr=QR, name="Tên gõ nhầm", phone="0912345678", components=["1"], action="read_qr"
    )
    assert response.status_code == 200
    page = html(response)
    assert "Đã điền thông tin người nộp từ mã QR." in page
    assert value_of(page, "name") == "Nguyễn Thị Ánh"  # the card wins when the clerk asks to read it
    assert value_of(page, "id_number") == "089190000123"
    assert value_of(page, "birth_date") == "15/07/1990"
    assert value_of(page, "address") == "Số 12 Trần Hưng Đạo, An Giang"
    assert '<option selected value="Nữ">' in page
    assert value_of(page, "phone") == "0912345678"
    assert checked(page) == ["1"]
    assert field_error(page, "name") is None  # reading the card is not receiving: no other complaints
    assert "Chưa đánh dấu" not in page


def test_without_javascript_choosing_a_procedure_shows_its_components_and_facts(office, clerk_client):
    client, token = clerk_client
    empty = html(client.get("/ui/reception"))
    assert "Chọn thủ tục để hiện thành phần hồ sơ." in empty and checked(empty) == []
    response = post_form(client, token, procedure="AG-KS-01", name="Lê Văn Bình", action="choose")
    assert response.status_code == 200
    page = html(response)
    assert "Tờ khai đăng ký khai sinh" in page and "Giấy chứng sinh" in page
    assert "1 ngày làm việc" in page and "Miễn lệ phí" in page
    assert value_of(page, "name") == "Lê Văn Bình"
    assert 'aria-invalid="true"' not in page and "Chưa tiếp nhận được hồ sơ" not in page
    assert len(dossiers_of(office.app)) == 1
    english = html(client.get("/ui/reception?procedure=AG-KS-01&lang=en"))
    assert "<h1>Receive a dossier</h1>" in english and "1 working day<" in english


def test_missing_required_components_are_named_until_the_clerk_records_an_incomplete_dossier(
    office, clerk_client
):
    client, token = clerk_client
    before = len(dossiers_of(office.app))
    response = post_form(client, token, cccd_qr=QR, components=["2"])
    assert response.status_code == 422
    page = html(response)
    assert f"Chưa đánh dấu thành phần bắt buộc: {FORM_LLTP}; {ID_COPY}." in page
    assert checked(page) == ["2"]
    assert value_of(page, "cccd_qr") == QR
    assert 'name="incomplete"' in page  # the way to record it anyway, for a Mẫu 02 guidance
    assert len(dossiers_of(office.app)) == before

    recorded = post_form(client, token, cccd_qr=QR, components=["2"], incomplete="y")
    assert recorded.status_code == 302
    dossier = dossiers_of(office.app)[-1]
    assert [c["name"] for c in dossier.components] == [RESIDENCE]
    done = html(client.get(recorded.headers["Location"]))
    assert f"Còn thiếu thành phần bắt buộc: {FORM_LLTP}; {ID_COPY}." in done


def test_an_unknown_procedure_and_a_missing_name_are_shown_next_to_their_fields(office, clerk_client):
    client, token = clerk_client
    before = len(dossiers_of(office.app))
    response = post_form(client, token, procedure="XX-KHONG-CO", phone="0912345678", components=["0"])
    assert response.status_code == 422
    page = html(response)
    assert field_error(page, "procedure") == "Thủ tục này không có trong danh mục hoặc đã ngừng áp dụng."
    assert field_error(page, "name") == "Vui lòng nhập họ tên người nộp hoặc quét mã QR trên CCCD."
    assert value_of(page, "phone") == "0912345678"

    nothing = post_form(client, token, procedure="", name="Lê Văn Bình")
    assert field_error(html(nothing), "procedure") == "Vui lòng chọn thủ tục hành chính."
    assert value_of(html(nothing), "name") == "Lê Văn Bình"

    formats = post_form(
        client,
        token,
        name="Lê Văn Bình",
        id_number="12ab",
        phone="x",
        email="khong-phai-email",
        birth_date="31/02/1990",
        components=["0", "1"],
    )
    page = html(formats)
    assert field_error(page, "birth_date") == "Ngày sinh không hợp lệ: nhập theo dạng dd/mm/yyyy."
    assert field_error(page, "id_number") == "Số CCCD/CMND gồm 12 (hoặc 9) chữ số."
    assert field_error(page, "phone") == "Số điện thoại chỉ gồm chữ số (từ 6 đến 20 ký tự)."
    assert field_error(page, "email") == "Địa chỉ email không hợp lệ."
    assert len(dossiers_of(office.app)) == before

    client.get("/ui/reception?lang=en")
    english = post_form(client, token, procedure="XX-KHONG-CO", name="A")
    assert (
        field_error(html(english), "procedure")
        == "This procedure is not in the catalogue or is no longer in use."
    )


def test_a_valid_form_receives_the_dossier_as_the_api_does_and_mau_01_follows_acceptance(
    office, clerk_client
):
    client, token = clerk_client
    response = post_form(client, token, cccd_qr=QR, phone="0912345678", components=["0", "1"])
    assert response.status_code == 302
    dossier = dossiers_of(office.app)[-1]
    assert response.headers["Location"] == f"/ui/reception/{dossier.id}"
    assert (dossier.status, dossier.code, dossier.channel) == (1, None, "counter")
    assert [c["name"] for c in dossier.components] == [FORM_LLTP, ID_COPY]
    assert dossier.components[0] == {"name": FORM_LLTP, "form": "Bản chính", "quantity": 1}
    assert dossier.applicant == {
        "id_number": "089190000123",
        "old_id_number": "352123456",
        "name": "Nguyễn Thị Ánh",
        "birth_date": "1990-07-15",
        "sex": "Nữ",
        "address": "Số 12 Trần Hưng Đạo, An Giang",
        "id_issued_on": "2021-05-01",
        "phone": "0912345678",
    }

    page = html(client.get(response.headers["Location"]))
    assert "Đã ghi nhận hồ sơ của Nguyễn Thị Ánh (AG-LLTP-01)." in page
    assert "Chưa cấp mã" in page and "15/07/1990" in page
    assert 'data-testid="mau-01-pending"' in page and "print-mau-01" not in page
    receive = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier.instance_id}").json["items"]
    assert [t["element_id"] for t in receive] == ["receive"]
    assert f'href="/ui/tasks/{receive[0]["id"]}?next=/ui/reception/' in page

    accepted = office.clerk.complete(receive[0]["id"], {"reception_decision": "accept"})
    assert accepted.status_code == 200, accepted.json
    code = dossiers_of(office.app)[-1].code
    assert CODE.match(code)
    page = html(client.get(f"/ui/reception/{dossier.id}"))
    assert code in page and "mau-01-pending" not in page
    link = re.search(r'href="([^"]+)" target="_blank" rel="noopener" data-testid="print-mau-01"', page).group(
        1
    )
    assert link == f"/ui/dossiers/{code}/slips/mau-01?format=pdf"
    pdf = client.get(link.replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert code in pdf_text(pdf.data)


def test_an_applicant_typed_by_hand_is_received_with_the_date_of_birth_as_an_iso_date(office, clerk_client):
    client, token = clerk_client
    response = post_form(
        client,
        token,
        procedure="AG-KS-01",
        channel="post",
        name="Lê Văn Bình",
        id_number="089085000456",
        birth_date="05/03/1985",
        sex="Nam",
        address="Long Xuyên, An Giang",
        email="binh@example.vn",
        components=["0", "1"],
    )
    assert response.status_code == 302
    dossier = dossiers_of(office.app)[-1]
    assert (dossier.procedure.code, dossier.channel) == ("AG-KS-01", "post")
    assert dossier.applicant == {
        "name": "Lê Văn Bình",
        "id_number": "089085000456",
        "birth_date": "1985-03-05",
        "sex": "Nam",
        "address": "Long Xuyên, An Giang",
        "email": "binh@example.vn",
    }
    page = html(client.get(response.headers["Location"]))
    assert "05/03/1985" in page and "Bưu chính" in page


def test_the_number_of_sets_is_typed_checked_and_kept(office, clerk_client):
    client, token = clerk_client
    fields = {"name": "Lê Văn Bình", "components": ["0", "1"], "procedure": "AG-KS-01"}
    before = len(dossiers_of(office.app))
    for bad in ("0", "abc", "101", "-2"):
        refused = post_form(client, token, sets=bad, **fields)
        assert refused.status_code == 422, bad
        assert field_error(html(refused), "sets") == "Số bộ hồ sơ phải là số nguyên từ 1 đến 100."
        assert value_of(html(refused), "sets") == bad  # what was typed stays
    assert len(dossiers_of(office.app)) == before
    assert post_form(client, token, sets="2", **fields).status_code == 302
    assert post_form(client, token, **fields).status_code == 302  # not sent: one set
    assert [d.sets for d in dossiers_of(office.app)[before:]] == [2, 1]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- in the browser ------------------------------------------------------------------------------


def test_a_clerk_receives_a_dossier_and_prints_the_receipt(page, office):
    from playwright.sync_api import expect  # the page fixture has made sure Playwright is there

    log_in(page)
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Tiếp nhận").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiếp nhận hồ sơ")

    # The procedure: the filter box narrows the list to one, which is chosen.
    page.get_by_label("Tìm thủ tục (mã hoặc tên)").fill("ly lich tu phap")
    expect(page.get_by_label("Thủ tục hành chính", exact=True)).to_have_value(LLTP)
    facts = page.get_by_test_id("procedure-facts")
    expect(facts).to_contain_text("10 ngày làm việc")
    expect(facts).to_contain_text("200.000 đồng/lần/người")
    components = page.get_by_test_id("components").get_by_role("checkbox")
    expect(components).to_have_count(3)

    # A scanner types the QR string and presses Enter: the fields fill, the form is not sent.
    qr = page.get_by_label("Mã QR trên CCCD")
    qr.fill("089190000123|352123456|Nguyễn Thị Ánh")
    qr.press("Enter")
    expect(page.locator("#cccd_qr-error")).to_have_text(
        "Mã QR của CCCD gồm 7 trường ngăn cách bởi dấu “|”; chuỗi này có 3 trường."
    )
    expect(qr).to_have_attribute("aria-invalid", "true")
    qr.fill("")
    qr.press_sequentially(QR)
    qr.press("Enter")
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Ánh")
    expect(page.get_by_label("Số CCCD/CMND")).to_have_value("089190000123")
    expect(page.get_by_label("Ngày sinh")).to_have_value("15/07/1990")
    expect(page.get_by_label("Giới tính")).to_have_value("Nữ")
    expect(page.get_by_label("Địa chỉ")).to_have_value("Số 12 Trần Hưng Đạo, An Giang")
    expect(page.locator("#cccd_qr-error")).to_be_hidden()
    expect(page.locator("#cccd_qr-status")).to_have_text("Đã điền thông tin người nộp từ mã QR.")
    expect(page).to_have_url(re.compile(r"/ui/reception$"))
    assert len(dossiers_of(office.app)) == 1  # only the fixture's
    page.get_by_label("Số điện thoại").fill("0912345678")

    # Ticking too little is refused with the missing component named, nothing lost.
    page.get_by_label(re.compile("^Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp")).check()
    screenshot(page, "reception.png")
    page.get_by_role("button", name="Ghi nhận hồ sơ").click()
    expect(page.locator("#components-error")).to_have_text(f"Chưa đánh dấu thành phần bắt buộc: {ID_COPY}.")
    expect(page.get_by_label("Số điện thoại")).to_have_value("0912345678")
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Ánh")
    expect(page.get_by_label(re.compile("^Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"))).to_be_checked()
    page.get_by_label(re.compile("^Bản chụp giấy tờ tùy thân")).check()
    page.get_by_role("button", name="Ghi nhận hồ sơ").click()

    # The result: not numbered yet; the check step is the clerk's, and its page is one click away.
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ đã ghi nhận")
    expect(page.locator("#messages")).to_contain_text("Đã ghi nhận hồ sơ của Nguyễn Thị Ánh")
    expect(page.get_by_test_id("dossier-code")).to_have_text("Chưa cấp mã")
    expect(page.get_by_test_id("received-components").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("mau-01-pending")).to_be_visible()
    expect(page.get_by_test_id("print-mau-01")).to_have_count(0)
    result_url = page.url
    page.get_by_test_id("open-tasks").get_by_role("link", name="Kiểm tra tính đầy đủ và thẩm quyền").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra tính đầy đủ và thẩm quyền")
    page.get_by_role("radiogroup", name="Kết quả kiểm tra").get_by_role(
        "radio", name=re.compile("^Đầy đủ")
    ).check()
    page.get_by_role("button", name="Hoàn thành").click()

    # Back at the result page: the dossier has its code and due date, Mẫu 01 can be printed.
    page.wait_for_url(result_url)
    expect(page.locator("#messages")).to_contain_text("Đã hoàn thành công việc")
    expect(page.get_by_test_id("dossier-code")).to_have_text(CODE)
    code = page.get_by_test_id("dossier-code").text_content()
    expect(page.get_by_test_id("dossier-due")).to_have_text(DATE)
    expect(page.get_by_test_id("dossier-status")).to_have_text("Được tiếp nhận")
    expect(page.get_by_test_id("open-tasks")).to_contain_text("Số hóa hồ sơ, cấp mã và giấy tiếp nhận")
    button = page.get_by_test_id("print-mau-01")
    expect(button).to_have_text("In giấy tiếp nhận (Mẫu 01)")
    expect(button).to_have_attribute("target", "_blank")
    screenshot(page, "reception-done.png")
    pdf = page.request.get(button.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert code in pdf_text(pdf.body())


def test_a_second_submit_while_the_first_is_being_sent_is_ignored(page, office):
    from playwright.sync_api import expect

    log_in(page)
    page.goto(f"/ui/reception?procedure={LLTP}")
    expect(page.get_by_test_id("components").get_by_role("checkbox")).to_have_count(3)
    # Listen after the page's own handler, and keep the browser from leaving, to see its decisions.
    decisions = page.evaluate(
        """() => {
          const form = document.getElementById("reception-form");
          const button = document.getElementById("receive");
          const seen = [];
          form.addEventListener("submit", (event) => {
            seen.push(event.defaultPrevented);
            event.preventDefault();
          });
          form.requestSubmit(button);
          form.requestSubmit(button);
          return seen;
        }"""
    )
    assert decisions == [False, True]
    expect(page.get_by_role("button", name="Đang gửi…")).to_have_attribute("aria-disabled", "true")
    assert len(dossiers_of(office.app)) == 1  # only the fixture's: nothing was sent
