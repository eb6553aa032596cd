"""The relay from the outbox to its outside consumers' queues.

Each tick, `relay(now)` takes the events not yet relayed, in order (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so two workers never take the same), hands them to every consumer of CONSUMERS, which
writes its own rows (webhook deliveries, notification deliveries, portal status pushes), and
marks them relayed, in one transaction: an event reaches each consumer once, or not at all if the
transaction fails (and is taken again on the next tick). Adding a consumer is one line in CONSUMERS:
`consumer(events, now)`, writing in the open transaction, never committing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .dvcqg import pushes as dvcqg
from .extensions import db
from .notifications import operations as notifications
from .outbox.models import OutboxEvent
from .uow import unit_of_work
from .webhooks import operations as webhooks

CONSUMERS = (
    webhooks.enqueue,  # one delivery per active subscription to the event's type
    notifications.enqueue,  # SMS / Zalo messages to the applicant or the officers, per channel
    dvcqg.relayed,  # a portal dossier's status changes: pushes to the national portal, in order
)


def relay(now: datetime, *, limit: int = 500) -> int:
    """Hand the next events of the outbox to the consumers, in one unit of work; returns how many
    events were relayed."""
    with unit_of_work():
        query = (
            sa.select(OutboxEvent)
            .where(OutboxEvent.relayed_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = db.session.scalars(query).all()
        if not events:
            return 0
        for consumer in CONSUMERS:
            consumer(events, now)
        ids = [event.id for event in events]
        db.session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids))
            .values(relayed_at=now)
            .execution_options(synchronize_session=False)
        )
        return len(events)
