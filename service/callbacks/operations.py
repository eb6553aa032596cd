"""What a callback changes beyond a payment: the post's tracking of a pickup of the applicant's
documents (the result's own tracking is the dossier's: dossiers/handover.py).

A pickup is booked by the dossier's process (`post/book_pickup`, its answer kept in
`service_calls`); when the post says the item was delivered to the one-stop shop, the process's
wait (`documents_arrived`) ends and the check at the counter opens. The same news again finds no
wait: "duplicate"."""

from __future__ import annotations

import sqlalchemy as sa

from integrations.codes import POST_STATUSES

from ..audit.operations import fact, record
from ..dossiers.models import Dossier
from ..errors import Conflict
from ..extensions import db
from ..instances import operations as instances
from ..jobs.models import DONE, ServiceCall
from ..models_base import utcnow

PICKUP_OPERATION = "post/book_pickup"
ARRIVED = "documents_arrived"  # the model's message: the documents are at the counter


def pickup_tracked(dossier: Dossier, *, tracking_number: str, status: str, at: str | None) -> str:
    """The post's status of the dossier's pickup: "delivered" (handed to the process), "updated"
    or "duplicate"."""
    answers = db.session.scalars(
        sa.select(ServiceCall.result).where(
            ServiceCall.instance_id == dossier.instance_id,
            ServiceCall.operation == PICKUP_OPERATION,
            ServiceCall.state == DONE,
        )
    )
    if not any(isinstance(a, dict) and a.get("tracking_number") == tracking_number for a in answers):
        raise Conflict(
            f"No pickup of dossier {dossier.code or dossier.id} was booked as {tracking_number}.",
            code="unknown_item",
        )
    instance = instances.get(dossier.instance_id, with_state=True)
    waiting = instance.state == "running" and ARRIVED in (instance.waiting_messages or [])
    if status == "delivered" and not waiting:
        return "duplicate"
    data = {"tracking_number": tracking_number, "kind": "pickup", "to": status, "at": at}
    record(
        [
            fact(
                "shipment_tracked",
                at=utcnow(),
                instance_id=dossier.instance_id,
                message=POST_STATUSES[status],
                data=data,
            )
        ]
    )
    if status != "delivered":
        return "updated"
    instances.deliver_message(instance, ARRIVED, {"tracking_number": tracking_number, "at": at}, actor=None)
    return "delivered"
