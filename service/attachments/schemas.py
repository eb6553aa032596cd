import marshmallow as ma
from flask import request, url_for
from flask_smorest.fields import Upload

from ..signatures.schemas import SignatureSchema
from ..web import RequestSchema


def _printable(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ma.ValidationError("Control characters are not allowed.")


class UploadArgs(RequestSchema):
    """multipart/form-data: the file, and optionally the dossier component it digitises."""

    file = Upload(
        required=True,
        metadata={"description": "A PDF or an image (PNG, JPEG); the type is checked from the content"},
    )
    component = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=[ma.validate.Length(max=500), _printable],
        metadata={"description": "The name of the dossier component this file digitises"},
    )

    @ma.pre_load
    def _with_form_fields(self, data, **kwargs):
        # flask-smorest reads this schema from request.files; the text field comes from the form.
        merged = {name: data.get(name) for name in ("file",) if data.get(name) is not None}
        if "component" in request.form:
            merged["component"] = request.form["component"]
        return merged


class AttachmentSchema(ma.Schema):
    id = ma.fields.UUID()
    instance_id = ma.fields.UUID()
    task_id = ma.fields.UUID(allow_none=True)
    dossier_id = ma.fields.UUID(allow_none=True)
    component = ma.fields.String(allow_none=True)
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    uploaded_at = ma.fields.DateTime()
    uploaded_by = ma.fields.Function(lambda a: a.uploaded_by.username if a.uploaded_by else None)
    uploaded_by_name = ma.fields.Function(
        lambda a: (a.uploaded_by.display_name or a.uploaded_by.username) if a.uploaded_by else None
    )
    download_url = ma.fields.Function(lambda a: url_for("attachments.content", attachment_id=a.id))
    signatures = ma.fields.List(
        ma.fields.Nested(lambda: SignatureSchema()),
        allow_none=True,
        metadata={"description": "A PDF's signatures as checked when it was stored; null for images"},
    )


class AttachmentList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AttachmentSchema))
