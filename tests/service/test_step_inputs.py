"""What the service hands the engine for a step besides the state: the compiled definition, the org
units' codes and the office's working calendar, as values (runtime.inputs); the engine reads nothing."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from service import runtime
from service.calendar.operations import calendar, invalidate
from service.calendar.workcal import WorkingCalendar
from service.definitions.operations import get
from service.models_base import utcnow
from tests.security import budget_models as models
from tests.support import bpmn_path, statements

COUNTS_DAYS = models.script("due = working_days_from_now(1)", key="counts_days")


def _statements(work) -> list[str]:
    with statements(current_app) as seen:
        work()
    return seen


def test_only_a_definition_that_counts_working_days_is_given_the_calendar(app, admin):
    assert admin.deploy(COUNTS_DAYS, "counts_days.bpmn").status_code == 201
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    with app.app_context():
        counting, plain = get("counts_days").id, get("simple_approval").id
        invalidate(app)  # a cold cache: building the calendar reads the overrides
        seen = _statements(lambda: runtime.inputs(plain))
        assert not any("calendar_overrides" in s for s in seen)
        assert runtime.inputs(plain).calendar is None
        seen = _statements(lambda: runtime.inputs(counting))
        assert sum("calendar_overrides" in s for s in seen) == 1
        inputs = runtime.inputs(counting)
        assert isinstance(inputs.calendar, WorkingCalendar)
        assert inputs.definition is runtime.compiled(counting)  # restored once per process
        assert inputs.units is None  # no task scoped to an org unit


def test_a_script_counts_working_days_with_the_offices_days_off(app, admin):
    assert admin.deploy(COUNTS_DAYS, "counts_days.bpmn").status_code == 201
    with app.app_context():
        office = calendar()
        day_off = office.local(office.add_working_days(utcnow(), 1)).date()
    assert (
        admin.post("/api/v1/calendar/overrides", json={"day": day_off.isoformat(), "kind": "off"}).status_code
        == 201
    )
    started = admin.start("counts_days")
    assert started.status_code == 201, started.json
    due = datetime.fromisoformat(started.json["variables"]["due"])
    assert office.local(due).date() > day_off
