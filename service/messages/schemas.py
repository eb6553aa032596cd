"""POST /api/v1/messages: a message to correlate, and what it did."""

import marshmallow as ma

from ..instances.schemas import InstanceSchema
from ..web import RequestSchema

MAX_KEYS = 20


class CorrelateArgs(RequestSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    business_key = ma.fields.String(validate=ma.validate.Length(min=1, max=255))
    correlation_keys = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        validate=ma.validate.Length(max=MAX_KEYS),
        load_default=dict,
        metadata={
            "description": "{variable: value}: each must equal the instance's variable of that name, "
            'with its JSON type (5 is not "5")',
            "maxProperties": MAX_KEYS,
        },
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
