import marshmallow as ma

from integrations.codes import PAYMENT_CHANNELS, PAYMENT_LABELS

from ..web import RequestSchema


class PaymentSchema(ma.Schema):
    payment_id = ma.fields.String(
        metadata={"description": "The payment platform's id (counter: the receipt's)"}
    )
    purpose = ma.fields.String(metadata={"enum": ["fee", "financial"]})
    channel = ma.fields.String(metadata={"enum": list(PAYMENT_CHANNELS)})
    state = ma.fields.String(metadata={"enum": list(PAYMENT_LABELS)})
    state_label = ma.fields.Function(lambda p: PAYMENT_LABELS.get(p.state, p.state))
    amount = ma.fields.Integer(metadata={"description": "đồng"})
    receipt_number = ma.fields.String(allow_none=True)
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    callbacks = ma.fields.Integer(metadata={"description": "How many times the platform told it"})
    created_at = ma.fields.AwareDateTime()


class CounterPaymentArgs(RequestSchema):
    """The fee paid at the one-stop shop's counter (cash or card), with its receipt."""

    receipt_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    amount = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=10**15))


class PaymentListSchema(ma.Schema):
    fee_amount = ma.fields.Integer(allow_none=True, metadata={"description": "The procedure's fee (đồng)"})
    fee_paid = ma.fields.Boolean()
    items = ma.fields.List(ma.fields.Nested(PaymentSchema))
