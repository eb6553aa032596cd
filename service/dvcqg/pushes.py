"""Every status change of a dossier, pushed to the national portal: in order, once each.

- `relayed` is a consumer of the outbox relay (service/relay.py CONSUMERS): each
  `dossier.status_changed` event of a dossier that came from the portal becomes one
  `dvcqg_status_pushes` row in the relay's transaction (unique per event: an event relayed again
  makes none); when the `dvc` connector is configured, so does each of another dossier (counter,
  post) from its first event that carries its code, the portal's name for it (`mapping`);
- `due` (on every tick) lists the pushes to send now: pending and due (or whose sender's lease ran
  out), and the first of their dossier, i.e. no earlier push of the dossier is unsent and no
  earlier status event of its instance is still waiting for the relay;
- `send` claims one with a compare-and-set lease, calls `dvc/update_status` outside any
  transaction with the idempotency key `dvcqg-status-<event id>`, then marks it sent, or retries
  it with backoff (the contract's attempts and backoff), or, once they run out, fails it: an
  incident (audit `incident_opened`, outbox `incident.raised`) that holds the dossier's later
  statuses back until an administrator retries it (`retry`). A sent push marks its dossier synced
  (`dossiers.dvcqg_synced_at`, the first time; `dvcqg_status`, the status the portal has).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from integrations import contracts

from ..audit.operations import fact, record
from ..dossiers.models import Dossier
from ..errors import Conflict
from ..extensions import db
from ..models_base import utcnow
from ..outbox import operations as outbox
from ..outbox.models import OutboxEvent
from ..uow import unit_of_work
from . import mapping
from .models import FAILED, PENDING, SENDING, SENT, StatusPush

log = logging.getLogger(__name__)
TOPIC = "dossier.status_changed"
MAX_BACKOFF = timedelta(hours=1)


def relayed(events, now: datetime) -> None:
    """The relay's consumer (service/relay.py): each status event of a dossier the portal is to
    hear of becomes its push, in the relay's transaction."""
    every_dossier = configured()
    ours = [event for event in events if event.topic == TOPIC]
    dossiers = _read_dossiers(ours)
    for event in ours:
        enqueue(event, now, every_dossier=every_dossier, dossiers=dossiers)


def _dossier_id(event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str((event.payload or {}).get("dossier_id")))
    except ValueError:
        return None


def _read_dossiers(events) -> dict:
    """The dossiers of these events, by id, in one query (not one query per event). Returned, not
    only loaded: the session's identity map holds its objects weakly, so dossiers nobody refers
    to would be gone (and read again, one by one) by the time enqueue asks for them."""
    ids = {dossier_id for dossier_id in map(_dossier_id, events) if dossier_id is not None}
    if not ids:
        return {}
    return {
        dossier.id: dossier for dossier in db.session.scalars(sa.select(Dossier).where(Dossier.id.in_(ids)))
    }


def configured() -> bool:
    """The `dvc` connector is configured (MOTCUA_CONNECTORS): every dossier is synced, not only
    the portal's (without it, e.g. `make run` without the simulators, no push of another dossier
    is made: never a flood of incidents)."""
    return mapping.connector() in current_app.extensions["motcua.connectors"].configs


def _policy() -> tuple[int, float]:
    contract = contracts.load().get(mapping.CONNECTOR_OPERATION.partition("/")[0])
    attempts = contract.attempts if contract is not None and contract.attempts is not None else 3
    backoff = contract.backoff if contract is not None and contract.backoff is not None else 2.0
    return max(1, attempts), max(0.0, backoff)


def enqueue(event: OutboxEvent, now: datetime, *, every_dossier: bool, dossiers: dict) -> None:
    """A status event becomes its push: every one of a portal dossier; with `every_dossier` (the
    connector is configured), those of another dossier too from the first that carries its code
    (how the portal names it), the first of them creating it on the portal. `dossiers`: the events'
    dossiers by id, read for the whole batch (_read_dossiers)."""
    payload = event.payload or {}
    dossier_id = _dossier_id(event) if payload.get("dossier_id") else None
    if dossier_id is None or payload.get("to") is None:
        return
    dossier = dossiers.get(dossier_id)
    if dossier is None:
        return
    first = False
    if dossier.portal_id is None:
        if not every_dossier or not payload.get("code"):
            return
        first = dossier.dvcqg_synced_at is None and not db.session.scalar(
            sa.select(sa.exists().where(StatusPush.dossier_id == dossier.id))
        )
    attempts, backoff = _policy()
    params = mapping.status_params(
        dossier, event_id=event.id, payload=payload, changed_at=event.created_at, first=first
    )
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StatusPush.__table__)
    db.session.execute(
        insert.values(
            event_id=event.id,
            dossier_id=dossier.id,
            instance_id=event.instance_id,
            params=params,
            state=PENDING,
            attempts=0,
            max_attempts=attempts,
            backoff_seconds=backoff,
            next_attempt_at=now,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["event_id"])
    )


