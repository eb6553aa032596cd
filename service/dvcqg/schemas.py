"""What the national portal sends: an online dossier and a supplement (files as base64 in the
JSON, docs/integrations.md), and what Motcua answers."""

import marshmallow as ma

from ..dossiers.schemas import ApplicantSchema
from ..web import RequestSchema

PORTAL_ID = ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_FILES = 50


class FileSchema(ma.Schema):
    filename = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    content_base64 = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": "The file's bytes, base64 (RFC 4648, standard alphabet)"},
    )


class PortalComponentSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    form = ma.fields.String(validate=ma.validate.Length(max=100))
    quantity = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=100))
    files = ma.fields.List(
        ma.fields.Nested(FileSchema), load_default=list, validate=ma.validate.Length(max=MAX_FILES)
    )


class FeeSchema(ma.Schema):
    amount = ma.fields.Integer(strict=True, load_default=0, validate=ma.validate.Range(min=0, max=10**12))
    paid = ma.fields.Boolean(required=True)
    receipt = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))


class OnlineDossierArgs(RequestSchema):
    portal_id = ma.fields.String(
        required=True, validate=PORTAL_ID, metadata={"description": "The portal's id of the dossier"}
    )
    procedure_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    channel = ma.fields.Integer(
        load_default=2,
        strict=True,
        validate=ma.validate.Equal(2),
        metadata={"description": "KenhThucHien: 2 (trực tuyến), the only channel of the portal"},
    )
    applicant = ma.fields.Nested(ApplicantSchema, required=True)
    components = ma.fields.List(
        ma.fields.Nested(PortalComponentSchema), load_default=list, validate=ma.validate.Length(max=MAX_FILES)
    )
    fee = ma.fields.Nested(FeeSchema, allow_none=True, load_default=None)
    submitted_at = ma.fields.AwareDateTime(metadata={"description": "When the applicant submitted it"})


class SupplementArgs(RequestSchema):
    supplement_id = ma.fields.String(
        required=True, validate=PORTAL_ID, metadata={"description": "The portal's id of the supplement"}
    )
    note = ma.fields.String(validate=ma.validate.Length(max=2000))
    components = ma.fields.List(
        ma.fields.Nested(PortalComponentSchema), load_default=list, validate=ma.validate.Length(max=MAX_FILES)
    )


class ReceiptSchema(ma.Schema):
    """What Motcua answers the portal: its dossier, status and code (null before registration)."""

    portal_id = ma.fields.String()
    dossier_id = ma.fields.UUID()
    code = ma.fields.String(allow_none=True)
    status = ma.fields.Integer()
    files = ma.fields.List(ma.fields.UUID(), metadata={"description": "The attachments stored"})
    duplicate = ma.fields.Boolean(metadata={"description": "True when this was delivered before"})


class PushSchema(ma.Schema):
    id = ma.fields.Integer()
    event_id = ma.fields.Integer()
    dossier_id = ma.fields.UUID()
    params = ma.fields.Dict()
    state = ma.fields.String()
    attempts = ma.fields.Integer()
    max_attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime()
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)


class PushListArgs(ma.Schema):
    state = ma.fields.String(validate=ma.validate.OneOf(["pending", "sending", "sent", "failed"]))
    dossier = ma.fields.String(validate=ma.validate.Length(max=64))
