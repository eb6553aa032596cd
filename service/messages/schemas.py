"""POST /api/v1/messages: a message to correlate, and what it did."""

import marshmallow as ma

from ..instances.schemas import InstanceSchema
from ..web import RequestSchema

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
MAX_KEYS = 20


def _scalar(value) -> None:
    if isinstance(value, str):
        if len(value) > 1024:
            raise ma.ValidationError("A correlation value is at most 1024 characters.")
        return
    if isinstance(value, bool | int | float):
        return
    raise ma.ValidationError("A correlation value is a string, a number or a boolean.")


class CorrelateArgs(RequestSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    business_key = ma.fields.String(validate=ma.validate.Length(min=1, max=255))
    correlation_keys = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Regexp(IDENTIFIER)),
        values=ma.fields.Raw(validate=_scalar),
        validate=ma.validate.Length(max=MAX_KEYS),
        load_default=dict,
        metadata={"description": "{variable: value}: every one must equal the instance's variable"},
    )
    variables = ma.fields.Dict(
        keys=ma.fields.String(),
        load_default=dict,
        metadata={"description": "The message's payload, or the start data of an instance it starts"},
    )
    all = ma.fields.Boolean(
        load_default=False, metadata={"description": "Deliver to every matching instance (else 409)"}
    )


class CorrelationSchema(ma.Schema):
    outcome = ma.fields.String(
        metadata={"enum": ["delivered", "started"], "description": "200: delivered; 201: started"}
    )
    instances = ma.fields.List(
        ma.fields.Nested(InstanceSchema),
        metadata={"description": "The instances the message was delivered to, or the one it started"},
    )
