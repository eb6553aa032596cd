"""The slips as HTML: header, title, code, applicant, escaping, blanks and Vietnamese dates."""

from __future__ import annotations

import copy

import pytest
from lxml import html as lxml_html

from service.documents import BLANK, FORMS, UnknownForm, render_html, render_pdf
from tests.documents.samples import APPLICANT, CODE

DOSSIER_FORMS = [form_id for form_id in FORMS if form_id != "mau-06"]


def _grid_rows(page: str) -> list[str]:
    """Each body row of the slip's bordered tables, as its cells' texts joined by " | "."""
    tree = lxml_html.fromstring(page)
    rows = tree.xpath("//table[contains(@class, 'grid')]/tbody/tr")
    return [" | ".join(" ".join(cell.text_content().split()) for cell in row.xpath("./td")) for row in rows]


def test_forms_are_the_six_tt01_slips_with_vietnamese_titles():
    assert list(FORMS) == ["mau-01", "mau-02", "mau-03", "mau-04", "mau-05", "mau-06"]
    assert FORMS["mau-01"] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert FORMS["mau-05"] == "Phiếu kiểm soát quá trình giải quyết hồ sơ"


@pytest.mark.parametrize("form_id", list(FORMS))
def test_each_form_shows_national_header_agency_title_code_and_applicant(form_id, context_for):
    page = render_html(form_id, context_for(form_id))
    text = page.replace("<wbr>", "")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page
    assert "Độc lập - Tự do - Hạnh phúc" in page
    assert "UBND TỈNH AN GIANG" in page
    assert FORMS[form_id] in page
    assert FORMS[form_id].upper() in page
    assert APPLICANT in page
    assert (CODE if form_id != "mau-06" else "000.17.22.H56-251121-0001") in text


@pytest.mark.parametrize("form_id", DOSSIER_FORMS)
def test_dossier_slips_embed_a_qr_code_svg(form_id, dossier):
    page = render_html(form_id, dossier)
    assert page.count("<svg") == 1
    assert "Quét mã để tra cứu hồ sơ" in page


@pytest.mark.parametrize("form_id", list(FORMS))
def test_markup_in_input_stays_escaped(form_id, dossier, register):
    evil = '<script>alert("x")</script><b onclick="y">Ánh</b>'
    dossier["applicant"]["name"] = evil
    dossier["refusal_reason"] = evil
    register["rows"][0]["applicant"] = {"name": evil}
    page = render_html(form_id, register if form_id == "mau-06" else dossier)
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//script") == []
    assert tree.xpath("//*[@onclick]") == []
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert evil in tree.text_content()


@pytest.mark.parametrize("form_id", list(FORMS))
@pytest.mark.parametrize("shape", ["empty", "all none"])
def test_missing_fields_render_as_dotted_blanks_not_none(form_id, shape, dossier, register):
    context = register if form_id == "mau-06" else dossier
    context = {} if shape == "empty" else dict.fromkeys(context)
    page = render_html(form_id, context)
    assert "None" not in page
    assert "Undefined" not in page
    assert BLANK in page
    assert FORMS[form_id].upper() in page
    if form_id != "mau-06":
        assert "…… giờ …… phút, ngày …… tháng …… năm ……" in page
        assert "<svg" not in page  # no code, no QR


def test_partly_filled_nested_fields_leave_only_their_own_blanks(dossier):
    dossier["applicant"] = {"name": APPLICANT, "phone": None}
    dossier["procedure"] = None
    dossier["due_at"] = None
    page = render_html("mau-01", dossier)
    assert f"<b>{APPLICANT}</b>" in page
    assert f"Số điện thoại: {BLANK}" in page
    assert f"Nội dung yêu cầu giải quyết: <b>{BLANK}</b>" in page
    assert "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 26 tháng 11 năm 2025" in page
    assert "None" not in page


def test_unknown_form_id_raises_unknown_form(dossier):
    for form_id in ("mau-07", "MAU-01", "", "../base"):
        with pytest.raises(UnknownForm):
            render_html(form_id, dossier)
    with pytest.raises(UnknownForm):
        render_pdf("mau-00", dossier)
    assert issubclass(UnknownForm, ValueError)


def test_receipt_shows_times_in_vietnam_time_in_words(dossier):
    page = render_html("mau-01", dossier)
    assert "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 26 tháng 11 năm 2025" in page
    assert "16 giờ 00 phút, ngày 10 tháng 12 năm 2025" in page
    assert "An Giang, ngày 26 tháng 11 năm 2025" in page
    assert "Trực tiếp" in page
    assert "Quyển số: 01, Số thứ tự: 12" in page
    assert "10 ngày làm việc" in page
    assert "200.000 đồng" in page


