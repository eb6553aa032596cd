"""The engine's clock: timers compare with the command's `now`, not the wall clock.

SpiffWorkflow 3.2 arms duration timers from `datetime.now()` and checks date and duration
timers against it on every engine step. The engine adapter runs every command with an
explicit `now` (the service passes the real time; tests and replays pass their own), so
the two timer checks are replaced, once, by versions that read the command's clock. This
module and guards.py are the only places that patch SpiffWorkflow.

Timers are also where a model could keep a thread busy: SpiffWorkflow turns `P99999999Y` into a
timedelta by walking every month, and `R999999999/PT0S` fires on every tick. So every timer value
is checked BEFORE anything computes with it (durations and dates at most max_timer_days ahead,
cycles at most max_timer_cycles with at least min_timer_interval_seconds between two; see
limits.py): a refused value puts the timer's task in error naming the budget. The same functions
check literal timer expressions at deploy (checks.py). A date timer whose expression gives None
is parked: it waits without a moment (and is not in next_timer) until its data gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from . import limits
from .guards import refuse
from .limits import BudgetExceeded, Budgets

_now: ContextVar[datetime | None] = ContextVar("motcua_engine_now", default=None)


def now() -> datetime:
    """The current command's time (the wall clock outside a command)."""
    return _now.get() or datetime.now(UTC)


@contextmanager
def running_at(moment: datetime) -> Iterator[None]:
    """Run the enclosed engine work as if it were `moment`."""
    token = _now.set(moment)
    try:
        yield
    finally:
        _now.reset(token)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fired_when_due(my_task: Any, due: datetime) -> bool:
    """Mark the timer fired once `due` has come, by the command's clock."""
    if _aware(due) <= now():
        my_task._set_internal_data(event_fired=True)
    return bool(my_task._get_internal_data("event_fired", False))


def checked_duration(expression: str, what: str, budgets: Budgets) -> dict[str, float]:
    """An ISO duration parsed by SpiffWorkflow, refused (BudgetExceeded) when too long."""
    parsed: dict[str, float] = TimerEventDefinition.parse_iso_duration(expression)
    limits.check_duration(parsed, what, budgets)
    return parsed


def check_moment(moment: datetime, start: datetime, what: str, budgets: Budgets) -> None:
    """Refuse a timer moment more than max_timer_days after `start`."""
    limits.check_ahead((_aware(moment) - start).total_seconds() / 86400, what, budgets)


def checked_cycle(
    expression: str, start: datetime, what: str, budgets: Budgets
) -> tuple[int, datetime, timedelta]:
    """(cycles, first moment, interval) of an ISO recurring interval such as R3/PT1H or
    R2/2026-03-02T09:00:00+00:00/P1D, checked part by part before any date arithmetic; a cycle
    given by its duration alone starts at `start` (the command's clock)."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if not 0 <= cycles <= budgets.max_timer_cycles:
        times = "without end" if cycles < 0 else f"{cycles:,} times"
        raise BudgetExceeded("max_timer_cycles", budgets.max_timer_cycles, f"{what} repeats {times}")
    if len(parts) not in (2, 3):
        raise ValueError(f"Not an ISO 8601 recurring interval: {expression!r}")
    values = [TimerEventDefinition.parse_time_or_duration(part) for part in parts[1:]]
    for value in values:
        if isinstance(value, dict):
            limits.check_duration(value, what, budgets)
        else:
            check_moment(value, start, what, budgets)
    first, second = values[0], (values[1] if len(values) > 1 else None)
    if isinstance(first, datetime) and isinstance(second, dict):
        interval = TimerEventDefinition.get_timedelta_from_start(second, first)
    elif isinstance(first, dict) and isinstance(second, datetime):
        interval = TimerEventDefinition.get_timedelta_from_end(first, second)
        first = second - interval
    elif isinstance(first, dict) and second is None:
        interval = TimerEventDefinition.get_timedelta_from_start(first, start)
        first = start + interval
    else:
        raise ValueError(f"Not an ISO 8601 recurring interval: {expression!r}")
    if interval.total_seconds() < budgets.min_timer_interval_seconds:
        limit = budgets.min_timer_interval_seconds
        what = f"{what} repeats every {interval.total_seconds():g} s"
        raise BudgetExceeded("min_timer_interval_seconds", limit, what)
    return cycles, first, interval


# Where a cycle start event leaves the repetitions that are left for the next instance.
NEXT_START = "motcua_next_start"


def _starts_the_process(my_task: Any) -> bool:
    """Whether the task is the start event of the top-level process (not of a subprocess)."""
    return type(my_task.task_spec).__name__ == "StartEvent" and my_task.workflow is getattr(
        my_task.workflow, "top_workflow", my_task.workflow
    )


def _what(my_task: Any, value: object) -> str:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"the timer of '{my_task.task_spec.bpmn_id}' ({shown})"


_T = TypeVar("_T")


def _checked(my_task: Any, check: Callable[..., _T], *args: Any) -> _T:
    """Run a timer check; a refusal puts the timer's task in error (see guards.refuse)."""
    try:
        return check(*args)
    except BudgetExceeded as exc:
        raise refuse(my_task, exc) from None


# The replacements of SpiffWorkflow's timer methods (self: its event definition; untyped library).


def _time_date_has_fired(self: Any, my_task: Any) -> bool:
    value = my_task._get_internal_data("event_value")
    if value is None:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if value is None:
            # Parked: a date that is not known yet (a dossier's clock is paused) waits without a
            # moment, evaluated again at each step and when the service rearms the timers.
            return bool(my_task._get_internal_data("event_fired", False))
        if isinstance(value, datetime):
            value = _aware(value).isoformat()
        moment = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(moment, datetime):
            _checked(my_task, check_moment, moment, now(), _what(my_task, value), limits.budgets())
        my_task._set_internal_data(event_value=value)
    return _fired_when_due(my_task, TimerEventDefinition.parse_time_or_duration(value))


def _duration_has_fired(self: Any, my_task: Any) -> bool:
    value = my_task._get_internal_data("event_value")
    if value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        parsed = _checked(my_task, checked_duration, expression, _what(my_task, expression), limits.budgets())
        start = now()
        value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
        my_task._set_internal_data(event_value=value)
    return _fired_when_due(my_task, TimerEventDefinition.get_datetime(value))


def _cycle_complete(self: Any, my_task: Any) -> bool:
    value = my_task._get_internal_data("event_value")
    if value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        what = _what(my_task, expression)
        cycles, start, duration = _checked(my_task, checked_cycle, expression, now(), what, limits.budgets())
        value = {"cycles": cycles, "next": _aware(start).isoformat(), "duration": duration.total_seconds()}
    ready = False
    if value["cycles"] != 0:
        upcoming = _aware(datetime.fromisoformat(value["next"]))
        if upcoming <= now():
            value["next"] = (upcoming + timedelta(seconds=value["duration"])).isoformat()
            value["cycles"] -= 1
            ready = True
            if _starts_the_process(my_task) and value["cycles"] != 0:
                # A cycle start runs once per instance: the next repetition starts a new instance,
                # which the service creates from this hand-off (StepResult.next_start).
                my_task._set_internal_data(**{NEXT_START: dict(value)})
                value["cycles"] = 0
    else:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data["event_fired"] = True
    my_task._set_internal_data(event_value=value)
    return ready


TimeDateEventDefinition.has_fired = _time_date_has_fired
DurationTimerEventDefinition.has_fired = _duration_has_fired
CycleTimerEventDefinition.cycle_complete = _cycle_complete
