"""Budgets: how much work one instance may make the engine do, and the meter of one step.

Every engine command (start, complete, service result, message, timers, retry...) is one *step*
and runs inside `stepping(budgets)`. The step's meter counts the CPU time of its thread
(`cpu_time()`: `time.thread_time`, so a busy machine does not make a script or step look slower
than it is, less the time the thread spent in full collections of the process's heap, whose cost
is the size of everything the process holds, not the work of the step that happened to start it)
and the SpiffWorkflow tasks it creates. It is read between the tasks the engine runs
(services.advance), inside scripts (a script's budget is the smaller of its own and what is left
of the step's: sandbox.py), where SpiffWorkflow fans out (guards.py), when timers are armed
(clock.py) and at the end of the step (runtime.py).

A budget that is exceeded raises BudgetExceeded, naming the budget and the service setting behind
it; the step ends with the instance in error (an incident, retried or terminated like any other).
At deploy, the same limits refuse literal values in the BPMN (checks.py). The engine stays pure:
the service passes its settings in as a Budgets (service/runtime.py).
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# Where SpiffWorkflow keeps which budget stopped a task (internal data) or a whole step (the root
# task's internal data), so that retry knows how to resume it.
MARK = "motcua_budget"


@dataclass(frozen=True)
class Budgets:
    """The limits, with their defaults; SETTINGS names the service setting of each."""

    script_cpu_seconds: float = 1.0  # CPU time of one script or expression
    step_cpu_seconds: float = 5.0  # CPU time of one engine command
    max_instances: int = 50  # multi-instance cardinality / collection, without maxInstances
    max_instances_ceiling: int = 500  # the largest maxInstances a deploy may give an element
    max_tasks_per_step: int = 2000  # SpiffWorkflow tasks one command may create
    max_call_depth: int = 10  # nesting of call activities and subprocesses
    max_timer_days: int = 3660  # how far ahead a timer may be set
    max_timer_cycles: int = 1000  # repetitions of a cycle timer
    min_timer_interval_seconds: float = 60.0  # the shortest interval of a cycle timer
    max_allotment_days: float = 365.0  # allotment / dueIn / processing_days (working days)
    max_calendar_days: int = 3660  # working days the calendar helpers count in one call
    max_sequence: int = 1_000_000  # items (or characters) of one value a script builds
    max_data_bytes: int = 8 * 1024 * 1024  # data a script holds or leaves, estimated as text
    max_data_depth: int = 32  # nesting of the data a script leaves

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Budgets:
        """The budgets from the service's MOTCUA_* settings (SETTINGS names the setting of each)."""
        return cls(**{budget: settings[setting] for budget, setting in SETTINGS.items()})


SETTINGS = {
    "script_cpu_seconds": "MOTCUA_SCRIPT_TIME_LIMIT",
    "step_cpu_seconds": "MOTCUA_STEP_CPU_SECONDS",
    "max_instances": "MOTCUA_MAX_INSTANCES",
    "max_instances_ceiling": "MOTCUA_MAX_INSTANCES_CEILING",
    "max_tasks_per_step": "MOTCUA_MAX_TASKS_PER_STEP",
    "max_call_depth": "MOTCUA_MAX_CALL_DEPTH",
    "max_timer_days": "MOTCUA_MAX_TIMER_DAYS",
    "max_timer_cycles": "MOTCUA_MAX_TIMER_CYCLES",
    "min_timer_interval_seconds": "MOTCUA_MIN_TIMER_INTERVAL_SECONDS",
    "max_allotment_days": "MOTCUA_MAX_ALLOTMENT_DAYS",
    "max_calendar_days": "MOTCUA_MAX_CALENDAR_DAYS",
    "max_sequence": "MOTCUA_SCRIPT_MAX_SEQUENCE",
    "max_data_bytes": "MOTCUA_SCRIPT_MAX_DATA_BYTES",
    "max_data_depth": "MOTCUA_SCRIPT_MAX_DATA_DEPTH",
}


def describe(budget: str, limit: float) -> str:
    """'the max_instances budget (50, setting MOTCUA_MAX_INSTANCES)'."""
    shown = f"{limit:g}" if isinstance(limit, float) else f"{limit:,}"
    return f"the {budget} budget ({shown}, setting {SETTINGS.get(budget, '?')})"


def exceeded(budget: str, limit: float, what: str) -> str:
    """The message of an exceeded budget: what happened, the budget, its limit and its setting."""
    return f"Budget exceeded: {what}; over {describe(budget, limit)}."


class BudgetExceeded(Exception):
    """A budget was exceeded. Attributes: budget (a Budgets field), setting, limit, task (the
    SpiffWorkflow task that was stopped, if any), element_id (for deploy-time refusals)."""

    def __init__(
        self, budget: str, limit: float, what: str, *, task: Any = None, element_id: str | None = None
    ):
        self.budget, self.setting, self.limit = budget, SETTINGS.get(budget), limit
        self.task, self.element_id = task, element_id
        self.message = exceeded(budget, limit, what)
        super().__init__(self.message)


