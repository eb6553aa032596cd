"""Reading webhook subscriptions and their delivery log (the API's and the admin pages' lists)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..models_base import page_of
from .models import STATES, WebhookDelivery, WebhookSubscription


def get(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"There is no webhook subscription {subscription_id}.")
    return subscription


def subscriptions(page: int, per_page: int):
    return page_of(WebhookSubscription, sa.true(), (WebhookSubscription.id,), page, per_page)


def deliveries(*, subscription_id: int | None, state: str | None, page: int, per_page: int):
    conditions = []
    if subscription_id is not None:
        conditions.append(WebhookDelivery.subscription_id == subscription_id)
    if state:
        if state not in STATES:
            raise NotFound(f"There is no delivery state {state!r} (states: {', '.join(STATES)}).")
        conditions.append(WebhookDelivery.state == state)
    order = (WebhookDelivery.created_at.desc(), WebhookDelivery.id)
    return page_of(WebhookDelivery, sa.and_(sa.true(), *conditions), order, page, per_page)


def get_delivery(delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"There is no webhook delivery {delivery_id}.")
    return delivery
