"""The service's Prometheus metrics, counted where things happen: a leaf module, imported by the
domains that count (instances, tasks, the step pipeline) and by observability.py, which serves
them at /metrics.

Counters and the step-latency histogram are per process (scrape each API and worker process).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()
INSTANCES_STARTED = Counter("motcua_instances_started", "Process instances started", registry=REGISTRY)
INSTANCES_COMPLETED = Counter("motcua_instances_completed", "Process instances completed", registry=REGISTRY)
TASK_COMPLETIONS = Counter("motcua_task_completions", "Human task completions", registry=REGISTRY)
STEP_SECONDS = Histogram(
    "motcua_step_seconds",
    "Engine step latency (load, run, prune, dump)",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
    registry=REGISTRY,
)


def count_step(step) -> None:
    """Stage of the step pipeline (service/steps.py): the engine's step latency, and the
    instances it completed."""
    STEP_SECONDS.observe(step.result.elapsed)
    if step.result.status == "completed":
        INSTANCES_COMPLETED.inc()
