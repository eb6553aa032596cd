"""Dossiers: reception, status kept in step with the process, the clock, and the steps of Mẫu 05.

A dossier follows its process instance: after every engine step, the stages of dossiers/follow.py read the
BPMN properties of the elements that completed and the tasks that opened (`dossierStatus`,
`clock`, `allotment`) and updates the dossier in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..errors import Unprocessable
from ..extensions import db
from ..identity.models import OrgUnit
from ..identity.operations import units
from ..instances import operations as instances
from ..models_base import utcnow
from ..procedures import operations as procedures
from . import cccd
from .models import CHANNELS, PAID, Dossier, Payment

FINAL = {3, 7, 8, 10}


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"]))


def national_code_of(user) -> str | None:
    """The national code of the user's own unit, None when the user has no unit or it has none."""
    if user is None or not user.unit:
        return None
    return db.session.scalar(sa.select(OrgUnit.national_code).where(OrgUnit.code == user.unit))


def unit_code_of(actor) -> str:
    """The national unit code that numbers the dossiers an officer receives (the org units are
    read once per unit of work: the reception's step reads them too)."""
    unit = units().get(actor.unit) if actor is not None and actor.unit else None
    return (unit.national_code if unit else None) or current_app.config["MOTCUA_DEFAULT_UNIT_CODE"]


def applicant_from(data: dict) -> dict:
    """The applicant's details, filled from a CCCD QR string when one is given."""
    applicant = {k: v for k, v in data.items() if k != "cccd_qr" and v is not None}
    if data.get("cccd_qr"):
        try:
            applicant = {**cccd.parse(data["cccd_qr"]), **applicant}
        except cccd.CCCDInvalid as exc:
            raise Unprocessable(
                str(exc), code="cccd_invalid", details={"fields": {"applicant/cccd_qr": [str(exc)]}}
            ) from None
    if not applicant.get("name"):
        raise Unprocessable(
            "The applicant needs a name (or a CCCD QR string).",
            details={"fields": {"applicant/name": ["This field is required."]}},
        )
    return applicant


MAX_SETS = 100


def receive(
    procedure_code: str,
    *,
    applicant: dict,
    channel: str,
    components: list[dict],
    actor,
    sets: int = 1,
    portal_id: str | None = None,
    fee: dict | None = None,
    pickup: dict | None = None,
) -> Dossier:
    """Open a dossier for a procedure of the catalogue and start its process (status 1); `sets`:
    the number of sets of the dossier the counter received (Mẫu 01), at least one; `portal_id`
    and `fee`: a dossier submitted on the national portal (service/dvcqg), its id there and the
    fee as the portal says it (amount, paid or not), given to the process as `fee`; `pickup`
    ({address, phone}, channel post): the post collects the documents there first."""
    procedure, definition = procedures.get_with_process(procedure_code)
    if channel not in CHANNELS:
        raise Unprocessable(f"The channel must be one of {', '.join(CHANNELS)}.")
    if pickup is not None and channel != "post":
        message = "A pickup of the documents by the post goes with the channel post."
        raise Unprocessable(message, details={"fields": {"pickup": [message]}})
    if isinstance(sets, bool) or not isinstance(sets, int) or not 1 <= sets <= MAX_SETS:
        message = f"The number of sets must be a whole number from 1 to {MAX_SETS}."
        raise Unprocessable(message, details={"fields": {"sets": [message]}})
    applicant = applicant_from(applicant)
    dossier_id = uuid.uuid4()
    # The service's own variables (system_variables): no form, start or message may set them.
    variables = {
        "dossier_id": str(dossier_id),
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "processing_days": float(procedure.processing_days),
        # The fee the process requests online (đồng; 0: none), as the catalogue says at reception.
        "fee_amount": procedure.fee_amount or 0,
        # The post collects the documents at the applicant's address first (post/book_pickup).
        "pickup_requested": pickup is not None,
        "pickup_address": dict(pickup) if pickup is not None else None,
        "channel": channel,
        "portal_id": portal_id,
        "fee": fee,
        # Paid on the portal before it was sent (recorded as a payment by service/dvcqg): the
        # process requests no payment (the digitise step's fee_due).
        "fee_prepaid": bool(fee and fee.get("paid") and fee.get("amount")),
        "applicant": applicant,
        "components": components,
        # Set by follow.timer_variables once the dossier is numbered (for the model's apology timer).
        "dossier_code": None,
        "due_at": None,
        "apology_at": None,  # parked until the clock starts (follow.timer_variables)
        # The org units whose officers handle the steps (the BPMN tasks' `unitVariable`): the
        # receiving officer's unit for the counter's steps, the procedure's agency for the rest.
        # A code no org unit has stops the instance with an incident when the task would open.
        "reception_unit": getattr(actor, "unit", None),
        "handling_unit": procedure.unit_code,
    }
    now = utcnow()
    dossier = Dossier(
        id=dossier_id,
        unit_code=unit_code_of(actor),
        procedure_id=procedure.id,
        procedure=procedure,
        applicant=applicant,
        channel=channel,
        components=components,
        sets=sets,
        portal_id=portal_id,
        status=1,
        submitted_at=now,
        created_by_id=actor.id,
        updated_at=now,
    )

    def attach(instance):  # the row must exist before the first engine step, for dossiers/follow.py
        dossier.instance_id = instance.id
        dossier.updated_at = instance.created_at  # the step's moment: its stages write no other
        db.session.add(dossier)
        db.session.flush()

    def answer(step):  # what the reception answers, as its step wrote it (routes: no read back)
        dossier.reception_step = step

    instances.start(
        definition,
        business_key=str(dossier_id),
        variables={},
        system_variables=variables,
        actor=actor,
        on_created=attach,
        on_persisted=answer,
    )
    if variables["fee_prepaid"]:
        _record_prepaid_fee(dossier, fee, now)
    return dossier


def _record_prepaid_fee(dossier: Dossier, fee: dict, now: datetime) -> None:
    """A fee the national portal says was paid there becomes a payment of the dossier (`payments`,
    the one record of "fee paid" that service/payments keeps: the result step's fee check and the
    QĐ 766 fee indicator read it), channel online; the process, told so (`fee_prepaid`), requests
    none."""
    db.session.add(
        Payment(
            dossier_id=dossier.id,
            purpose="fee",
            payment_id=f"dvcqg-fee-{dossier.id}",
            channel="online",
            state=PAID,
            amount=fee["amount"],
            receipt_number=fee.get("receipt"),
            paid_at=now,
            callbacks=1,
            created_at=now,
            updated_at=now,
        )
    )
    dossier.fee_payment = "online"


def withdraw(dossier: Dossier, *, reason: str | None, actor) -> None:
    """The applicant withdraws the dossier: the process's withdrawal message is delivered."""
    instance = instances.get(dossier.instance_id, with_state=True)
    instances.deliver_message(
        instance, "withdrawal", {"withdrawal_reason": reason}, actor=actor, expected_version=None
    )
