"""Periodic work: due timers, the SLA watch, the workers' heartbeat, the monthly late list and
report bundles falling due, the daily housekeeping (the service-task calls are jobs/calls.py).

Every function here runs one unit of work in its own transactions and is safe to run on any number
of workers at once: a timer fires under the instance row's lock (or is skipped while another worker
holds it) and its step is written under the instance's optimistic version.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from .. import runtime, steps
from ..audit.operations import fact
from ..extensions import db
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..outbox import operations as outbox
from ..uow import unit_of_work
from .models import PENDING, RUNNING, ServiceCall, WorkerHeartbeat

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)

# --- timers, the SLA watch and the heartbeat ---------------------------------------------------


def fire_timers(instance_id, now: datetime) -> bool:
    """Fire the due timers of one instance (skipped if another worker holds it)."""
    query = sa.select(ProcessInstance.id).where(
        ProcessInstance.id == instance_id,
        ProcessInstance.state == "running",
        ProcessInstance.next_timer_at <= now,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        with unit_of_work() as unit:
            if db.session.scalar(query) is None:
                unit.abort()
                return False
            instance = instances.get(instance_id, with_state=True)
            inputs = runtime.inputs(instance.definition_id)
            step = runtime.engine().fire_timers(
                inputs.definition,
                instance.engine_state,
                now=now,
                units=inputs.units,
                calendar=inputs.calendar,
            )
            audit = [fact("timers_fired", at=now, instance_id=instance.id)]
            steps.persist(instance, step, actor=None, now=now, audit=audit)
            if step.next_start is not None:
                _arm_next_repetition(instance, step.next_start)
    except StaleDataError:  # another worker fired them first
        return False
    return True


def _arm_next_repetition(instance, cycle: dict) -> None:
    """A timer start cycle fired with repetitions left: the next instance waits for the next one,
    if the instance's definition is still the latest version of its key (a new version arms its own)."""
    from ..definitions import operations as definitions

    if definitions.get(instance.definition.key).id == instance.definition_id:
        instances.arm_timer_start(instance.definition, None, cycle=cycle)


def due_work(now: datetime, *, limit: int = 200) -> tuple[list[int], list]:
    """Ids of the calls and instances with work due now."""
    table = ServiceCall.__table__
    calls = db.session.scalars(
        sa.select(table.c.id)
        .where(
            sa.or_(
                sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
                sa.and_(table.c.state == RUNNING, table.c.lease_until < now),
            )
        )
        .order_by(table.c.next_attempt_at)
        .limit(limit)
    ).all()
    timers = db.session.scalars(
        sa.select(ProcessInstance.id)
        .where(ProcessInstance.state == "running", ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    ).all()
    db.session.rollback()  # a read: end its transaction (nothing was written)
    return list(calls), list(timers)


def heartbeat(name: str, now: datetime) -> None:
    with unit_of_work():
        row = db.session.get(WorkerHeartbeat, name)
        if row is None:
            db.session.add(WorkerHeartbeat(name=name, last_seen=now))
        else:
            row.last_seen = now


def watch_sla(now: datetime) -> dict:
    """Note the open tasks and dossiers that became due soon or late (service/sla.py's rule), each
    change once: the `sla` column keeps the class the watch last saw. Returns the counts."""
    from .. import sla
    from ..calendar.operations import calendar
    from ..dossiers.models import SLA_COLUMNS as DOSSIER_SLA
    from ..dossiers.models import Dossier
    from ..tasks.models import SLA_COLUMNS as TASK_SLA
    from ..tasks.models import Task

    window = sla.Window.at(now, calendar())
    counts = {}
    with unit_of_work():
        for model, columns in ((Task, TASK_SLA), (Dossier, DOSSIER_SLA)):
            table = model.__table__
            for klass in (sla.Sla.LATE, sla.Sla.DUE_SOON):
                counts[f"{table.name}_{klass}"] = db.session.execute(
                    sa.update(table)
                    .where(
                        columns.unfinished,
                        sla.condition(klass, window, columns),
                        sa.or_(table.c.sla.is_(None), table.c.sla != klass),
                    )
                    .values(sla=str(klass))
                ).rowcount
    return counts


LATE_LIST_DAY = 5  # the month's late list is stored on the 5th of the next month (reports)


def late_list_due(now: datetime) -> str | None:
    """Store the previous month's late list once it is due (from the 5th, local time; a list
    already stored is kept). Returns the month stored or kept, None before the 5th."""
    from zoneinfo import ZoneInfo

    from ..reports import operations as reports

    today = now.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).date()
    if today.day < LATE_LIST_DAY:
        return None
    month = reports.previous_month(today)
    with unit_of_work():
        reports.generate(month)
    return month


def bundles_due(now: datetime, kinds: tuple[str, ...] = ("monthly", "quarterly")) -> list[str]:
    """Generate the report bundles whose period has ended (reports/bundles.py): the reporting
    month that ended on the 21st at midnight, the reporting quarter that ended on the 15th of the
    quarter's last month at midnight; each in its own unit of work, a bundle already stored kept
    (two workers racing: the unique period keeps one, the other's file is deleted with its
    rolled-back unit). Returns the periods stored or kept."""
    from sqlalchemy.exc import IntegrityError

    from ..reports import bundles

    done = []
    for kind in kinds:
        period = bundles.last_ended(kind, now)
        try:
            with unit_of_work():
                bundles.generate(kind, period)
        except IntegrityError:
            log.info("bundle %s was generated by another worker", period.key)
        done.append(period.key)
    return done


def housekeeping(now: datetime) -> dict:
    """The daily clean-up, in one unit of work: relayed outbox events, delivered webhook
    deliveries, sent or skipped notifications, sent status pushes to the national portal and done or
    cancelled external tasks older than MOTCUA_OUTBOX_RETENTION_DAYS, browser
    sessions ended MOTCUA_SESSION_RETENTION_DAYS ago and Idempotency-Key answers older than
    MOTCUA_IDEMPOTENCY_HOURS are deleted. Returns the counts."""
    from ..dvcqg import pushes
    from ..external_tasks import operations as external_tasks
    from ..idempotency import operations as idempotency
    from ..identity import sessions
    from ..notifications import sending as notifications
    from ..webhooks import operations as webhooks

    config = current_app.config
    kept_until = now - timedelta(days=float(config["MOTCUA_OUTBOX_RETENTION_DAYS"]))
    ended_before = now - timedelta(days=float(config["MOTCUA_SESSION_RETENTION_DAYS"]))
    answered_before = now - timedelta(hours=float(config["MOTCUA_IDEMPOTENCY_HOURS"]))
    with unit_of_work():
        counts = {
            "outbox_events": outbox.purge(kept_until),
            "sessions": sessions.purge(ended_before),
            "idempotency_keys": idempotency.purge(answered_before),
            "webhook_deliveries": webhooks.purge(kept_until),
            "notification_deliveries": notifications.purge(kept_until),
            "portal_status_pushes": pushes.purge(kept_until),
            "external_tasks": external_tasks.purge(kept_until),
        }
    log.info("housekeeping: deleted %s", ", ".join(f"{count} {name}" for name, count in counts.items()))
    return counts
