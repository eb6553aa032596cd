"""Webhook subscriptions and deliveries, as the API reads and writes them."""

from __future__ import annotations

import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema
from .models import STATES
from .operations import EVENTS

_EVENTS = ma.fields.List(
    ma.fields.String(validate=ma.validate.OneOf(EVENTS)),
    validate=ma.validate.Length(min=1, max=len(EVENTS)),
    metadata={"example": ["instance.completed", "dossier.status_changed"]},
)
_URL = ma.fields.String(
    validate=ma.validate.Length(min=8, max=2048), metadata={"example": "https://example.gov.vn/hooks/motcua"}
)
_SECRET = ma.fields.String(
    validate=ma.validate.Length(min=16, max=255),
    metadata={"description": "The HMAC-SHA256 key of X-Motcua-Signature; generated when left out."},
)


class SubscriptionArgs(RequestSchema):
    url = _URL
    events = _EVENTS
    secret = _SECRET
    description = ma.fields.String(validate=ma.validate.Length(max=255), allow_none=True)

    class Meta:
        ordered = True


class NewSubscriptionArgs(SubscriptionArgs):
    url = ma.fields.String(required=True, validate=_URL.validate, metadata=_URL.metadata)
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENTS)),
        required=True,
        validate=_EVENTS.validate,
        metadata=_EVENTS.metadata,
    )


class SubscriptionChangeArgs(SubscriptionArgs):
    active = ma.fields.Boolean()


class SubscriptionSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    description = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    created_by = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class NewSubscriptionSchema(SubscriptionSchema):
    secret = ma.fields.String(metadata={"description": "Shown once: keep it to check the signatures."})


class DeliveryArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    subscription_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2147483647))


class DeliverySchema(ma.Schema):
    id = ma.fields.UUID()
    subscription_id = ma.fields.Integer()
    event_id = ma.fields.Integer()
    event = ma.fields.String(attribute="topic")
    state = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    last_status = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    delivered_at = ma.fields.AwareDateTime(allow_none=True)


SubscriptionPage = page_schema(SubscriptionSchema, "WebhookSubscriptionPage")
DeliveryPage = page_schema(DeliverySchema, "WebhookDeliveryPage")
