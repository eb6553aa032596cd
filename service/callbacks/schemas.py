import marshmallow as ma

from integrations.codes import PAYMENT_PURPOSES, PAYMENT_STATUSES, POST_STATUSES

from ..web import RequestSchema


class PaymentCallbackArgs(RequestSchema):
    """The payment platform's word on a payment (integrations/codes.py: Motcua's names)."""

    class Meta:
        unknown = ma.EXCLUDE  # the platform may add fields; these are the ones Motcua reads

    payment_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    ref = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    purpose = ma.fields.String(required=True, validate=ma.validate.OneOf(list(PAYMENT_PURPOSES)))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(PAYMENT_STATUSES)))
    amount = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=0, max=10**15))
    receipt_number = ma.fields.String(
        allow_none=True, load_default=None, validate=ma.validate.Length(max=100)
    )
    at = ma.fields.AwareDateTime(allow_none=True, load_default=None)

    @ma.validates_schema
    def _receipt(self, data, **kwargs):
        if data.get("status") == "paid" and not data.get("receipt_number"):
            raise ma.ValidationError("A paid payment names its receipt number.", "receipt_number")


class PostCallbackArgs(RequestSchema):
    """The postal operator's word on an item (integrations/codes.py POST_STATUSES)."""

    class Meta:
        unknown = ma.EXCLUDE

    tracking_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    ref = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    kind = ma.fields.String(load_default="delivery", validate=ma.validate.OneOf(["delivery", "pickup"]))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(POST_STATUSES)))
    at = ma.fields.AwareDateTime(allow_none=True, load_default=None)
    note = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=1000))


class CallbackAnswerSchema(ma.Schema):
    outcome = ma.fields.String(
        metadata={"enum": ["delivered", "recorded", "duplicate", "updated"], "description": "What Motcua did"}
    )
    code = ma.fields.String(allow_none=True, metadata={"description": "The dossier's code"})
