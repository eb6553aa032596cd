"""/api/v1: upload digitised components on a task, list an instance's, download one."""

from flask import request, send_file
from flask_smorest import Blueprint

from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import TASKS, scoped
from . import operations, permissions, signing
from .schemas import AttachmentList, AttachmentSchema, UploadArgs

blp = Blueprint(
    "attachments", __name__, url_prefix="/api/v1", description="Digitised dossier components (attachments)"
)


@blp.url_value_preprocessor
def _upload_body_limit(endpoint, values):
    """The upload route accepts a body as large as MOTCUA_UPLOAD_MAX_BYTES (plus the multipart
    envelope); every other route keeps MAX_CONTENT_LENGTH. URL value preprocessors run before the
    before_request hooks, so the limit holds before authentication reads the form (CSRF)."""
    if endpoint == "attachments.upload":
        request.max_content_length = operations.max_bytes() + operations.MULTIPART_ALLOWANCE


@blp.route("/tasks/<uuid:task_id>/attachments", methods=["POST"], endpoint="upload")
@scoped(TASKS)
@authorise(permissions.require_uploader)  # before the file is read
@blp.arguments(UploadArgs, location="files")
@blp.response(201, AttachmentSchema)
def upload(args, task_id):
    """Attach a digitised component to the task's process instance (multipart field `file`).

    Only an actor of the open task may upload. The type is found from the content: PDF, PNG or
    JPEG by default (MOTCUA_UPLOAD_TYPES), else 422; larger than MOTCUA_UPLOAD_MAX_BYTES: 413.
    `component` names the dossier component the file digitises (one of the dossier's).
    """
    upload = args["file"]
    return operations.store(
        task_id, upload.stream, upload.filename, component=args.get("component"), actor=current_user()
    )


@blp.route("/attachments/<uuid:attachment_id>/signature", methods=["POST"], endpoint="sign")
@scoped(TASKS)
@authorise(permissions.require_signer, into="found")
@blp.response(201, AttachmentSchema)
def sign(attachment_id, found):
    """Sign a PDF of an open task with the key of the task's unit (PAdES, a visible block on the last
    page); the signed copy is a new attachment of the task, its signatures checked.

    Only an actor of the open task may sign; 409 `no_signing_key` when the unit has no key
    installed, 422 `not_a_pdf` for an image.
    """
    attachment, task = found
    return signing.sign(attachment, task, actor=current_user())


@blp.route("/process-instances/<uuid:instance_id>/attachments", methods=["GET"], endpoint="list")
@authorise(permissions.require_instance_reader)
@blp.response(200, AttachmentList)
def list_(instance_id):
    """The attachments of a process instance, oldest first, for those who may see the instance."""
    return {"items": operations.list_for_instance(instance_id)}


@blp.route("/attachments/<uuid:attachment_id>", methods=["GET"], endpoint="detail")
@authorise(permissions.require_reader, into="attachment")
@blp.response(200, AttachmentSchema)
def detail(attachment_id, attachment):
    """One attachment's description."""
    return attachment


_FILE = "The file, as uploaded: a PDF or an image (the types of MOTCUA_UPLOAD_TYPES)"


@blp.route("/attachments/<uuid:attachment_id>/content", methods=["GET"], endpoint="content")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf", description=_FILE)
@blp.alt_response(
    200, schema={"type": "string", "format": "binary"}, content_type="image/*", description=_FILE
)
@authorise(permissions.require_reader, into="attachment")
def content(attachment_id, attachment):
    """The bytes of an attachment, as a download; ETag is its SHA-256."""
    attachment, path = operations.open_for_download(attachment)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=attachment.sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
