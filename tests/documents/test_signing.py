"""PAdES signatures (service/documents/signing.py): a signed PDF is intact, valid and trusted
against the test authority; a changed byte, another authority or a later edit shows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from service.documents import render_pdf, signing
from service.documents.signing import SigningFailed
from tests.pki import Authority

FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


@pytest.fixture(scope="module")
def authority():
    return Authority.create()


@pytest.fixture(scope="module")
def unit(authority):
    return signing.load_signer(
        authority.unit_p12("Sở Tư pháp tỉnh An Giang", "UBND tỉnh An Giang", b"pw"), b"pw"
    )


@pytest.fixture(scope="module")
def pdf():
    return render_pdf("mau-01", {})


def test_a_signed_slip_is_intact_valid_trusted_and_shows_who_signed(authority, unit, pdf):
    font = next((Path(p) for p in FONT_CANDIDATES if Path(p).is_file()), None)
    signed = signing.sign(pdf, unit, reason="Ký số Mẫu 01", location="An Giang", font=font)
    assert signed.startswith(pdf)  # an incremental update: the slip's bytes are kept
    (check,) = signing.verify(signed, signing.trust_roots(authority.pem()))
    assert (check.signer, check.organisation) == ("Sở Tư pháp tỉnh An Giang", "UBND tỉnh An Giang")
    assert check.intact and check.valid and check.trusted and check.whole_file and check.good
    assert check.signed_at is not None
    # The visible block: the signature field's widget on the last page, with its appearance.
    page = PdfReader(io.BytesIO(signed)).pages[-1]
    (widget,) = [a.get_object() for a in page["/Annots"] if a.get_object().get("/FT") == "/Sig"]
    assert widget["/T"] == "MotcuaSignature1"
    assert [round(float(v)) for v in widget["/Rect"]] == list(signing.BLOCK)
    assert widget["/AP"]["/N"].get_object().get_data()


def test_a_changed_byte_breaks_the_signature(authority, unit, pdf):
    signed = signing.sign(pdf, unit, reason="r", location="l")
    position = signed.index(b"/Producer") if b"/Producer" in signed[: len(pdf)] else 200
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    (check,) = signing.verify(tampered, signing.trust_roots(authority.pem()))
    assert not check.intact and not check.good


def test_another_authority_is_not_trusted(unit, pdf):
    signed = signing.sign(pdf, unit, reason="r", location="l")
    (check,) = signing.verify(signed, signing.trust_roots(Authority.create("Other CA").pem()))
    assert check.intact and check.valid and not check.trusted and not check.good


def test_two_signatures_each_checked_and_the_first_no_longer_covers_the_file(authority, unit, pdf):
    once = signing.sign(pdf, unit, reason="Chuyên viên", location="l")
    twice = signing.sign(once, unit, reason="Lãnh đạo", location="l")
    first, second = signing.verify(twice, signing.trust_roots(authority.pem()))
    assert (first.field, second.field) == ("MotcuaSignature1", "MotcuaSignature2")
    assert first.intact and first.trusted and second.good


def test_an_unsigned_pdf_has_no_signatures_and_garbage_is_refused(authority, pdf):
    assert signing.verify(pdf, signing.trust_roots(authority.pem())) == []
    with pytest.raises(SigningFailed):
        signing.verify(b"%PDF-1.7 not really", [])


def test_a_wrong_passphrase_is_refused(authority):
    with pytest.raises((SigningFailed, ValueError)):
        signing.load_signer(authority.unit_p12("X", "Y", b"right"), b"wrong")


def test_signing_and_checking_work_inside_a_running_event_loop(authority, unit, pdf):
    """pyHanko's sync API starts an asyncio loop of its own: a caller whose thread already runs
    one (an async server, a browser driver) must still be able to sign and check."""
    import asyncio
    import concurrent.futures

    async def inside():
        signed = signing.sign(pdf, unit, reason="r", location="l")
        return signing.verify(signed, signing.trust_roots(authority.pem()))

    # A thread of its own: the test process may already run a loop here (the browser tests' driver).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        (check,) = pool.submit(asyncio.run, inside()).result()
    assert check.good
