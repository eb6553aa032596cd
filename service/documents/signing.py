"""PAdES signatures on PDFs: sign with a unit's certificate and key, and check signed PDFs.

Pure: bytes in, bytes or reports out; the caller loads the keys and the trusted roots
(service/signatures/keys.py). pyHanko does the PDF and CMS work:

- `sign` adds a PAdES baseline signature (ETSI.CAdES.detached, SHA-256) in a new signature field
  with a visible block on the last page ("Ký bởi", the certificate's name, the time), as an
  incremental update, so earlier signatures stay valid;
- `verify` reports each embedded signature: who signed (the certificate's subject), when (the time
  the signer states), whether the signed bytes are intact, whether the signature is
  cryptographically valid, whether the certificate chains to a trusted root, and whether it
  covers the whole file (nothing was added after it but other signatures).

A visible block needs a font with Vietnamese glyphs (a TrueType file: `font`); without one the
block is written without diacritics rather than with missing glyphs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko import stamp
from pyhanko.pdf_utils import text
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

__all__ = ["SignatureCheck", "SigningFailed", "UnitSigner", "load_signer", "sign", "trust_roots", "verify"]

# A4 in points; the block sits at the bottom right of the last page, above the margin.
BLOCK = (330, 36, 565, 104)
FIELD_PREFIX = "MotcuaSignature"


class SigningFailed(Exception):
    """The key cannot be read, or the PDF cannot be signed or read."""


@dataclass(frozen=True)
class UnitSigner:
    """A unit's signing certificate and key (pyHanko's signer), and the name it signs with."""

    signer: signers.SimpleSigner
    name: str
    organisation: str | None


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str | None  # the certificate subject's common name
    organisation: str | None
    signed_at: datetime | None  # the time the signer states (not a trusted timestamp)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature matches them and the certificate's key
    trusted: bool  # the certificate chains to a trusted root
    whole_file: bool  # nothing but other signatures was added after it

    @property
    def good(self) -> bool:
        """What an officer may rely on: intact, valid, trusted, covering the whole file."""
        return self.intact and self.valid and self.trusted and self.whole_file

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "signer": self.signer,
            "organisation": self.organisation,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "whole_file": self.whole_file,
            "good": self.good,
        }


def load_signer(pkcs12: bytes, passphrase: bytes | None) -> UnitSigner:
    """A PKCS#12 file (certificate, key and chain) as a signer."""
    signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=passphrase)
    if signer is None:
        raise SigningFailed("the PKCS#12 file cannot be read with this passphrase")
    subject = signer.signing_cert.subject.native
    return UnitSigner(signer, subject.get("common_name") or "", subject.get("organization_name"))


def trust_roots(pem_bundle: bytes) -> list[asn1_x509.Certificate]:
    """The certificates of a PEM bundle (the roots signatures must chain to)."""
    if not pem.detect(pem_bundle):
        return [asn1_x509.Certificate.load(pem_bundle)] if pem_bundle.strip() else []
    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(pem_bundle, multiple=True)]


def _outside_event_loop(function, *args, **kwargs):
    """Run a pyHanko call whose sync API starts its own asyncio loop (`asyncio.run`): directly,
    or, when the calling thread already runs a loop (an async server, a browser driver in the same
    thread), in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign(
    pdf: bytes,
    unit: UnitSigner,
    *,
    reason: str,
    location: str,
    font: Path | None = None,
) -> bytes:
    """The PDF with one more PAdES signature by `unit`, visible on its last page."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        name = _free_field_name(PdfFileReader(BytesIO(pdf), strict=False))
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            reason=reason,
            location=location,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )
        signer = signers.PdfSigner(
            meta,
            signer=unit.signer,
            stamp_style=_stamp_style(font),
            new_field_spec=fields.SigFieldSpec(name, box=BLOCK, on_page=-1),
        )
        return _outside_event_loop(signer.sign_pdf, writer).getvalue()
    except (SigningError, ValueError, OSError, KeyError, TypeError) as error:
        raise SigningFailed(f"the PDF cannot be signed: {error}") from error


def verify(pdf: bytes, roots: list[asn1_x509.Certificate]) -> list[SignatureCheck]:
    """Every embedded signature of the PDF, checked against `roots` (no network: revocation is
    not fetched). A file that is not a readable PDF raises SigningFailed."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as error:  # pyHanko raises many kinds on a broken file
        raise SigningFailed(f"the PDF cannot be read: {error}") from error
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    checks = []
    quiet = logging.getLogger("pyhanko")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # an untrusted chain is an answer here, not an error to log
    try:
        for signature in embedded:
            checks.append(_outside_event_loop(_check, signature, context))
    finally:
        quiet.setLevel(level)
    return checks


def _check(signature, context: ValidationContext) -> SignatureCheck:
    subject: dict = {}
    with contextlib.suppress(AttributeError, ValueError):
        subject = signature.signer_cert.subject.native
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, ValueError, KeyError) as error:
        logging.getLogger(__name__).info("signature %s cannot be validated: %s", signature.field_name, error)
        return SignatureCheck(
            signature.field_name,
            subject.get("common_name"),
            subject.get("organization_name"),
            None,
            False,
            False,
            False,
            False,
        )
    coverage = getattr(status.coverage, "name", "")
    return SignatureCheck(
        field=signature.field_name,
        signer=subject.get("common_name"),
        organisation=subject.get("organization_name"),
        signed_at=status.signer_reported_dt,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=coverage == "ENTIRE_FILE",
    )


def _free_field_name(reader: PdfFileReader) -> str:
    taken = {signature.field_name for signature in reader.embedded_signatures}
    number = 1
    while f"{FIELD_PREFIX}{number}" in taken:
        number += 1
    return f"{FIELD_PREFIX}{number}"


def _stamp_style(font: Path | None) -> stamp.TextStampStyle:
    if font is not None and font.is_file():
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory

        return stamp.TextStampStyle(
            stamp_text="Ký bởi: %(signer)s\nThời gian: %(ts)s",
            text_box_style=text.TextBoxStyle(font=GlyphAccumulatorFactory(str(font)), font_size=9),
            timestamp_format="%d/%m/%Y %H:%M:%S %z",
            border_width=1,
        )
    return stamp.TextStampStyle(
        stamp_text=_ascii("Ký bởi: %(signer)s\nThời gian: %(ts)s"),
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
        border_width=1,
    )


def _ascii(value: str) -> str:
    """Vietnamese without diacritics (đ → d), for the standard PDF fonts."""
    value = value.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
