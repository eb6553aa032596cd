"""Callbacks of the remote systems, signed with their shared secret (signatures.py): the payment
platform's result of a payment, the postal operator's tracking of an item.

A callback sent again is answered 200 "duplicate" and changes nothing; one Motcua cannot place yet
(a payment it has not recorded the request of) is a 409 the sender retries later.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from ..dossiers import handover
from ..dossiers import queries as dossiers
from ..errors import Conflict
from ..extensions import db
from ..payments import operations as payments
from . import operations
from .schemas import CallbackAnswerSchema, PaymentCallbackArgs, PostCallbackArgs
from .signatures import signed

blp = Blueprint(
    "callbacks",
    __name__,
    url_prefix="/api/v1",
    description="Callbacks of the payment platform and the postal operator (signed: X-Motcua-Signature)",
)


# No token: the body is signed (the security scheme callbackSignature: X-Motcua-Signature).
SIGNED_DOC = {"security": [{"callbackSignature": []}]}


@blp.route("/payments/callback", methods=["POST"])
@blp.doc(**SIGNED_DOC)
@signed("MOTCUA_PAYMENT_CALLBACK_SECRET")
@blp.arguments(PaymentCallbackArgs)
@blp.response(200, CallbackAnswerSchema)
def payment_callback(args):
    """The payment platform says a payment is paid, refused or expired.

    Signed with MOTCUA_PAYMENT_CALLBACK_SECRET (no token). A paid payment is recorded with its
    receipt number and amount and delivered to the dossier's process (`fee_paid` or
    `financial_paid`); the same callback again is a "duplicate" and changes nothing. 409
    `payment_not_requested` when the dossier's process has no such request (yet: retry later);
    422 `amount_mismatch` when the amount is not the one requested.
    """
    dossier = dossiers.find(args["ref"])
    expected = payments.requested(dossier, args["purpose"], args["payment_id"])
    if expected is None and not payments.known(args["payment_id"]):
        raise Conflict(
            f"Dossier {dossier.code} has no payment request {args['payment_id']} (yet): send it again later.",
            code="payment_not_requested",
        )
    payments.check_amount(expected, args["amount"], args["payment_id"])
    outcome, _row = payments.record(
        dossier,
        purpose=args["purpose"],
        payment_id=args["payment_id"],
        state=args["status"],
        amount=args["amount"],
        receipt_number=args["receipt_number"],
        paid_at=args["at"],
        channel="online",
    )
    db.session.flush()
    return {"outcome": outcome, "code": dossier.code}


@blp.route("/post/callback", methods=["POST"])
@blp.doc(**SIGNED_DOC)
@signed("MOTCUA_POST_CALLBACK_SECRET")
@blp.arguments(PostCallbackArgs)
@blp.response(200, CallbackAnswerSchema)
def post_callback(args):
    """The postal operator says where an item is (picked up, in transit, delivered...).

    Signed with MOTCUA_POST_CALLBACK_SECRET (no token). The result's item (`kind` delivery): its
    status is kept on the dossier (`shipment_status`) and audited; the same status again is a
    "duplicate". The applicant's documents (`kind` pickup): delivered to the one-stop shop, the
    check at the counter opens ("delivered"; again: "duplicate"). 409 `unknown_item` when the
    dossier was not sent or picked up with this tracking number.
    """
    dossier = dossiers.find(args["ref"])
    at = args["at"].isoformat() if args["at"] else None
    if args["kind"] == "pickup":  # the applicant's documents, on their way to the counter
        outcome = operations.pickup_tracked(
            dossier, tracking_number=args["tracking_number"], status=args["status"], at=at
        )
        db.session.flush()
        return {"outcome": outcome, "code": dossier.code}
    outcome = handover.track(
        dossier, tracking_number=args["tracking_number"], status=args["status"], at=at, note=args["note"]
    )
    db.session.flush()
    return {"outcome": outcome, "code": dossier.code}
