"""Webhook subscriptions, the relay from the outbox, and deliveries with retries.

The relay (service/relay.py, on every tick) hands the outbox's events not yet relayed, in order,
to `enqueue`, which writes one delivery per active subscription to each event's type, in the
relay's transaction: an event is relayed once, whatever the number of workers. A delivery is then
claimed with a lease and sent outside any transaction (`deliver`); a 2xx ends it, anything else
retries with exponential backoff (MOTCUA_WEBHOOK_BACKOFF_SECONDS doubled each time, at most an
hour) until MOTCUA_WEBHOOK_MAX_ATTEMPTS, after which it is dead (the dead-letter list) until an
administrator replays it. Every attempt of a delivery sends the same body and the same
X-Motcua-Delivery, so a receiver that keeps the ids it has seen sees each event once.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from integrations import webhooks as http

from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from ..outbox.models import OutboxEvent
from ..uow import unit_of_work
from .models import DEAD, DELIVERED, DELIVERING, PENDING, WebhookDelivery, WebhookSubscription

# The events a system may subscribe to (the outbox's other topics are internal).
EVENTS = (
    "instance.started",
    "instance.completed",
    "instance.failed",
    "task.created",
    "task.completed",
    "dossier.status_changed",
    "dossier.reappointed",
    "external_task.created",
    "incident.raised",
)
MAX_BACKOFF = timedelta(hours=1)


# --- subscriptions ------------------------------------------------------------------------------


def _check(url: str, events: list[str]) -> None:
    try:
        http.check_subscription(url, allow_private=bool(current_app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"]))
    except http.DestinationRefused as exc:
        raise Unprocessable(str(exc), details={"fields": {"url": [str(exc)]}}) from None
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        message = (
            f"Unknown event types: {', '.join(unknown)}." if unknown else "Name at least one event type."
        )
        raise Unprocessable(message, details={"fields": {"events": [message]}, "events": list(EVENTS)})


def create(
    url: str, events: list[str], *, secret: str | None, description: str | None, actor
) -> WebhookSubscription:
    """A new subscription; its secret is generated unless given (at least 16 characters)."""
    _check(url, events)
    subscription = WebhookSubscription(
        url=url,
        events=sorted(set(events)),
        secret=secret or secrets.token_urlsafe(32),
        description=description,
        active=True,
        created_by=getattr(actor, "username", None),
        created_at=utcnow(),
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def update(subscription: WebhookSubscription, changes: dict) -> WebhookSubscription:
    url = changes.get("url", subscription.url)
    events = changes.get("events", subscription.events)
    _check(url, events)
    subscription.url, subscription.events = url, sorted(set(events))
    for name in ("active", "description"):
        if name in changes:
            setattr(subscription, name, changes[name])
    if changes.get("secret"):
        subscription.secret = changes["secret"]
    db.session.flush()
    return subscription


def delete(subscription: WebhookSubscription) -> None:
    db.session.delete(subscription)
    db.session.flush()


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a dead (or delivered) delivery again, with its attempts counted afresh."""
    if delivery.state in (PENDING, DELIVERING):
        raise Conflict(
            f"Delivery {delivery.id} is still being sent ({delivery.state}).", code="delivery_pending"
        )
    now = utcnow()
    delivery.state, delivery.attempts, delivery.next_attempt_at = PENDING, 0, now
    delivery.lease_until, delivery.delivered_at = None, None
    db.session.flush()
    return delivery


# --- the relay -------------------------------------------------------------------------------


