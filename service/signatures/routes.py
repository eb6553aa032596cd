"""/api/v1/signatures/verify: who signed a PDF, when, whether it is intact and trusted — for any
PDF an officer holds (a signed slip, a result, a file brought to the counter)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from ..documents import signing
from ..errors import Unprocessable
from ..web import RequestSchema
from . import keys
from .schemas import SignatureSchema

blp = Blueprint(
    "signatures", __name__, url_prefix="/api/v1", description="Digital signatures (PAdES) of PDF files"
)


class VerifyArgs(RequestSchema):
    file = Upload(required=True, metadata={"description": "The PDF (at most MOTCUA_MAX_REQUEST_BYTES)"})


class VerificationSchema(ma.Schema):
    signed = ma.fields.Boolean(metadata={"description": "The PDF carries at least one signature"})
    good = ma.fields.Boolean(metadata={"description": "Signed, and every signature is good"})
    signatures = ma.fields.List(ma.fields.Nested(SignatureSchema))


@blp.route("/signatures/verify", methods=["POST"])
@blp.arguments(VerifyArgs, location="files")
@blp.response(200, VerificationSchema)
def verify(args):
    """Check the signatures of an uploaded PDF against the trusted roots (MOTCUA_SIGNING_TRUST_ROOTS;
    no network: revocation is not fetched). An unsigned PDF answers `signed: false`; a file that is
    not a readable PDF is 422 `not_a_pdf`. Any signed-in user; nothing is stored."""
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 8 * 1024 * 1024)
    data = args["file"].stream.read(limit + 1)
    if not data.lstrip()[:5] == b"%PDF-":
        raise Unprocessable(
            "The file is not a PDF.", code="not_a_pdf", details={"fields": {"file": ["Not a PDF."]}}
        )
    try:
        found = [check.as_dict() for check in signing.verify(data, keys.roots())]
    except signing.SigningFailed as error:
        message = f"The PDF cannot be read: {error}"
        raise Unprocessable(message, code="not_a_pdf", details={"fields": {"file": [message]}}) from None
    return {"signed": bool(found), "good": bool(found) and all(c["good"] for c in found), "signatures": found}
