"""Online dossiers and supplements arriving from the national portal (it pushes them to Motcua:
docs/integrations.md). Each delivery is idempotent by the portal's ids: a dossier by its
`portal_id` (unique on the dossier), a supplement by its `supplement_id` (unique per dossier); a
second delivery gets the first one's answer with `duplicate: true` and stores nothing.

Files come inside the JSON as base64, decoded and checked like uploads (the size limit, the type
from the content, attachments.operations) before anything else is kept; every refusal rolls the
whole delivery back (the request's one unit of work), files included.
"""

from __future__ import annotations

import base64
import binascii
import io

import sqlalchemy as sa

from ..attachments import operations as attachments
from ..attachments.models import Attachment
from ..dossiers import operations as dossiers
from ..dossiers.models import Dossier
from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..instances import operations as instances
from ..outbox import operations as outbox
from ..procedures.models import Procedure
from . import mapping
from .models import PortalSupplement

SUPPLEMENT_MESSAGE = "supplement_received"


def _decoded(components: list[dict]) -> list[tuple[str, str, bytes]]:
    """(component, filename, bytes) of every file, decoded and within the size limit; 422 naming
    the file that is not base64, 413 for one larger than MOTCUA_UPLOAD_MAX_BYTES."""
    limit, files = attachments.max_bytes(), []
    for i, component in enumerate(components):
        for j, item in enumerate(component.get("files") or []):
            where = f"components/{i}/files/{j}/content_base64"
            text = item["content_base64"]
            if len(text) > (limit // 3 + 2) * 4:  # more base64 than a file of the limit needs
                raise attachments.FileTooLarge(
                    f"File {item['filename']!r} is larger than the {limit} bytes accepted.",
                    details={"fields": {where: [f"At most {limit} bytes."]}, "max_bytes": limit},
                )
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                message = "Not base64 (RFC 4648, standard alphabet, with padding)."
                raise Unprocessable(
                    f"File {item['filename']!r} is not base64.",
                    code="file_not_base64",
                    details={"fields": {where: [message]}},
                ) from None
            if len(data) > limit:
                raise attachments.FileTooLarge(
                    f"File {item['filename']!r} is larger than the {limit} bytes accepted.",
                    details={"fields": {where: [f"At most {limit} bytes."]}, "max_bytes": limit},
                )
            files.append((component["name"], item["filename"], data))
    return files


def _store(instance_id, dossier: Dossier, files, actor) -> list[Attachment]:
    stored = []
    for index, (component, filename, data) in enumerate(files):
        try:
            stored.append(
                attachments.store_received(
                    instance_id, dossier, io.BytesIO(data), filename, component=component, actor=actor
                )
            )
        except Unprocessable as exc:  # the type or an empty file: say which file
            exc.details = {**(exc.details or {}), "file": {"index": index, "filename": filename}}
            raise
    return stored


def find(portal_id: str) -> Dossier:
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.portal_id == portal_id))
    if dossier is None:
        raise NotFound(
            f"There is no dossier with the portal id {portal_id!r}.", code="portal_dossier_not_found"
        )
    return dossier


def receipt(dossier: Dossier, files: list, *, duplicate: bool) -> dict:
    return {
        "portal_id": dossier.portal_id,
        "dossier_id": dossier.id,
        "code": dossier.code,
        "status": dossier.status,
        "files": [a.id for a in files],
        "duplicate": duplicate,
    }


def receive_online(args: dict, *, actor) -> tuple[dict, bool]:
    """Open the dossier the portal sent (channel online, status 1), its files as attachments of its
    components; (the receipt, True if it was new)."""
    existing = db.session.scalar(sa.select(Dossier).where(Dossier.portal_id == args["portal_id"]))
    if existing is not None:
        return receipt(existing, attachments.list_for_instance(existing.instance_id), duplicate=True), False
    code = args["procedure_code"]
    if db.session.scalar(sa.select(Procedure.id).where(Procedure.code == code, Procedure.active)) is None:
        raise Unprocessable(
            f"There is no active procedure {code!r} in the catalogue.",
            code="unknown_procedure",
            details={"fields": {"procedure_code": ["Not an active procedure of the catalogue."]}},
        )
    files = _decoded(args["components"])  # refused before anything is started
    dossier = dossiers.receive(
        code,
        applicant=mapping.applicant(args["applicant"]),
        channel="online",
        components=mapping.components(args["components"]),
        actor=actor,
        portal_id=args["portal_id"],
        fee=mapping.fee(args.get("fee")),
    )
    stored = _store(dossier.instance_id, dossier, files, actor)
    # Status 1 is where a dossier starts, not a move: said once, so that the portal hears it first.
    payload = {"from": None, "to": 1, "code": None, "dossier_id": str(dossier.id)}
    outbox.emit("dossier.status_changed", payload, instance_id=dossier.instance_id)
    return receipt(dossier, stored, duplicate=False), True


def supplement(portal_id: str, args: dict, *, actor) -> tuple[dict, bool]:
    """The applicant's supplement: its files attached, then the message `supplement_received`
    delivered to the dossier's process, which resumes the dossier paused for it (the model's
    boundary event on await_supplement); 409 if the dossier does not wait for a supplement."""
    dossier = find(portal_id)
    seen = db.session.scalar(
        sa.select(PortalSupplement).where(
            PortalSupplement.dossier_id == dossier.id, PortalSupplement.supplement_id == args["supplement_id"]
        )
    )
    if seen is not None:
        files = db.session.scalars(sa.select(Attachment).where(Attachment.id.in_(seen.files))).all()
        return receipt(dossier, list(files), duplicate=True), False
    instance = instances.get(dossier.instance_id, with_state=True)
    if instance.state != "running" or SUPPLEMENT_MESSAGE not in (instance.waiting_messages or []):
        raise Conflict(
            f"Dossier {dossier.code or dossier.portal_id} does not wait for a supplement "
            f"(status {dossier.status}).",
            code="not_waiting_for_supplement",
            details={"status": dossier.status},
        )
    files = _decoded(args["components"])
    stored = _store(instance.id, dossier, files, actor)
    db.session.add(
        PortalSupplement(
            dossier_id=dossier.id, supplement_id=args["supplement_id"], files=[str(a.id) for a in stored]
        )
    )
    payload = {  # lands in the boundary event's messageVariable, supplement_online
        "supplement_id": args["supplement_id"],
        "note": args.get("note"),
        "files": [{"id": str(a.id), "filename": a.filename, "component": a.component} for a in stored],
    }
    instances.deliver_message(instance, SUPPLEMENT_MESSAGE, payload, actor=actor)
    return receipt(dossier, stored, duplicate=False), True
