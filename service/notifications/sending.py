"""Sending the deliveries: claimed with a lease, sent through the channel's connector outside any
transaction, with the delivery's id as the Idempotency-Key (a retry after a lost answer is one
message on the remote side). A failure the connector calls retryable waits (the contract's
`retry.backoff_seconds`, doubled each time, at most an hour) and is tried again until the
contract's `retry.attempts`; then, or at once for a refusal, the delivery is dead (the dead-letter
list) until an administrator replays it. A phone that opted out meanwhile is skipped, unsent."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from integrations import ConnectorError

from ..errors import Conflict
from ..extensions import db
from ..models_base import utcnow
from ..uow import unit_of_work
from . import mapping
from .models import DEAD, PENDING, SENDING, SENT, SKIPPED, NotificationDelivery
from .operations import opted_out

MAX_BACKOFF = timedelta(hours=1)
DEFAULT_ATTEMPTS, DEFAULT_BACKOFF = 5, 30.0


def _due(table, now: datetime):
    return sa.or_(
        sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
        sa.and_(table.c.state == SENDING, table.c.lease_until < now),
    )


def due(now: datetime, *, limit: int = 200) -> list[uuid.UUID]:
    """Ids of the deliveries to send now (and of those whose sender died)."""
    table = NotificationDelivery.__table__
    ids = db.session.scalars(
        sa.select(table.c.id).where(_due(table, now)).order_by(table.c.next_attempt_at).limit(limit)
    ).all()
    db.session.rollback()  # a read: end its transaction
    return list(ids)


def _policy(channel: str) -> tuple[int, float]:
    contract = current_app.extensions["motcua.connectors"].contracts.get(channel)
    attempts = getattr(contract, "attempts", None)
    backoff = getattr(contract, "backoff", None)
    return (
        attempts if attempts is not None else DEFAULT_ATTEMPTS,
        backoff if backoff is not None else DEFAULT_BACKOFF,
    )


def _call(channel: str, params: dict, key: str) -> tuple[str, str | None, str | None, bool]:
    """(outcome, reference, error, retryable): outcome is SENT or a failure."""
    connectors = current_app.extensions["motcua.connectors"]
    try:
        answer = connectors.call(f"{channel}/send", params, idempotency_key=key)
        return SENT, mapping.reference(channel, answer), None, False
    except ConnectorError as exc:
        return DEAD, None, str(exc), exc.retryable
    except mapping.Refused as exc:
        return DEAD, None, str(exc), False
    except RuntimeError as exc:
        return DEAD, None, str(exc), True


def deliver(delivery_id: uuid.UUID) -> str | None:
    """Send one due delivery (None when another worker has it or it is not due); returns its state
    afterwards."""
    now = utcnow()
    lease = timedelta(seconds=float(current_app.config["MOTCUA_LEASE_SECONDS"]))
    table = NotificationDelivery.__table__
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(table)
            .where(table.c.id == delivery_id, _due(table, now))
            .values(state=SENDING, lease_until=now + lease, attempts=table.c.attempts + 1)
        ).rowcount
    if not claimed:
        return None
    delivery = db.session.get(NotificationDelivery, delivery_id)
    attempts, channel, params, phone = (
        delivery.attempts,
        delivery.channel,
        dict(delivery.params),
        delivery.phone,
    )
    skip = opted_out(phone, channel)
    db.session.rollback()  # no transaction is held while the remote answers
    max_attempts, backoff = _policy(channel)
    now = utcnow()
    if skip:
        values = {"state": SKIPPED, "last_error": "The recipient opted out of this channel."}
    else:
        outcome, reference, error, retryable = _call(channel, params, str(delivery_id))
        if outcome == SENT:
            values = {"state": SENT, "sent_at": utcnow(), "reference": reference, "last_error": None}
        elif retryable and attempts < max_attempts:
            wait = min(timedelta(seconds=backoff * 2 ** (attempts - 1)), MAX_BACKOFF)
            values = {"state": PENDING, "next_attempt_at": now + wait, "last_error": error}
        else:
            values = {"state": DEAD, "last_error": error}
    with unit_of_work() as unit:
        still_ours = db.session.execute(
            sa.update(table)
            .where(table.c.id == delivery_id, table.c.state == SENDING, table.c.attempts == attempts)
            .values(lease_until=None, **values)
        ).rowcount
        if not still_ours:  # the lease ran out and another worker took it over
            unit.abort()
            return None
    return values["state"]


def replay(delivery: NotificationDelivery) -> NotificationDelivery:
    """Send a dead delivery again (the same parameters and Idempotency-Key: a message the remote
    did take is not sent twice), its attempts counted afresh."""
    if delivery.state != DEAD:
        raise Conflict(
            f"Delivery {delivery.id} is {delivery.state}; only a dead one is replayed.",
            code="delivery_not_dead",
        )
    delivery.state, delivery.attempts, delivery.next_attempt_at = PENDING, 0, utcnow()
    delivery.lease_until = None
    db.session.flush()
    return delivery


def purge(before: datetime) -> int:
    """Delete the sent and skipped deliveries created before `before` (dead ones stay)."""
    old = sa.and_(NotificationDelivery.state.in_((SENT, SKIPPED)), NotificationDelivery.created_at < before)
    return db.session.execute(sa.delete(NotificationDelivery).where(old)).rowcount
