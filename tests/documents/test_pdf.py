"""The slips as PDF: valid A4 files whose text keeps the Vietnamese diacritics."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from service.documents import FORMS, render_pdf
from tests.documents.samples import APPLICANT, CODE

A4_POINTS = (595.28, 841.89)


def _squash(text: str) -> str:
    """NFC text without whitespace: PDF extraction breaks lines inside table cells."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text)).casefold()


def _pdf(form_id: str, context: dict) -> PdfReader:
    data = render_pdf(form_id, context)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


@pytest.mark.parametrize("form_id", list(FORMS))
def test_each_form_prints_to_a_pdf_with_title_applicant_and_code(form_id, context_for):
    reader = _pdf(form_id, context_for(form_id))
    text = _squash("".join(page.extract_text() for page in reader.pages))
    assert _squash(FORMS[form_id]) in text
    assert _squash(APPLICANT) in text
    assert _squash("Nguyễn Thị Ánh") in text
    assert _squash(CODE if form_id != "mau-06" else "000.17.22.H56-251121-0001") in text
    assert _squash("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") in text


@pytest.mark.parametrize("form_id", [form_id for form_id in FORMS if form_id != "mau-06"])
def test_dossier_slips_fit_one_portrait_a4_page(form_id, dossier):
    reader = _pdf(form_id, dossier)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=1)


def test_register_prints_on_landscape_a4(register):
    box = _pdf("mau-06", register).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS[::-1], abs=1)


def test_empty_context_still_prints(dossier):
    text = _squash(_pdf("mau-01", {}).pages[0].extract_text())
    assert _squash(FORMS["mau-01"]) in text
    assert "none" not in text


# --- what each slip prints of its own (the dossier's slips: tests/dossiers/test_slips.py) ---------


def _text(form_id: str, context: dict) -> str:
    return _squash("".join(page.extract_text() for page in _pdf(form_id, context).pages))


def test_mau_04_prints_the_new_appointments_hour_and_minute_and_its_own_date(dossier):
    dossier["apologised_at"] = datetime(2025, 12, 11, 2, 0, tzinfo=UTC)
    dossier["new_due_at"] = datetime(2025, 12, 15, 9, 30, tzinfo=UTC)  # 16:30 in Vietnam
    text = _text("mau-04", dossier)
    assert _squash("16 giờ 30 phút, ngày 15 tháng 12 năm 2025") in text
    assert _squash("An Giang, ngày 11 tháng 12 năm 2025") in text  # the apology's date, not the print's


def test_mau_02_is_dated_the_day_of_the_request_with_each_items_form(dossier):
    text = _text("mau-02", dossier)
    assert _squash("An Giang, ngày 27 tháng 11 năm 2025") in text  # requested_at, not generated_at
    assert _squash("1 Bản sao Giấy khai sinh Bản sao chứng thực 1") in text.casefold()


def test_mau_05_lists_each_pause_with_its_moments_and_working_days(dossier):
    dossier["pauses"] = [
        {
            "kind": "Chờ bổ sung, hoàn thiện hồ sơ",
            "started_at": datetime(2025, 11, 27, 3, 0, tzinfo=UTC),
            "ended_at": datetime(2025, 12, 1, 3, 0, tzinfo=UTC),
            "working_days": 2.0,
        },
        {
            "kind": "Chờ thực hiện nghĩa vụ tài chính",
            "started_at": datetime(2025, 12, 3, 8, 15, tzinfo=UTC),
            "ended_at": None,
            "working_days": None,
        },
    ]
    text = _text("mau-05", dossier)
    first = _squash(
        "1 Chờ bổ sung, hoàn thiện hồ sơ 10 giờ 00 phút, ngày 27 tháng 11 năm 2025 "
        "10 giờ 00 phút, ngày 01 tháng 12 năm 2025 2"
    )
    second = _squash(
        "2 Chờ thực hiện nghĩa vụ tài chính 15 giờ 15 phút, ngày 03 tháng 12 năm 2025 Đang tạm dừng"
    )
    assert first.casefold() in text and second.casefold() in text


def test_mau_06_numbers_each_row_with_its_register_line_and_names_the_book(register):
    register["book"] = "2025"
    for row, number in zip(register["rows"], (57, 58, 60), strict=True):
        row["number"] = number
    text = _text("mau-06", register)
    assert _squash("Quyển số: 2025").casefold() in text
    for row in register["rows"]:  # the line right before its code (the STT column)
        assert f"{row['number']}{row['code']}".casefold() in text
