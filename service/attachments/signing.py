"""Signing a task's PDF with the unit's key, and what a result step's completion says about it.

- `sign`: an actor of the open task that holds a PDF signs it with the key of the task's unit
  (else the officer's unit): the signed copy is stored as a new attachment of the same task and
  component (the original stays), checked like any uploaded PDF, and the signing is audited;
- `result_signed` (a completion input of the step pipeline, service/stages.py): for a task whose
  element says `signedResult=true` (the result step), `e_result_signed` is whether one of the
  task's PDFs carries a good signature (intact, valid, chaining to a trusted root, covering the
  whole file), as the service checked it: a fact, not a box an officer ticks.
"""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa

from ..audit.operations import fact, record
from ..documents import signing
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..identity.operations import unit_name
from ..models_base import utcnow
from ..signatures import keys
from . import operations
from .models import Attachment

RESULT_PROPERTY = "signedResult"


def sign(attachment: Attachment, task, *, actor) -> Attachment:
    """The attachment's PDF signed with the unit's key, as a new attachment of the task (the route
    authorised the actor on the task)."""
    if attachment.content_type != "application/pdf":
        raise Unprocessable("Only a PDF can be signed.", code="not_a_pdf")
    unit = task.unit or actor.unit
    signer = keys.signer_for(unit)
    if signer is None:
        raise Conflict(
            f"The unit {unit or '(none)'} has no signing key configured; an administrator installs it "
            "(MOTCUA_SIGNING_KEYS_DIR).",
            code="no_signing_key",
            details={"unit": unit},
        )
    _, path = operations.open_for_download(attachment)
    try:
        signed = signing.sign(
            path.read_bytes(),
            signer,
            reason=f"{task.name} ({actor.display_name or actor.username})",
            location=unit_name(unit) if unit else "",
            font=keys.font(),
        )
    except signing.SigningFailed as error:
        raise Unprocessable(f"The PDF cannot be signed: {error}", code="cannot_sign") from error
    stem = attachment.filename.rsplit(".", 1)[0]
    copy = operations.store(
        task.id, BytesIO(signed), f"{stem}-ky-so.pdf", component=attachment.component, actor=actor
    )
    record(
        [
            fact(
                "attachment_signed",
                at=utcnow(),
                actor=actor,
                instance_id=task.instance_id,
                task_id=task.id,
                element_id=task.element_id,
                data={
                    "attachment_id": str(attachment.id),
                    "signed_id": str(copy.id),
                    "unit": unit,
                    "signer": signer.name,
                },
                message=f"Signed {attachment.filename} with the key of {signer.name}",
            )
        ]
    )
    return copy


# A result step's PDFs, newest first: through the instance's (instance_id, uploaded_at) index (a task's
# files are its instance's; task_id alone has no index), built once (no statement to build or to
# key per completion).
_TASK_PDFS = (
    sa.select(Attachment.id, Attachment.signatures)
    .where(
        Attachment.instance_id == sa.bindparam("instance_id", type_=Attachment.instance_id.type),
        Attachment.task_id == sa.bindparam("task_id", type_=Attachment.task_id.type),
        Attachment.deleted_at.is_(None),
        Attachment.content_type == "application/pdf",
    )
    .order_by(Attachment.uploaded_at.desc(), Attachment.id)
)


def result_signed(task, instance) -> dict:
    """`e_result_signed` for a result step's completion: one of its PDFs is signed and good."""
    if str((task.properties or {}).get(RESULT_PROPERTY, "")).lower() != "true":
        return {}
    found = db.session.execute(_TASK_PDFS, {"instance_id": task.instance_id, "task_id": task.id})
    signed = [row.id for row in found if any(check.get("good") for check in (row.signatures or []))]
    # The latest good one is the result the documents system receives (edms/file_result: the
    # worker sends its bytes, attachments/inline.py).
    return {
        "e_result_signed": bool(signed),
        "signed_result": {"attachment": str(signed[0])} if signed else None,
    }
