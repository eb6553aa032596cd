"""The Celery application (started by `motcua worker` / `motcua beat`, see celery_main).

Tasks take ids only and call service.jobs operations inside the Flask app context.
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.schedules import crontab
from flask import Flask

from ..models_base import utcnow
from ..outbox import operations as outbox
from .queue import QUEUED

log = logging.getLogger(__name__)


def celery_for(app: Flask) -> Celery:
    """A Celery app configured from the Flask config (one per Flask app)."""
    if "motcua.celery" in app.extensions:
        return app.extensions["motcua.celery"]
    from .operations import LATE_LIST_DAY

    celery = Celery("motcua", broker=app.config["CELERY_BROKER_URL"])
    options = app.config.get("CELERY_BROKER_TRANSPORT_OPTIONS") or {}
    celery.conf.update(
        broker_transport_options=options,
        task_ignore_result=True,
        task_acks_late=True,  # a worker killed mid-task gives the message back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone=app.config["MOTCUA_TIMEZONE"],
        beat_schedule={
            # A tick nobody ran in time is useless (the next one finds the same work): let it expire.
            "tick": {
                "task": "motcua.tick",
                "schedule": app.config["MOTCUA_TICK_SECONDS"],
                "options": {"expires": max(1.0, app.config["MOTCUA_TICK_SECONDS"])},
            },
            "sla": {"task": "motcua.watch_sla", "schedule": 60.0},
            "late-list": {
                "task": "motcua.late_report",
                "schedule": crontab(minute=30, hour=0, day_of_month=LATE_LIST_DAY),
            },
            # The monthly bundle (data of the 21st to the 20th) after midnight on the 21st, due
            # before the 22nd; the quarterly one (data of the 15th of the month before the
            # quarter to the 14th of its last month) on the 15th of the quarter's last month, due
            # by the 17th / 19th (reports/bundles.py).
            "monthly-bundle": {
                "task": "motcua.report_bundle",
                "schedule": crontab(minute=45, hour=0, day_of_month=21),
                "args": ("monthly",),
            },
            "quarterly-bundle": {
                "task": "motcua.report_bundle",
                "schedule": crontab(minute=0, hour=2, day_of_month=15, month_of_year="3,6,9,12"),
                "args": ("quarterly",),
            },
            "housekeeping": {"task": "motcua.housekeeping", "schedule": crontab(minute=15, hour=1)},
        },
    )
    _register_tasks(celery, app)
    app.extensions["motcua.celery"] = celery
    return celery


def init_app(app: Flask) -> None:
    """With a broker: a new service call is sent to it right after its transaction commits (the
    outbox's `service_call.queued` event); if sending fails, the tick finds the call anyway."""
    if not app.config.get("CELERY_BROKER_URL"):
        return
    celery = celery_for(app)

    def send(event) -> None:
        try:
            celery.send_task("motcua.run_call", args=[event.payload["call_id"]])
        except Exception:  # the periodic tick will find it
            log.warning("could not enqueue service call %s; the tick will pick it up", event.payload)

    outbox.subscribe(app, QUEUED, send)


def _register_tasks(celery: Celery, app: Flask) -> None:
    from . import dispatch

    @celery.task(name="motcua.run_call")
    def run_call(call_id: int) -> None:
        dispatch.run("call", call_id, app)

    @celery.task(name="motcua.fire_timers")
    def fire_timers(instance_id: str) -> None:
        dispatch.run("timers", instance_id, app)

    @celery.task(name="motcua.deliver_webhook")
    def deliver_webhook(delivery_id: str) -> None:
        dispatch.run("webhook", delivery_id, app)

    @celery.task(name="motcua.send_notification")
    def send_notification(delivery_id: str) -> None:
        dispatch.run("notification", delivery_id, app)

    @celery.task(name="motcua.push_dvcqg")
    def push_dvcqg(push_id: int) -> None:
        dispatch.run("dvcqg", push_id, app)

    @celery.task(name="motcua.tick")
    def tick() -> None:
        kinds = {
            "call": "motcua.run_call",
            "timers": "motcua.fire_timers",
            "webhook": "motcua.deliver_webhook",
            "notification": "motcua.send_notification",
            "dvcqg": "motcua.push_dvcqg",
        }
        dispatch.tick(app, enqueue=lambda kind, ident: celery.send_task(kinds[kind], args=[ident]))

    @celery.task(name="motcua.watch_sla")
    def watch_sla() -> None:
        with app.app_context():
            dispatch.run_chore("sla", utcnow())

    @celery.task(name="motcua.late_report")
    def late_report() -> None:
        with app.app_context():
            dispatch.run_chore("late_list", utcnow())

    @celery.task(name="motcua.report_bundle")
    def report_bundle(kind: str) -> None:
        with app.app_context():
            dispatch.run_chore("bundles", utcnow(), kind=kind)

    @celery.task(name="motcua.housekeeping")
    def housekeeping() -> None:
        with app.app_context():
            dispatch.run_chore("housekeeping", utcnow())
