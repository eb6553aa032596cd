"""The engine's clock: timers compare with the command's `now`, not the wall clock.

SpiffWorkflow 3.2 arms duration timers from `datetime.now()` and checks date and duration
timers against it on every engine step. The engine adapter runs every command with an
explicit `now` (the service passes the real time; tests and replays pass their own), so
the two timer checks are replaced, once, by versions that read the command's clock. This
module is the only place that patches SpiffWorkflow.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

_now: ContextVar[datetime | None] = ContextVar("motcua_engine_now", default=None)


def now() -> datetime:
    """The current command's time (the wall clock outside a command)."""
    return _now.get() or datetime.now(UTC)


@contextmanager
def running_at(moment: datetime):
    """Run the enclosed engine work as if it were `moment`."""
    token = _now.set(moment)
    try:
        yield
    finally:
        _now.reset(token)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fired_when_due(my_task, due: datetime) -> bool:
    """Mark the timer fired once `due` has come, by the command's clock."""
    if _aware(due) <= now():
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data("event_fired", False)


def _time_date_has_fired(self, my_task):
    value = my_task._get_internal_data("event_value")
    if value is None:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if isinstance(value, datetime):
            value = _aware(value).isoformat()
        my_task._set_internal_data(event_value=value)
    return _fired_when_due(my_task, TimerEventDefinition.parse_time_or_duration(value))


def _duration_has_fired(self, my_task):
    value = my_task._get_internal_data("event_value")
    if value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        start = now()
        value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
        my_task._set_internal_data(event_value=value)
    return _fired_when_due(my_task, TimerEventDefinition.get_datetime(value))


def _cycle_complete(self, my_task):
    value = my_task._get_internal_data("event_value")
    if value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        value = {"cycles": cycles, "next": _aware(start).isoformat(), "duration": duration.total_seconds()}
    ready = False
    if value["cycles"] != 0:
        upcoming = _aware(datetime.fromisoformat(value["next"]))
        if upcoming <= now():
            value["next"] = (upcoming + timedelta(seconds=value["duration"])).isoformat()
            value["cycles"] -= 1
            ready = True
    else:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data["event_fired"] = True
    my_task._set_internal_data(event_value=value)
    return ready


TimeDateEventDefinition.has_fired = _time_date_has_fired
DurationTimerEventDefinition.has_fired = _duration_has_fired
CycleTimerEventDefinition.cycle_complete = _cycle_complete