def _ready(table, now: datetime):
    """The condition of a push that may be sent now."""
    earlier = StatusPush.__table__.alias("earlier")
    unrelayed = OutboxEvent.__table__
    return sa.and_(
        sa.or_(
            sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
            sa.and_(table.c.state == SENDING, table.c.lease_until < now),
        ),
        ~sa.exists().where(
            earlier.c.dossier_id == table.c.dossier_id,
            earlier.c.event_id < table.c.event_id,
            earlier.c.state != SENT,
        ),
        ~sa.exists().where(
            unrelayed.c.topic == TOPIC,
            unrelayed.c.instance_id == table.c.instance_id,
            unrelayed.c.id < table.c.event_id,
            unrelayed.c.relayed_at.is_(None),
        ),
    )


def due(now: datetime, *, limit: int = 200) -> list[int]:
    """Ids of the pushes to send now: at most one per dossier, the first unsent one."""
    table = StatusPush.__table__
    ids = db.session.scalars(
        sa.select(table.c.id).where(_ready(table, now)).order_by(table.c.event_id).limit(limit)
    ).all()
    db.session.rollback()  # a read: end its transaction
    return list(ids)


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["MOTCUA_LEASE_SECONDS"]))


def send(push_id: int) -> str | None:
    """Send one push if it is still due and first of its dossier (claimed with a lease: None when
    another worker has it); returns its state afterwards."""
    from integrations import ConnectorError

    table, now = StatusPush.__table__, utcnow()
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(table)
            .where(table.c.id == push_id, _ready(table, now))
            .values(state=SENDING, lease_until=now + _lease(), attempts=table.c.attempts + 1)
        ).rowcount
    if not claimed:
        return None
    push = db.session.get(StatusPush, push_id)
    attempts, params, event_id = push.attempts, dict(push.params), push.event_id
    max_attempts, backoff = push.max_attempts, push.backoff_seconds
    db.session.rollback()  # no transaction is held while the portal answers
    connectors = current_app.extensions["motcua.connectors"]
    error = None
    try:
        connectors.call(
            mapping.CONNECTOR_OPERATION, params, idempotency_key=mapping.idempotency_key(event_id)
        )
        retryable = False
    except ConnectorError as exc:
        error, retryable = str(exc), exc.retryable
    now = utcnow()
    if error is None:
        values = {"state": SENT, "sent_at": now, "last_error": None}
    elif retryable and attempts < max_attempts:
        wait = min(timedelta(seconds=backoff * 2 ** (attempts - 1)), MAX_BACKOFF)
        values = {"state": PENDING, "next_attempt_at": now + wait, "last_error": error[:2000]}
    else:
        values = {"state": FAILED, "last_error": error[:2000]}
    with unit_of_work() as unit:
        still_ours = db.session.execute(
            sa.update(table)
            .where(table.c.id == push_id, table.c.state == SENDING, table.c.attempts == attempts)
            .values(lease_until=None, **values)
        ).rowcount
        if not still_ours:  # the lease ran out and another worker took it over
            unit.abort()
            return None
        if values["state"] == SENT:
            _synced(push_id, params, now)
        elif values["state"] == FAILED:
            _incident(db.session.get(StatusPush, push_id), error, now)
    return values["state"]


def _synced(push_id: int, params: dict, now: datetime) -> None:
    """The portal accepted the push: its dossier is synced (since its first one) and the portal
    has this status (pushes go in order: the last sent is the latest). Kept on the dossier, as
    the sent pushes are purged after the retention (the index's "synced to DVCQG" reads this)."""
    dossier_id = sa.select(StatusPush.dossier_id).where(StatusPush.id == push_id).scalar_subquery()
    db.session.execute(
        sa.update(Dossier)
        .where(Dossier.id == dossier_id)
        .values(
            dvcqg_synced_at=sa.func.coalesce(Dossier.dvcqg_synced_at, now),
            dvcqg_status=int(params["status"]),
        )
        .execution_options(synchronize_session=False)
    )


def _incident(push: StatusPush, error: str, now: datetime) -> None:
    """The push's retries ran out: an incident (the dossier's later statuses wait behind it)."""
    data = {"operation": mapping.CONNECTOR_OPERATION, "attempts": push.attempts, "push_id": push.id}
    message = f"DVCQG status push {push.id} (status {push.params.get('status')}) failed: {error}"[:2000]
    record([fact("incident_opened", at=now, instance_id=push.instance_id, message=message, data=data)])
    incident = {"push_id": push.id, "operation": mapping.CONNECTOR_OPERATION, "error": error[:2000]}
    outbox.emit("incident.raised", incident, instance_id=push.instance_id)


def retry(push: StatusPush, *, actor) -> StatusPush:
    """An administrator sends a failed push again, its attempts counted afresh."""
    if push.state != FAILED:
        raise Conflict(f"Status push {push.id} is {push.state}, not failed.", code="push_not_failed")
    now = utcnow()
    push.state, push.attempts, push.next_attempt_at, push.lease_until = PENDING, 0, now, None
    record(
        [
            fact(
                "incident_retried",
                at=now,
                actor=actor,
                instance_id=push.instance_id,
                data={"push_id": push.id, "operation": mapping.CONNECTOR_OPERATION},
            )
        ]
    )
    db.session.flush()
    return push


def purge(before: datetime) -> int:
    """Delete the pushes sent before `before` (MOTCUA_OUTBOX_RETENTION_DAYS); pending, sending and
    failed ones stay, so a dossier's later statuses still wait behind a failed one."""
    old = sa.and_(StatusPush.state == SENT, StatusPush.sent_at < before)
    return db.session.execute(sa.delete(StatusPush).where(old)).rowcount
