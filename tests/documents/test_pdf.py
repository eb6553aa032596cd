"""The slips as PDF: valid A4 files whose text keeps the Vietnamese diacritics."""

from __future__ import annotations

import io
import re
import unicodedata

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
