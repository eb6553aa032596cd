"""/api/v1/dossiers/<ref>/payments: a dossier's payments, and its fee paid at the counter."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..dossiers import permissions as dossier_permissions
from ..dossiers import queries as dossiers
from ..dossiers.models import PAID
from ..errors import Unprocessable
from ..extensions import db
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..models_base import utcnow
from . import operations
from .schemas import CounterPaymentArgs, PaymentListSchema

blp = Blueprint(
    "payments", __name__, url_prefix="/api/v1", description="Payments of a dossier (fee, obligations)"
)


def _listing(dossier) -> dict:
    return {
        "fee_amount": dossier.procedure.fee_amount,
        "fee_paid": dossiers.fee_paid(dossier),
        "items": dossiers.payments(dossier),
    }


@blp.route("/dossiers/<string:ref>/payments")
class Payments(MethodView):
    @authorise(lambda user, ref: dossier_permissions.require_visible(user, dossiers.find(ref)))
    @blp.response(200, PaymentListSchema)
    def get(self, ref):
        """The dossier's payments (online and at the counter), and whether its fee is paid."""
        return _listing(dossiers.find(ref))

    @authorise(lambda user, ref: dossier_permissions.require_reception(user))
    @blp.arguments(CounterPaymentArgs)
    @blp.response(200, PaymentListSchema)
    def post(self, args, ref):
        """The fee paid at the counter (one-stop-shop officers): recorded with its receipt and handed
        to the process like an online payment (the receipt again changes nothing). 422 when the
        procedure has no fee or the amount is not its fee."""
        dossier = dossiers.find(ref)
        fee = dossier.procedure.fee_amount
        if not fee or args["amount"] != fee:
            message = (
                f"The procedure's fee is {fee} đồng; {args['amount']} was given."
                if fee
                else "The procedure collects no fee through the process."
            )
            raise Unprocessable(message, code="amount_mismatch", details={"fields": {"amount": [message]}})
        operations.record(
            dossier,
            purpose="fee",
            payment_id=f"counter:{args['receipt_number']}",
            state=PAID,
            amount=args["amount"],
            receipt_number=args["receipt_number"],
            paid_at=utcnow(),
            channel="counter",
            actor=current_user(),
        )
        db.session.flush()
        return _listing(dossier)