def _body(delivery_id: uuid.UUID, event: OutboxEvent) -> str:
    return json.dumps(
        {
            "delivery": str(delivery_id),
            "event": event.topic,
            "event_id": event.id,
            "occurred_at": event.created_at.isoformat(),
            "instance_id": str(event.instance_id) if event.instance_id else None,
            "data": event.payload,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def enqueue(events, now: datetime) -> int:
    """The relay's consumer (service/relay.py): one delivery per active subscription to each
    event's type, written in the relay's transaction; returns how many."""
    active = db.session.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.active)).all()
    written = 0
    for event in events:
        for subscription in active:
            if event.topic in subscription.events:
                delivery_id = uuid.uuid4()
                db.session.add(
                    WebhookDelivery(
                        id=delivery_id,
                        subscription_id=subscription.id,
                        event_id=event.id,
                        topic=event.topic,
                        body=_body(delivery_id, event),
                        state=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                written += 1
    return written


# --- deliveries ------------------------------------------------------------------------------


def due(now: datetime, *, limit: int = 200) -> list[uuid.UUID]:
    """Ids of the deliveries to send now (and of those whose sender died)."""
    table = WebhookDelivery.__table__
    ids = db.session.scalars(
        sa.select(table.c.id)
        .where(
            sa.or_(
                sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
                sa.and_(table.c.state == DELIVERING, table.c.lease_until < now),
            )
        )
        .order_by(table.c.next_attempt_at)
        .limit(limit)
    ).all()
    db.session.rollback()  # a read: end its transaction
    return list(ids)


def _settings() -> dict:
    config = current_app.config
    return {
        "lease": timedelta(seconds=float(config["MOTCUA_LEASE_SECONDS"])),
        "backoff": float(config["MOTCUA_WEBHOOK_BACKOFF_SECONDS"]),
        "max_attempts": int(config["MOTCUA_WEBHOOK_MAX_ATTEMPTS"]),
        "timeout": float(config["MOTCUA_WEBHOOK_TIMEOUT_SECONDS"]),
        "allow_private": bool(config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"]),
    }


def deliver(delivery_id: uuid.UUID) -> str | None:
    """Send one due delivery (claimed with a lease; None when another worker has it or it is not
    due); returns its state afterwards."""
    settings = _settings()
    now = utcnow()
    table = WebhookDelivery.__table__
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(table)
            .where(
                table.c.id == delivery_id,
                sa.or_(
                    sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
                    sa.and_(table.c.state == DELIVERING, table.c.lease_until < now),
                ),
            )
            .values(state=DELIVERING, lease_until=now + settings["lease"], attempts=table.c.attempts + 1)
        ).rowcount
    if not claimed:
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
    attempts, body, topic = delivery.attempts, delivery.body.encode(), delivery.topic
    url, secret, active = subscription.url, subscription.secret, subscription.active
    db.session.rollback()  # no transaction is held while the receiver answers
    if not active:
        outcome = http.Outcome(False, None, "The subscription is inactive.")
    else:
        outcome = http.send(
            url,
            secret=secret,
            event=topic,
            delivery=str(delivery_id),
            body=body,
            timeout=settings["timeout"],
            allow_private=settings["allow_private"],
        )
    now = utcnow()
    if outcome.delivered:
        values = {"state": DELIVERED, "delivered_at": now, "last_error": None}
    elif attempts >= settings["max_attempts"] or not active:
        values = {"state": DEAD, "last_error": outcome.error}
    else:
        wait = min(timedelta(seconds=settings["backoff"] * 2 ** (attempts - 1)), MAX_BACKOFF)
        values = {"state": PENDING, "next_attempt_at": now + wait, "last_error": outcome.error}
    with unit_of_work() as unit:
        still_ours = db.session.execute(
            sa.update(table)
            .where(table.c.id == delivery_id, table.c.state == DELIVERING, table.c.attempts == attempts)
            .values(lease_until=None, last_status=outcome.status, **values)
        ).rowcount
        if not still_ours:  # the lease ran out and another worker took it over
            unit.abort()
            return None
    return values["state"]


def purge(before: datetime) -> int:
    """Delete the delivered deliveries created before `before` (dead ones stay until replayed or
    their subscription is deleted)."""
    old = sa.and_(WebhookDelivery.state == DELIVERED, WebhookDelivery.created_at < before)
    return db.session.execute(sa.delete(WebhookDelivery).where(old)).rowcount