def test_dates_pad_days_below_ten_and_january_february_like_official_documents(dossier):
    dossier["received_at"] = dossier["received_at"].replace(year=2026, month=1, day=4, hour=23, minute=50)
    page = render_html("mau-01", dossier)
    assert "06 giờ 50 phút, ngày 05 tháng 01 năm 2026" in page  # 23:50 UTC is the next morning in Hà Nội


@pytest.mark.parametrize(
    ("channel", "label"), [("counter", "Trực tiếp"), ("post", "Bưu chính"), ("online", "Trực tuyến")]
)
def test_receipt_names_the_submission_channel_in_vietnamese(channel, label, dossier):
    dossier["channel"] = channel
    assert f"Hình thức nộp: {label}" in render_html("mau-01", dossier)


def test_receipt_lists_every_component(dossier):
    rows = _grid_rows(render_html("mau-01", dossier))
    assert rows == [
        "1 | Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp | Bản chính | 1",
        "2 | Bản chụp Căn cước công dân | Bản chụp | 1",
    ]


def test_supplement_request_lists_items_and_reason(dossier):
    page = render_html("mau-02", dossier)
    assert _grid_rows(page) == ["1 | Bản sao Giấy khai sinh | Bản sao chứng thực | 1"]
    assert "Lý do: Thiếu Giấy khai sinh" in page
    assert "NGƯỜI HƯỚNG DẪN" in page.upper()
    assert "An Giang, ngày 27 tháng 11 năm 2025" in page


def test_refusal_states_its_reason(dossier):
    assert "Không thuộc thẩm quyền giải quyết của tỉnh" in render_html("mau-03", dossier)


def test_apology_gives_original_and_new_appointment(dossier):
    page = render_html("mau-04", dossier)
    assert "Kính gửi: <b>Nguyễn Thị Ánh</b>" in page
    assert "16 giờ 00 phút, ngày 10 tháng 12 năm 2025" in page
    assert "08 giờ 30 phút, ngày 15 tháng 12 năm 2025" in page
    assert "Chờ kết quả xác minh của Công an tỉnh" in page
    assert "chưa trả kết quả giải quyết hồ sơ của ông/bà đúng hạn" in page


def test_control_sheet_lists_every_handover_with_its_verdict_label(dossier):
    dossier["steps"].append({**dossier["steps"][-1], "to_unit": "Văn thư Sở", "verdict": None, "note": None})
    rows = _grid_rows(render_html("mau-05", dossier))
    assert len(rows) == len(dossier["steps"]) == 4
    expected = ["Trước hạn", "Đúng hạn", "Quá hạn", None]
    for row, step, label in zip(rows, dossier["steps"], expected, strict=True):
        assert f"1. Giao: {step['from_unit']}" in row
        assert f"2. Nhận: {step['to_unit']}" in row
        assert step["giver"] in row and step["receiver"] in row
        for other in ("Trước hạn", "Đúng hạn", "Quá hạn"):
            assert (other in row) == (other == label)
    assert "15 giờ 00 phút, ngày 26 tháng 11 năm 2025" in rows[0]
    assert "Xác minh nhân thân" in rows[1]


def test_control_sheet_without_steps_offers_blank_rows_to_fill_by_hand(dossier):
    dossier["steps"] = []
    rows = _grid_rows(render_html("mau-05", dossier))
    assert len(rows) == 3
    assert all("Giao:" in row and "Người giao" in row for row in rows)


def test_register_lists_every_row_with_short_dates(register):
    page = render_html("mau-06", register)
    rows = _grid_rows(page.replace("<wbr>", ""))
    assert len(rows) == 3
    for number, (row, data) in enumerate(zip(rows, register["rows"], strict=True), start=1):
        assert row.startswith(f"{number} | {data['code']} |")
        assert data["applicant"]["name"] in row
        assert data["procedure"]["name"] in row
    assert "21/11/2025 | 06/12/2025 | 21/11/2025 | 04/12/2025 | Bưu chính" in rows[0]
    assert "23/11/2025 | 08/12/2025 |  |  |  |" in rows[2]
    assert "Từ ngày 01/11/2025 đến ngày 30/11/2025" in page


def test_register_of_an_empty_period_says_so(register):
    register["rows"] = []
    assert "Không có hồ sơ trong kỳ." in render_html("mau-06", register)


def test_rendering_does_not_change_the_callers_context(dossier):
    before = copy.deepcopy(dossier)
    render_html("mau-05", dossier)
    assert dossier == before
