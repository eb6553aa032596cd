"""The long-lived processes' heap: what start-up built, moved out of the garbage collector's way.

`motcua serve`, `motcua run-jobs` and the Celery worker and beat processes (service.jobs.celery_main)
build the app once (modules, the app, its schemas: about 250,000 objects), and that lives as long as
the process. `settle()` moves it into the permanent generation (gc.freeze), so that a collection of
the oldest generation walks only what the work makes: without it, a serving process paused about
90 ms for one every hundred dossiers or so (bench, docs/benchmarks.md, 2026-12-06). Celery forks its
pool's children after the entry point is imported, so they start settled too, and the frozen
objects' pages stay shared with the parent instead of being copied when a collection touches them.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what start-up left behind, then freeze the rest (call once, after start-up)."""
    gc.collect()
    gc.freeze()
