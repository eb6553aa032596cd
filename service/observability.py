"""Health and Prometheus metrics.

Counters and the step-latency histogram (metrics.py) are per process (scrape each API and worker
process); queue depth, incidents, overdue timers and open tasks are read from the database
at scrape time, so every process reports the same values for them.
"""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, has_app_context, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .extensions import db
from .metrics import REGISTRY
from .models_base import utcnow

blp = Blueprint("observability", __name__)


class _DatabaseGauges:
    """Read at scrape time, inside the /metrics request (so from that app's database)."""

    def collect(self):
        from .instances.models import ProcessInstance
        from .jobs.models import FAILED, PENDING, ServiceCall
        from .tasks.models import OPEN, Task

        if not has_app_context():
            return
        now = utcnow()

        def count(model, *where) -> int:
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

        queued = count(ServiceCall, ServiceCall.state == PENDING)
        incidents = count(ServiceCall, ServiceCall.state == FAILED)
        open_tasks = count(Task, Task.state == OPEN)
        oldest_timer = db.session.scalar(
            sa.select(sa.func.min(ProcessInstance.next_timer_at)).where(
                ProcessInstance.state == "running", ProcessInstance.next_timer_at <= now
            )
        )
        db.session.rollback()
        yield GaugeMetricFamily("motcua_queue_depth", "Service calls waiting for a worker", value=queued)
        yield GaugeMetricFamily("motcua_incidents", "Service calls whose retries ran out", value=incidents)
        yield GaugeMetricFamily("motcua_open_tasks", "Open human tasks", value=open_tasks)
        lag = (now - oldest_timer).total_seconds() if oldest_timer else 0.0
        yield GaugeMetricFamily("motcua_timer_lag_seconds", "Age of the oldest due, unfired timer", value=lag)


@blp.get("/metrics")
def metrics():
    """Prometheus metrics (administrators or the monitoring group)."""
    from .identity.auth import current_user
    from .identity.permissions import require_monitoring

    require_monitoring(current_user())
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


@blp.get("/api/v1/health")
def health():
    """Liveness and readiness: database, broker, workers seen recently, oldest pending job."""
    from .jobs.models import PENDING, ServiceCall, WorkerHeartbeat

    report, healthy = {}, True
    started = time.perf_counter()
    try:
        db.session.execute(sa.text("SELECT 1"))
        report["database"] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as exc:  # the database is down: say so, never 500
        db.session.rollback()
        report["database"] = {"ok": False, "error": exc.__class__.__name__}
        return jsonify({"status": "unavailable", **report}), 503
    now = utcnow()
    broker_url = current_app.config.get("CELERY_BROKER_URL")
    report["broker"] = {"configured": bool(broker_url), "ok": None}
    if broker_url:
        report["broker"]["ok"] = _broker_ok(broker_url)
        healthy = healthy and report["broker"]["ok"]
    recent = now - timedelta(seconds=max(30, 10 * current_app.config["MOTCUA_TICK_SECONDS"]))
    seen = db.session.scalars(sa.select(WorkerHeartbeat).where(WorkerHeartbeat.last_seen >= recent)).all()
    report["workers"] = {"seen_recently": len(seen), "names": sorted(w.name for w in seen)}
    oldest = db.session.scalar(
        sa.select(sa.func.min(ServiceCall.created_at)).where(ServiceCall.state == PENDING)
    )
    report["oldest_pending_job_age_seconds"] = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    db.session.rollback()
    status = "ok" if healthy else "degraded"
    return jsonify({"status": status, **report}), 200 if healthy else 503


def _broker_ok(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2, transport_options={"max_retries": 0}) as connection:
            connection.ensure_connection(max_retries=0)
        return True
    except Exception:
        return False


def init_app(app: Flask) -> None:
    if not getattr(init_app, "_collector", False):
        REGISTRY.register(_DatabaseGauges())
        init_app._collector = True
    app.register_blueprint(blp)
