"""A service call's attachment, sent as itself: the worker replaces a parameter
`{"attachment": "<id>"}` (e.g. the signed result a documents system files, edms/file_result) with
the file, just before the call: {"name", "content_type", "sha256", "content_base64"}.

The bytes never enter the engine state, the service_calls row or the outbox; a retried call reads
the file again (the same bytes: attachments are never changed). An attachment that is gone (deleted,
its file missing) makes the call fail like an unreachable system, with a message naming it.
"""

from __future__ import annotations

import base64
import uuid

from ..errors import NotFound
from ..extensions import db
from .models import Attachment
from .operations import open_for_download


class AttachmentGone(Exception):
    """The attachment a call sends no longer exists."""


def inline(params: dict) -> dict:
    """The parameters with each `{"attachment": id}` value replaced by the file."""
    return {name: _file(value) if _reference(value) else value for name, value in params.items()}


def _reference(value) -> bool:
    return isinstance(value, dict) and set(value) == {"attachment"} and isinstance(value["attachment"], str)


def _file(value: dict) -> dict:
    try:
        attachment = db.session.get(Attachment, uuid.UUID(value["attachment"]))
    except ValueError:
        attachment = None
    if attachment is None or attachment.deleted_at is not None:
        raise AttachmentGone(f"the attachment {value['attachment']} is gone")
    try:
        _, path = open_for_download(attachment)
    except NotFound as error:
        raise AttachmentGone(f"the file of attachment {attachment.id} is missing") from error
    return {
        "name": attachment.filename,
        "content_type": attachment.content_type,
        "sha256": attachment.sha256,
        "content_base64": base64.b64encode(path.read_bytes()).decode("ascii"),
    }
