"""Getting work to workers: Celery when a broker is configured, a runner process otherwise.

The database is the source of truth for what is due (calls, timers); the broker only makes
workers pick it up promptly. A lost message costs a second (the periodic tick finds the work
again); a duplicate costs nothing (work is claimed with a lease before it runs).

This module knows nothing of Celery: with a broker, worker.init_app gives the app a sender
(`app.extensions["motcua.send_call"]`, a function of a call id) that init_app's after-commit
listener uses; the Celery tasks in worker.py call `tick` and `run` here.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable

from flask import Flask

from .. import relay
from ..dvcqg import pushes as dvcqg
from ..models_base import utcnow
from ..notifications import sending as notifications
from ..webhooks import operations as webhooks
from . import calls, operations

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


def tick(app: Flask, *, enqueue=None) -> tuple[int, int]:
    """Find due work; hand it to `enqueue(kind, id)` (Celery) or run it here. Returns the counts
    of calls and timers. The outbox's new events are relayed first (service/relay.py: webhook and
    notification deliveries, the national portal's status pushes)."""
    now = utcnow()
    with app.app_context():
        operations.heartbeat(worker_name(), now)
        relay.relay(now)
        due_calls, timers = operations.due_work(now)
        deliveries = webhooks.due(now)
        messages = notifications.due(now)
        portal = dvcqg.due(now)
    work = [
        *(("call", call_id) for call_id in due_calls),
        *(("timers", str(instance_id)) for instance_id in timers),
        *(("webhook", str(delivery_id)) for delivery_id in deliveries),
        *(("notification", str(delivery_id)) for delivery_id in messages),
        *(("dvcqg", push_id) for push_id in portal),
    ]
    for kind, ident in work:
        if enqueue is not None:
            enqueue(kind, ident)
        else:
            run(kind, ident, app)
    return len(due_calls), len(timers)


def run(kind: str, ident, app: Flask) -> None:
    """Run one unit of work in its own app context; errors are logged, the work stays due."""
    with app.app_context():
        try:
            if kind == "call":
                calls.run_call(int(ident))
            elif kind == "webhook":
                webhooks.deliver(uuid.UUID(str(ident)))
            elif kind == "notification":
                notifications.deliver(uuid.UUID(str(ident)))
            elif kind == "dvcqg":
                dvcqg.send(int(ident))
            else:
                operations.fire_timers(uuid.UUID(str(ident)), utcnow())
        except Exception:
            log.exception("%s %s failed; it will be picked up again", kind, ident)
            from ..extensions import db

            db.session.rollback()


class Runner:
    """The asynchronous work without a broker (make run): what the workers and `motcua beat` do
    elsewhere, in a loop of its own process (`motcua run-jobs`, which `motcua serve` starts beside
    itself, so that this work never holds the serving process's interpreter while it answers).
    Due calls and timers every `interval`, the SLA watch every minute, the monthly late list from
    the 5th, the report bundles once their period has ended (looked at hourly), the housekeeping
    daily. `alive()`, asked every turn, ends the loop when it says False (the serving process
    that started this one is gone)."""

    CHORES = (("sla", 60.0), ("late_list", 3600.0), ("bundles", 3600.0), ("housekeeping", 86400.0))

    def __init__(self, app: Flask, interval: float = 1.0, alive: Callable[[], bool] = lambda: True):
        self.app, self.interval, self.alive = app, interval, alive
        self.last_run: dict[str, float] = {}

    def loop(self) -> None:
        while self.alive():
            try:
                tick(self.app)
            except Exception:
                log.exception("runner tick failed")
            self.chores(time.monotonic())
            time.sleep(self.interval)

    def chores(self, clock: float) -> list[str]:
        """Run the periodic chores whose time has come (each once at start); returns their names."""
        done = []
        for name, every in self.CHORES:
            last = self.last_run.get(name)
            if last is not None and clock - last < every:
                continue
            self.last_run[name] = clock
            with self.app.app_context():
                try:
                    run_chore(name, utcnow())
                    done.append(name)
                except Exception:
                    log.exception("runner: %s failed; it runs again later", name)
                    from ..extensions import db

                    db.session.rollback()
        return done


def run_chore(name: str, now, *, kind: str | None = None) -> None:
    """One periodic chore (in an app context): the SLA watch, the late list, the report bundles
    (both kinds, or the `kind` given), the housekeeping."""
    if name == "sla":
        operations.watch_sla(now)
    elif name == "late_list":
        operations.late_list_due(now)
    elif name == "bundles":
        operations.bundles_due(now, (kind,) if kind else ("monthly", "quarterly"))
    elif name == "housekeeping":
        operations.housekeeping(now)
    else:
        raise ValueError(f"unknown chore {name!r}")