class _Collections(threading.local):
    """This thread's time in full (generation 2) collections: `spent` so far, and the start of the
    one running."""

    spent = 0.0
    started = 0.0


_collections = _Collections()


def _on_collection(phase: str, info: dict[str, int]) -> None:
    """gc callback (run by the thread whose allocation started the collection)."""
    if info["generation"] != 2:
        return
    if phase == "start":
        _collections.started = time.thread_time()
    else:
        _collections.spent += time.thread_time() - _collections.started


if _on_collection not in gc.callbacks:
    gc.callbacks.append(_on_collection)


def cpu_time() -> float:
    """The CPU time of this thread, less the time it spent in full collections of the heap.

    A full collection walks every object the process holds (0.7 s for 9 million on the CI
    machine), so it would charge a script or step for the size of the process rather than its own
    work: a 1 ms script ran out of its 1 s in a test worker that had grown large. A script cannot
    start full collections at will (no gc in the sandbox; Python starts one only when the objects
    that survived since the last one reach a quarter of the heap, and max_data_bytes caps what a
    script keeps), and the younger collections, whose cost is the script's own allocations, count."""
    return time.thread_time() - _collections.spent


class Step:
    """The meter of one command: CPU time of its thread (cpu_time) and tasks created."""

    __slots__ = ("budgets", "deadline", "tasks")

    def __init__(self, budgets: Budgets):
        self.budgets = budgets
        self.deadline = cpu_time() + budgets.step_cpu_seconds
        self.tasks = 0

    def cpu_left(self) -> float:
        return self.deadline - cpu_time()

    def check_cpu(self, where: str, task: Any = None) -> None:
        if cpu_time() > self.deadline:
            limit = self.budgets.step_cpu_seconds
            what = f"the step used more than {limit:g} s of CPU time {where}"
            raise BudgetExceeded("step_cpu_seconds", limit, what, task=task)

    def check_tasks(self, where: str, adding: int = 0, task: Any = None) -> None:
        limit = self.budgets.max_tasks_per_step
        if self.tasks + adding > limit:
            raise BudgetExceeded(
                "max_tasks_per_step",
                limit,
                f"the step would create {self.tasks + adding:,} tasks {where}",
                task=task,
            )


_step: ContextVar[Step | None] = ContextVar("motcua_engine_step", default=None)


def current() -> Step | None:
    """The meter of the step running in this context, if any."""
    return _step.get()


def budgets() -> Budgets:
    """The budgets of the running step (the defaults outside a step)."""
    step = _step.get()
    return step.budgets if step is not None else _DEFAULTS


_DEFAULTS = Budgets()


@contextmanager
def stepping(budgets: Budgets) -> Iterator[Step]:
    """Meter the enclosed engine work as one step."""
    step = Step(budgets)
    token = _step.set(step)
    try:
        yield step
    finally:
        _step.reset(token)


# --- durations and days, shared by deploy-time and run-time checks ---------------------------

_DAYS_PER = {"years": 366, "months": 31, "weeks": 7, "days": 1, "hours": 1 / 24, "minutes": 1 / 1440}


def duration_days(parsed: Mapping[str, float]) -> float:
    """An upper bound of an ISO duration parsed by SpiffWorkflow ({'years': 1, 'hours': 2...}), in days."""
    total = sum(float(value) * _DAYS_PER.get(unit, 1 / 86400) for unit, value in parsed.items())
    return total if math.isfinite(total) else math.inf


def check_duration(
    parsed: Mapping[str, float], what: str, budgets: Budgets, *, budget: str = "max_timer_days"
) -> None:
    """Refuse a duration longer than the budget (in days), BEFORE anything computes with it."""
    limit: float = getattr(budgets, budget)
    days = duration_days(parsed)
    if days > limit:
        raise BudgetExceeded(budget, limit, f"{what} is {_days(days)} long")


def check_ahead(days: float, what: str, budgets: Budgets) -> None:
    """Refuse a moment more than max_timer_days ahead."""
    if days > budgets.max_timer_days:
        raise BudgetExceeded("max_timer_days", budgets.max_timer_days, f"{what} is {_days(days)} ahead")


def allotment_problem(value: object, maximum: float) -> str | None:
    """Why `value` is not a number of working days in (0, maximum], or None when it is."""
    not_a_number = f"{value!r} is not a number of working days"
    if not isinstance(value, int | float | str):
        return not_a_number
    try:
        days = float(value)
    except ValueError:
        return not_a_number
    if not math.isfinite(days) or days <= 0:
        return f"{value!r} is not a positive number of working days"
    if days > maximum:
        return f"{value!r} working days is more than {describe('max_allotment_days', maximum)}"
    return None


def _days(days: float) -> str:
    return "too many days" if not math.isfinite(days) else f"{days:,.0f} days"
