"""The working calendar is a value each command is given: the engine holds none and asks nobody."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from service.engine import BpmnInvalid, Calendar, Engine, parse_definition
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


class Weekends:
    """A calendar for the tests: Monday to Friday are worked, plus the days given."""

    def __init__(self, *worked: date):
        self.worked = set(worked)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        raise AssertionError("not used")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 or day in self.worked

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def with_day_kind(source: str, kind: str) -> bytes:
    """The script model with a `dayKind` property on its process element."""
    text = models.script(source)
    opening = re.search(r"<bpmn:process [^>]*>", text).group(0)
    prop = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="dayKind" value="{kind}" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    if "xmlns:spiffworkflow" not in text:
        text = text.replace(
            "<bpmn:definitions ",
            '<bpmn:definitions xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" ',
        )
    return text.replace(opening, opening + prop, 1).encode()


SOURCE = (
    "ten = days_after('2025-03-05', 10)\n"
    "five = days_after('2025-03-05T09:00:00+07:00', 3)\n"
    "none = days_after('2025-03-08', 0)"
)


def test_days_after_counts_working_days_unless_the_process_reads_calendar_days(engine):
    parsed = parse_definition(with_day_kind(SOURCE, "working"))
    assert parsed.declarations.day_kind == "working"
    definition = engine.compile(parsed.spec_blob)
    assert definition.uses_calendar
    result = engine.start(definition, {}, now=NOW, calendar=Weekends())
    # Wednesday 5/3/2025: ten working days later is Wednesday 19/3; three is Monday 10/3
    assert (result.variables["ten"], result.variables["five"]) == ("2025-03-19", "2025-03-10")
    assert result.variables["none"] == "2025-03-08"
    # the service sets the kind the definition declared on the compiled definition it caches
    calendar_days = engine.start(replace(definition, day_kind="calendar"), {}, now=NOW, calendar=Weekends())
    # ten calendar days: Saturday 15/3, not worked, so Monday 17/3; three: Saturday 8/3 → Monday 10/3
    assert (calendar_days.variables["ten"], calendar_days.variables["five"]) == ("2025-03-17", "2025-03-10")
    made_up = engine.start(
        replace(definition, day_kind="calendar"), {}, now=NOW, calendar=Weekends(date(2025, 3, 15))
    )
    assert made_up.variables["ten"] == "2025-03-15"  # a make-up Saturday is worked


def test_days_after_refuses_fractions_and_bad_dates(engine):
    for source, message in (
        ("x = days_after('2025-03-05', 1.5)", "whole number of days"),
        ("x = days_after('5/3/2025', 1)", "needs an ISO date"),
        ("x = days_after('2025-03-05', -1)", "whole number of days"),
    ):
        result = engine.start(script(engine, source), {}, now=NOW, calendar=Weekends())
        assert result.status == "error" and message in result.error["message"], source


def test_a_day_kind_other_than_working_or_calendar_is_a_deploy_error():
    with pytest.raises(BpmnInvalid, match=r"dayKind .* must be one of working, calendar"):
        parse_definition(with_day_kind("x = 1", "lunar"))
    assert parse_definition(models.script("x = 1").encode()).declarations.day_kind is None
