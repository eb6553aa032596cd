"""A checked PAdES signature, as the API answers it (attachments and POST /signatures/verify)."""

from __future__ import annotations

import marshmallow as ma


class SignatureSchema(ma.Schema):
    field = ma.fields.String()
    signer = ma.fields.String(allow_none=True, metadata={"description": "The certificate's common name"})
    organisation = ma.fields.String(allow_none=True)
    signed_at = ma.fields.String(allow_none=True, metadata={"description": "The time the signer states"})
    intact = ma.fields.Boolean(metadata={"description": "The signed bytes are unchanged"})
    valid = ma.fields.Boolean(metadata={"description": "The signature matches them and the certificate"})
    trusted = ma.fields.Boolean(metadata={"description": "The certificate chains to a trusted root"})
    whole_file = ma.fields.Boolean(metadata={"description": "Nothing but signatures was added after it"})
    good = ma.fields.Boolean(metadata={"description": "Intact, valid, trusted and covering the whole file"})
