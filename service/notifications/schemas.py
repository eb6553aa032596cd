"""Notification deliveries, templates, contacts and opt-outs, as the API reads and writes them."""

from __future__ import annotations

import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema
from .models import CHANNELS, STATES

_CHANNEL = ma.validate.OneOf(CHANNELS)


class DeliveryArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    channel = ma.fields.String(validate=_CHANNEL)
    template = ma.fields.String(validate=ma.validate.Length(max=32))
    dossier_id = ma.fields.UUID()


class NotificationDeliverySchema(ma.Schema):
    id = ma.fields.UUID(metadata={"description": "Also the connector's Idempotency-Key"})
    event_id = ma.fields.Integer()
    template = ma.fields.String()
    channel = ma.fields.String(metadata={"enum": list(CHANNELS)})
    recipient = ma.fields.String(metadata={"description": '"applicant" or "user:<id>"'})
    phone = ma.fields.String(allow_none=True)
    dossier_id = ma.fields.UUID(allow_none=True)
    params = ma.fields.Dict(
        metadata={"description": "What is sent: the SMS text, or the ZNS template and data"}
    )
    state = ma.fields.String(metadata={"enum": list(STATES)})
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    last_error = ma.fields.String(allow_none=True)
    reference = ma.fields.String(allow_none=True, metadata={"description": "The remote's message id"})
    created_at = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)


DeliveryPage = page_schema(NotificationDeliverySchema, "NotificationDeliveryPage")


class ZaloTemplateSchema(ma.Schema):
    template_id = ma.fields.String()
    params = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class TemplateSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    audience = ma.fields.String(metadata={"enum": ["applicant", "officer"]})
    sms = ma.fields.String()
    zalo = ma.fields.Nested(ZaloTemplateSchema)


class TemplateListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TemplateSchema))
    values = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ContactArgs(RequestSchema):
    phone = ma.fields.String(required=True, validate=ma.validate.Length(min=9, max=20))
    sms = ma.fields.Boolean(load_default=False)
    zalo = ma.fields.Boolean(load_default=True)


class ContactSchema(ma.Schema):
    user_id = ma.fields.Integer()
    phone = ma.fields.String()
    sms = ma.fields.Boolean()
    zalo = ma.fields.Boolean()
    updated_at = ma.fields.AwareDateTime()


class OptOutArgs(RequestSchema):
    phone = ma.fields.String(required=True, validate=ma.validate.Length(min=9, max=20))
    channel = ma.fields.String(required=True, validate=_CHANNEL)
    note = ma.fields.String(validate=ma.validate.Length(max=255))


class OptOutSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String()
    channel = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    created_by = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


OptOutPage = page_schema(OptOutSchema, "NotificationOptOutPage")
