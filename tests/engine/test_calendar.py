"""The working calendar is a value each command is given: the engine holds none and asks nobody."""

from __future__ import annotations

from datetime import datetime, timedelta

from service.engine import Calendar, Engine, parse_definition
from tests.engine.conftest import NOW, deploy
from tests.security import budget_models as models


class Weekdays:
    """A calendar for the tests: a working day is 24 hours, `step` calendar days long."""

    def __init__(self, step: int = 1):
        self.step, self.calls = step, []

    def add_working_days(self, start: datetime, days: float) -> datetime:
        self.calls.append((start, days))
        return start + timedelta(days=days * self.step)


def script(engine: Engine, source: str):
    return engine.compile(parse_definition(models.script(source).encode()).spec_blob)


def test_scripts_count_working_days_with_the_calendar_the_command_is_given(engine):
    definition = script(engine, "due = working_days_from_now(2)\nlater = add_working_days('2025-03-10', 1)")
    calendar: Calendar = Weekdays()
    result = engine.start(definition, {}, now=NOW, calendar=calendar)
    assert result.status == "running"
    assert result.variables["due"] == (NOW + timedelta(days=2)).isoformat()
    assert result.variables["later"] == "2025-03-11T00:00:00+00:00"  # a naive start is UTC
    assert calendar.calls == [(NOW, 2.0), (datetime.fromisoformat("2025-03-10T00:00:00+00:00"), 1.0)]


def test_one_engine_runs_each_step_with_its_own_calendar(engine):
    definition = script(engine, "due = working_days_from_now(1)")
    short = engine.start(definition, {}, now=NOW, calendar=Weekdays(step=1))
    long = engine.start(definition, {}, now=NOW, calendar=Weekdays(step=7))
    assert short.variables["due"] == (NOW + timedelta(days=1)).isoformat()
    assert long.variables["due"] == (NOW + timedelta(days=7)).isoformat()


def test_a_step_given_no_calendar_puts_the_instance_in_error_naming_the_helper(engine):
    result = engine.start(script(engine, "due = working_days_from_now(1)"), {}, now=NOW)
    assert result.status == "error"
    assert "working_days_from_now() needs the working calendar" in result.error["message"]
    assert result.error["element_id"] == "compute"


def test_timers_fired_later_count_with_the_calendar_of_that_command(engine):
    # A one-second start timer, then a timer at working_days_from_now(2).
    definition = deploy(engine, "svc_timer_start.bpmn")
    calendar = Weekdays(step=3)
    started = engine.start(definition, {}, now=NOW, calendar=calendar)
    assert started.next_timer_at == NOW + timedelta(seconds=1)
    fired_at = NOW + timedelta(seconds=5)
    fired = engine.fire_timers(definition, started.state, now=fired_at, calendar=calendar)
    assert fired.status == "running"
    assert fired.next_timer_at == fired_at + timedelta(days=6)


def test_a_definition_says_whether_it_uses_the_calendar(engine):
    assert script(engine, "due = working_days_from_now(1)").uses_calendar
    assert script(engine, "due = add_working_days(start, 1)").uses_calendar
    assert not script(engine, "due = 1").uses_calendar
    assert not deploy(engine, "engine_basic.bpmn").uses_calendar
