"""Recording a payment and handing it to the dossier's process, once; the fee's check before a
result is issued.

A payment comes from the payment platform's signed callback (`record`, channel online) or from the
one-stop shop's counter (`record`, channel counter). It is one `payments` row per `payment_id`: a
callback delivered twice finds its row and changes nothing ("never twice"), and of two racing
ones the unique key lets one insert (INSERT ... ON CONFLICT DO NOTHING: the other is then a
duplicate). A payment that is paid is delivered to the process as its message (`fee_paid`,
`financial_paid`: integrations/codes.py), with the receipt number and amount as the message's
payload, in the same unit of work.

The `payments` rows are the one record of "fee paid": the result step's check (`check_fee`), the
dossier's API and page (`dossiers.queries.fee_paid`) and the dossier's `fee_payment` (how it was
paid, for the QĐ 766 index: set here from the paid row's channel) all read them. A fee the
national portal says was paid there is a row too, written when the dossier is received
(dossiers.operations.receive, channel online). The
return form's `fee_payment` only speaks for a dossier with no paid fee recorded whose procedure
collects no fee through the process (dossiers/follow.py `record_facts`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from integrations.codes import PAYMENT_PURPOSES

from ..audit.operations import fact
from ..audit.operations import record as audit
from ..dossiers import queries as dossier_queries
from ..dossiers.follow import dossier_of
from ..dossiers.models import PAID, Dossier, Payment
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..instances import operations as instances
from ..jobs.models import DONE, ServiceCall
from ..models_base import utcnow

REQUEST_OPERATION = "payment/create_request"
# A task whose element says feeRequired=true (the result step) may not complete before the fee
# of a procedure that has one is paid (PIPELINE.completion_checks).
FEE_PROPERTY = "feeRequired"


def requested(dossier: Dossier, purpose: str, payment_id: str) -> dict | None:
    """The payment request of this purpose the dossier's process made with this id: the answer of
    its service call (kept in `service_calls`, whatever became of the branch that made it)."""
    made = db.session.execute(
        sa.select(ServiceCall.params, ServiceCall.result).where(
            ServiceCall.instance_id == dossier.instance_id,
            ServiceCall.operation == REQUEST_OPERATION,
            ServiceCall.state == DONE,
        )
    )
    for params, answer in made:
        if (
            isinstance(answer, dict)
            and answer.get("payment_id") == payment_id
            and (params or {}).get("purpose") == purpose
        ):
            return answer
    return None


def record(
    dossier: Dossier,
    *,
    purpose: str,
    payment_id: str,
    state: str,
    amount: int,
    receipt_number: str | None,
    paid_at: datetime | None,
    channel: str,
    actor=None,
) -> tuple[str, Payment]:
    """Record what was said of a payment; deliver it to the process if it is paid now. Returns
    ("recorded" | "delivered" | "duplicate", the row). The caller checked who says it."""
    now = utcnow()
    values = {"state": state, "amount": amount, "receipt_number": receipt_number, "paid_at": paid_at}
    row = db.session.scalar(sa.select(Payment).where(Payment.payment_id == payment_id))
    if row is None:
        dialect = db.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Payment.__table__)
        inserted = db.session.execute(
            insert.values(
                dossier_id=dossier.id,
                purpose=purpose,
                payment_id=payment_id,
                channel=channel,
                callbacks=1,
                created_at=now,
                updated_at=now,
                **values,
            )
            .on_conflict_do_nothing(index_elements=["payment_id"])
            .returning(Payment.__table__.c.id)
        ).scalar()  # None: nothing inserted (rowcount is not reliable here on every driver)
        row = db.session.scalar(sa.select(Payment).where(Payment.payment_id == payment_id))
        if inserted is None:  # a racing duplicate inserted it first (the unique key decided)
            _count(row)
            return "duplicate", row
    else:
        if row.dossier_id != dossier.id or row.purpose != purpose:
            raise Conflict(
                f"The payment {payment_id} belongs to another dossier or purpose.", code="payment_mismatch"
            )
        table = Payment.__table__
        moved = db.session.execute(
            sa.update(table)
            .where(table.c.id == row.id, table.c.state != PAID)
            .values(callbacks=table.c.callbacks + 1, updated_at=now, **values)
        ).rowcount
        if not moved:  # already paid: the same news again
            _count(row)
            return "duplicate", row
        db.session.refresh(row)
    facts = [
        fact(
            "payment_recorded",
            at=now,
            actor=actor,
            instance_id=dossier.instance_id,
            data={
                "payment_id": payment_id,
                "purpose": purpose,
                "state": state,
                "amount": amount,
                "receipt_number": receipt_number,
                "channel": channel,
                "code": dossier.code,
            },
        )
    ]
    audit(facts)
    if state != PAID:
        return "recorded", row
    if purpose == "fee":  # how the fee was paid, for the QĐ 766 index (reports): this row says it
        dossier.fee_payment = channel
    return _deliver(dossier, row, actor=actor), row


def _count(row: Payment) -> None:
    table = Payment.__table__
    db.session.execute(sa.update(table).where(table.c.id == row.id).values(callbacks=table.c.callbacks + 1))


def _deliver(dossier: Dossier, row: Payment, *, actor) -> str:
    """Hand a paid payment to the process, if it waits for it (else it is only recorded: the
    dossier moved on, e.g. paid at the counter meanwhile, or its handling ended)."""
    name = PAYMENT_PURPOSES[row.purpose]
    instance = instances.get(dossier.instance_id, with_state=True)
    if instance.state != "running" or name not in (instance.waiting_messages or []):
        return "recorded"
    payload = {
        "payment_id": row.payment_id,
        "receipt_number": row.receipt_number,
        "amount": row.amount,
        "paid_at": row.paid_at.isoformat() if row.paid_at else None,
        "paid_via": row.channel,
    }
    instances.deliver_message(instance, name, payload, actor=actor)
    return "delivered"


def check_fee(task, instance, variables: dict) -> None:
    """A completion check (service/stages.py): the result step of a dossier whose procedure has a
    fee may not complete before the fee is paid (409 fee_not_paid, nothing applied)."""
    if str((task.properties or {}).get(FEE_PROPERTY, "")).lower() != "true":
        return
    dossier = dossier_of(instance, None)
    if dossier is None or dossier_queries.fee_paid(dossier):
        return
    raise Conflict(
        f"The fee of dossier {dossier.code} ({dossier.procedure.fee_amount:,} đồng) is not paid yet: "
        "the result is issued once it is (paid online, or recorded at the counter).",
        code="fee_not_paid",
        details={"code": dossier.code, "fee_amount": dossier.procedure.fee_amount},
    )


def check_amount(expected: dict | None, amount: int, payment_id: str) -> None:
    if expected is not None and expected.get("amount") != amount:
        raise Unprocessable(
            f"The payment {payment_id} is of {amount} đồng; {expected.get('amount')} was requested.",
            code="amount_mismatch",
            details={"requested": expected.get("amount"), "paid": amount},
        )


def known(payment_id: str) -> bool:
    """Whether a payment of this id was recorded before (a callback about it is news or a repeat)."""
    return db.session.scalar(sa.select(Payment.id).where(Payment.payment_id == payment_id)) is not None
