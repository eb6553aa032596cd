"""What the remote systems answered that the dossier keeps, and the postal operator's tracking.

- `record_results` (a stage of the step pipeline, service/stages.py): a service task whose element
  says `dossierRecord="<field>:<variable>.<key>"` puts that key of its answer on the dossier when
  it completes: the post's tracking number (`tracking_number`, Mẫu 05 and Mẫu 06) and the
  documents system's number of the signed result (`edms_number`, the dossier page and Mẫu 05);
- `track`: the postal operator's status of a booked item (its signed callback), kept on the
  dossier (`shipment_status`) and audited; the same status again changes nothing.
"""

from __future__ import annotations

from integrations.codes import POST_STATUSES

from ..audit.operations import fact, record
from ..errors import Conflict
from ..models_base import utcnow
from ..steps import Step
from .models import Dossier

RECORD_PROPERTY = "dossierRecord"
FIELDS = {"tracking_number": 64, "edms_number": 100}  # the dossier's fields a model may fill: length


def record_results(step: Step) -> None:
    dossier = step.dossier
    if dossier is None:
        return
    variables = step.result.variables or {}
    for element in step.result.completed_elements:
        spec = (element["properties"] or {}).get(RECORD_PROPERTY)
        if not spec:
            continue
        field, _, source = str(spec).partition(":")
        variable, _, key = source.partition(".")
        answer = variables.get(variable)
        value = answer.get(key) if isinstance(answer, dict) else None
        if field not in FIELDS or not isinstance(value, str | int) or value == "":
            continue
        setattr(dossier, field, str(value)[: FIELDS[field]])
        if field == "tracking_number":
            dossier.shipment_status = "booked"
        step.audit.append(
            fact(
                "dossier_recorded",
                at=step.now,
                instance_id=step.instance.id,
                element_id=element["element_id"],
                data={"field": field, "value": str(value), "code": dossier.code},
            )
        )


def track(dossier: Dossier, *, tracking_number: str, status: str, at, note: str | None) -> str:
    """The post says where the item is: "updated", or "duplicate" for the status it already has."""
    if dossier.tracking_number != tracking_number:
        raise Conflict(
            f"Dossier {dossier.code} was not sent with the item {tracking_number}.", code="unknown_item"
        )
    if dossier.shipment_status == status:
        return "duplicate"
    before, dossier.shipment_status = dossier.shipment_status, status
    data = {"tracking_number": tracking_number, "from": before, "to": status, "at": at, "note": note}
    record(
        [
            fact(
                "shipment_tracked",
                at=utcnow(),
                instance_id=dossier.instance_id,
                message=POST_STATUSES[status],
                data={**data, "code": dossier.code},
            )
        ]
    )
    return "updated"
