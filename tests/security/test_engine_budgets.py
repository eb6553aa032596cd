"""Issue 9, finding 4 (work outside the script sandbox had no budget): every step is bounded.

The attacks: a timer `P99999999Y` kept a request thread at 100 % CPU for over 10 minutes; a call
activity calling its own process never returned; `working_days_from_now(2000000)` took 20 s in a
script without a ScriptTimeout; `allotment="1e7"` took 57 s and answered 500; a timer cycle
`R999999999/PT0S` fired on every tick; `str([s]*1000)` with a 1 MB string built 1 GB. Each is now
refused: a literal value at deploy (422 naming the element), a computed one at run time (the
instance in error naming the budget and its setting, with nothing half-done).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest

from service.calendar.workcal import WorkingCalendar
from service.config import from_environment
from service.engine import BpmnInvalid, Budgets, Engine, parse_definition
from service.engine.sandbox import RestrictedEnvironment, ScriptError
from service.engine.serialization import load_state
from tests.engine.conftest import NOW, Instance
from tests.security import budget_models as models


def compiled(engine: Engine, model: str):
    return engine.compile(parse_definition(model.encode()).spec_blob)


def test_the_engines_default_budgets_are_the_services_default_settings(monkeypatch):
    for name in list(os.environ):
        if name.startswith("MOTCUA_"):
            monkeypatch.delenv(name)
    assert Budgets.from_settings(from_environment()) == Budgets()


# --- timers ------------------------------------------------------------------------------------

LITERAL_TIMERS = [
    ("timeDuration", '"P99999999Y"', "max_timer_days"),
    ("timeDate", '"9999-12-31T00:00:00+00:00"', "max_timer_days"),
    ("timeCycle", '"R999999999/PT0S"', "max_timer_cycles"),
    ("timeCycle", '"R/PT1H"', "max_timer_cycles"),
    ("timeCycle", '"R5/PT0S"', "min_timer_interval_seconds"),
    ("timeCycle", '"R5/P99999999Y"', "max_timer_days"),
]


@pytest.mark.parametrize(("kind", "expression", "budget"), LITERAL_TIMERS)
def test_a_timer_literal_out_of_bounds_is_refused_at_deploy_naming_the_element(kind, expression, budget):
    with pytest.raises(BpmnInvalid) as refused:
        parse_definition(models.timer(kind, expression).encode())
    element = "every" if kind == "timeCycle" else "pause"
    assert refused.value.element_id == element
    assert refused.value.line is not None
    assert budget in refused.value.message


@pytest.mark.parametrize(("kind", "expression"), [("timeDuration", '"PT5X"'), ("timeCycle", '"R3"')])
def test_a_timer_literal_that_is_not_iso_8601_is_refused_at_deploy(kind, expression):
    with pytest.raises(BpmnInvalid, match="ISO 8601"):
        parse_definition(models.timer(kind, expression).encode())


@pytest.mark.parametrize(("kind", "expression", "budget"), LITERAL_TIMERS)
def test_a_timer_value_from_a_variable_out_of_bounds_puts_the_instance_in_error(kind, expression, budget):
    engine = Engine()
    definition = compiled(engine, models.timer(kind, "when"))
    result = engine.start(definition, {"when": json.loads(expression)}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == budget
    assert result.error["setting"] in result.error["message"]
    assert result.error["element_id"] == ("every" if kind == "timeCycle" else "pause")
    assert result.next_timer_at is None  # nothing was armed


def test_timers_within_their_bounds_are_armed_on_the_commands_clock():
    engine = Engine()
    duration = engine.start(compiled(engine, models.timer("timeDuration", "when")), {"when": "P30D"}, now=NOW)
    assert (duration.status, duration.next_timer_at) == ("running", NOW + timedelta(days=30))
    cycle = engine.start(compiled(engine, models.timer("timeCycle", "when")), {"when": "R3/PT1H"}, now=NOW)
    assert (cycle.status, cycle.next_timer_at) == ("running", NOW + timedelta(hours=1))


def test_a_cycle_fires_no_more_often_than_its_minimum_interval_allows():
    engine = Engine(budgets=Budgets(min_timer_interval_seconds=3600))
    definition = compiled(engine, models.timer("timeCycle", "when"))
    assert (
        engine.start(definition, {"when": "R3/PT30M"}, now=NOW).error["budget"]
        == "min_timer_interval_seconds"
    )
    assert engine.start(definition, {"when": "R3/PT1H"}, now=NOW).status == "running"


def test_a_refused_timer_is_checked_again_on_retry():
    engine = Engine()
    definition = compiled(engine, models.timer("timeDuration", "when"))
    failed = engine.start(definition, {"when": "P99999999Y"}, now=NOW)
    again = engine.retry(definition, failed.state, now=NOW)
    assert (again.status, again.error["budget"]) == ("error", "max_timer_days")
    assert engine.terminate(definition, again.state, now=NOW).status == "terminated"


# --- call activities, loops, the step's CPU time --------------------------------------------------


def test_a_call_activity_calling_its_own_process_ends_in_error_at_the_depth_budget():
    engine = Engine(budgets=Budgets(max_call_depth=4))
    definition = compiled(engine, models.self_call())
    result = engine.start(definition, {}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == "max_call_depth"
    assert result.error["setting"] == "MOTCUA_MAX_CALL_DEPTH"
    assert result.error["element_id"] == "again"
    workflow = load_state(result.state, definition.spec, definition.subprocess_specs)
    assert len(workflow.subprocesses) == 4


def test_a_call_activity_calling_its_own_process_stops_under_the_default_budget():
    engine = Engine()
    result = engine.start(compiled(engine, models.self_call()), {}, now=NOW)
    assert (result.status, result.error["budget"]) == ("error", "max_call_depth")


def test_an_automatic_loop_that_never_waits_stops_at_the_tasks_budget_of_the_step():
    engine = Engine(budgets=Budgets(max_tasks_per_step=300))
    definition = compiled(engine, models.automatic_loop("done = False"))
    result = engine.start(definition, {}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == "max_tasks_per_step"
    assert result.error["element_id"] == "work"
    again = engine.retry(definition, result.state, now=NOW)  # another step, stopped again
    assert (again.status, again.error["budget"]) == ("error", "max_tasks_per_step")


SPIN = "rounds += 1\nn = 0\nwhile n < 20000:\n    n += 1\ndone = rounds >= 40"


def test_a_step_stops_at_its_cpu_budget_and_retry_continues_it_with_a_fresh_one():
    # A round takes ~10 ms of CPU here (40 rounds: 0.34 s); 0.1 s stops it after a few rounds even on a
    # loaded machine, where a thread's CPU time runs slower.
    strict = Engine(budgets=Budgets(step_cpu_seconds=0.1, max_tasks_per_step=100_000))
    lenient = Engine(budgets=Budgets(step_cpu_seconds=60, max_tasks_per_step=100_000))
    definition = compiled(strict, models.automatic_loop(SPIN))
    failed = strict.start(definition, {"rounds": 0}, now=NOW)
    assert failed.status == "error"
    assert failed.error["budget"] == "step_cpu_seconds"
    assert failed.error["setting"] == "MOTCUA_STEP_CPU_SECONDS"
    assert failed.error["element_id"] in {"work", "more"}  # the spin, or rarely the gateway after it
    assert 0 < failed.variables["rounds"] < 40
    finished = lenient.retry(definition, failed.state, now=NOW)
    assert finished.status == "running"
    assert finished.variables["rounds"] == 40
    assert [t.element_id for t in finished.opened] == ["after"]


def test_a_step_over_its_cpu_budget_after_its_last_task_is_an_error_that_retry_runs_on():
    lenient, spent = Engine(), Engine(budgets=Budgets(step_cpu_seconds=0))
    definition = compiled(lenient, models.fan_out(collection="items"))
    instance = Instance.start(lenient, definition, {"items": ["a", "b"]})
    first, second = instance.ready()
    over = spent.complete_task(definition, instance.state, first.id, {}, now=NOW)
    assert over.status == "error"
    assert (over.error["budget"], over.error["setting"]) == ("step_cpu_seconds", "MOTCUA_STEP_CPU_SECONDS")
    assert "by the end of the step" in over.error["message"]
    resumed = lenient.retry(definition, over.state, now=NOW)
    assert (resumed.status, resumed.error) == ("running", None)
    assert resumed.ready == [second.id]


def test_a_script_gets_no_more_than_what_is_left_of_its_steps_budget():
    engine = Engine(budgets=Budgets(script_cpu_seconds=60, step_cpu_seconds=0.1))
    result = engine.start(compiled(engine, models.script("while True:\n    pass")), {}, now=NOW)
    assert result.status == "error"
    assert "ScriptTimeout" in result.error["message"]
    assert result.error["budget"] == "step_cpu_seconds"


# --- the calendar -------------------------------------------------------------------------------


def test_working_days_from_now_with_two_million_days_is_refused_in_the_script():
    engine = Engine()
    definition = compiled(engine, models.script("due = working_days_from_now(days)"))
    result = engine.start(definition, {"days": 2_000_000}, now=NOW, calendar=WorkingCalendar())
    assert result.status == "error"
    assert result.error["budget"] == "max_calendar_days"
    assert result.error["setting"] == "MOTCUA_MAX_CALENDAR_DAYS"
    assert result.error["element_id"] == "compute"


def test_the_calendar_helpers_cpu_time_counts_against_the_script_budget():
    # One statement and no loop: only the check after the helper's call can stop it.
    engine = Engine(script_time_limit=0.001)
    definition = compiled(engine, models.script("due = add_working_days('2025-03-03T08:00:00+07:00', 3000)"))
    result = engine.start(definition, {}, now=NOW, calendar=WorkingCalendar())
    assert result.status == "error"
    assert "ScriptTimeout" in result.error["message"]
    assert result.error["budget"] == "script_cpu_seconds"
    assert Engine().start(definition, {}, now=NOW, calendar=WorkingCalendar()).status == "running"


@pytest.mark.parametrize("days", [2_000_000, -2_000_000, 1e7])
def test_the_calendar_refuses_absurd_spans_at_once(days):
    calendar, start = WorkingCalendar(), datetime(2025, 3, 3, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="working days"):
        calendar.add_working_days(start, days)
    with pytest.raises(ValueError):
        calendar.subtract_working_days(start, days)
    with pytest.raises(ValueError):
        calendar.office_time_between(start, start + timedelta(days=365 * 100))


# --- allotments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("allotment", ["1e7", "366", "0", "-1", "soon", "nan", "inf"])
def test_an_allotment_out_of_the_statutory_range_is_refused_at_deploy(allotment):
    with pytest.raises(BpmnInvalid, match="allotment") as refused:
        parse_definition(models.user_task(allotment=allotment).encode())
    assert refused.value.element_id == "handle"
    assert refused.value.line is not None


@pytest.mark.parametrize("allotment", ["0.5", "2", "365"])
def test_an_allotment_within_the_range_is_deployed(allotment):
    assert parse_definition(models.user_task(allotment=allotment).encode()).key == "user_task"


@pytest.mark.parametrize("due_in", ["P99999999Y", "P2Y", "soon"])
def test_a_due_in_that_is_too_long_or_not_a_duration_is_refused_at_deploy(due_in):
    with pytest.raises(BpmnInvalid, match="dueIn") as refused:
        parse_definition(models.user_task(dueIn=due_in).encode())
    assert refused.value.element_id == "handle"


def test_a_due_in_of_an_older_definition_never_spins_when_the_task_opens():
    # Deployed where dueIn was not checked yet: the task opens at once, without a due date.
    older = parse_definition(
        models.user_task(dueIn="P99999999Y").encode(), budgets=Budgets(max_allotment_days=1e12)
    )
    engine = Engine()
    task = Instance.start(engine, engine.compile(older.spec_blob)).task("handle")
    assert task.due_at is None


def test_a_due_in_follows_the_engines_own_allotment_budget():
    budgets = Budgets(max_allotment_days=1000)
    definition = parse_definition(models.user_task(dueIn="P500D").encode(), budgets=budgets)
    engine = Engine(budgets=budgets)
    task = Instance.start(engine, engine.compile(definition.spec_blob)).task("handle")
    assert task.due_at == NOW + timedelta(days=500)


# --- what scripts build ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "s = 'x' * 1000000\nt = str([s] * 1000)",
        "s = 'x' * 1000000\nt = repr([s] * 1000)",
        "s = 'x' * 1000000\nt = f'{[s] * 1000}'",
        "s = 'x' * 1000000\nt = '%s' % ([s] * 1000,)",
        "s = 'x' * 1000000\nprint([s] * 1000)",
    ],
    ids=["str", "repr", "f-string", "percent", "print"],
)
def test_text_of_big_nested_data_is_refused_before_it_is_built(source):
    engine = Engine()
    result = engine.start(compiled(engine, models.script(source)), {}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == "max_sequence"
    assert result.error["setting"] == "MOTCUA_SCRIPT_MAX_SEQUENCE"
    assert '"t":' not in result.state  # the text was never built: only the 1 MB string is stored
    assert len(result.state) < 2_000_000


def test_data_growing_in_a_loop_is_measured_and_refused():
    engine = Engine(budgets=Budgets(max_data_bytes=2_000_000, script_cpu_seconds=30, step_cpu_seconds=30))
    source = "chunks = []\nwhile True:\n    chunks.append('x' * 100000)"
    result = engine.start(compiled(engine, models.script(source)), {}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == "max_data_bytes"
    assert "chunks" not in result.variables
    assert len(result.state) < 1_000_000


def test_a_refused_script_leaves_the_data_it_started_with():
    env = RestrictedEnvironment(max_data_bytes=1000)
    data = {"applicant": "Nguyễn Thị Ánh", "pages": 3}
    with pytest.raises(ScriptError, match="max_data_bytes"):
        env.execute("blob = 'x' * 5000\npages = 4", data)
    assert data == {"applicant": "Nguyễn Thị Ánh", "pages": 3}


def test_deeply_nested_data_built_by_a_script_is_an_instance_error_and_the_state_is_stored():
    engine = Engine()
    result = engine.start(
        compiled(engine, models.script("x = []\nfor i in range(5000):\n    x = [x]")), {}, now=NOW
    )
    assert result.status == "error"
    assert result.error["budget"] == "max_data_depth"
    assert result.error["setting"] == "MOTCUA_SCRIPT_MAX_DATA_DEPTH"
    assert "x" not in result.variables
    assert json.loads(result.state)


# --- through the service ---------------------------------------------------------------------------


def test_deploying_a_timer_of_P99999999Y_is_422_naming_the_element(admin):
    response = admin.deploy(models.timer("timeDuration", '"P99999999Y"', key="long_wait"), "wait.bpmn")
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["details"]["element_id"]) == ("bpmn_invalid", "pause")
    assert "MOTCUA_MAX_TIMER_DAYS" in error["message"]


def test_a_timer_of_P99999999Y_from_a_variable_puts_the_instance_in_error_naming_the_budget(admin):
    assert (
        admin.deploy(
            models.timer("timeDuration", "wait_for", key="variable_wait", start_form="budget_wait_start"),
            "w.bpmn",
        ).status_code
        == 201
    )
    started = admin.start("variable_wait", variables={"wait_for": "P99999999Y"})
    assert started.status_code == 201, started.json
    instance = admin.get(f"/api/v1/process-instances/{started.json['id']}").json
    assert instance["state"] == "error"
    assert (instance["error"]["budget"], instance["error"]["element_id"]) == ("max_timer_days", "pause")


def test_a_self_calling_process_deploys_and_its_instance_ends_in_error(admin):
    assert admin.deploy(models.self_call("again_and_again"), "r.bpmn").status_code == 201
    started = admin.start("again_and_again")
    assert started.status_code == 201, started.json
    assert started.json["state"] == "error"
    assert started.json["error"]["budget"] == "max_call_depth"


def test_deploying_an_allotment_of_1e7_working_days_is_422_naming_the_element(admin):
    response = admin.deploy(models.user_task("big_allotment", allotment="1e7"), "a.bpmn")
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["details"]["element_id"]) == ("bpmn_invalid", "handle")
    assert "MOTCUA_MAX_ALLOTMENT_DAYS" in error["message"]


def test_a_script_building_deeply_nested_data_is_an_instance_error_not_a_500(admin):
    assert (
        admin.deploy(
            models.script("x = []\nfor i in range(1200):\n    x = [x]", key="deep"), "d.bpmn"
        ).status_code
        == 201
    )
    started = admin.start("deep")
    assert started.status_code == 201, started.json
    assert started.json["state"] == "error"
    assert started.json["error"]["budget"] == "max_data_depth"
    assert admin.get(f"/api/v1/process-instances/{started.json['id']}").status_code == 200


PROCEDURE = {"code": "T-01", "name": "Thủ tục thử", "processing_days": 10, "step_allotments": {"appraise": 2}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"processing_days": 1e7}, "processing_days"),
        ({"step_allotments": {"appraise": 1e7}}, "step_allotments"),
    ],
)
def test_the_catalogue_refuses_allotments_out_of_the_statutory_range(admin, change, field):
    response = admin.post("/api/v1/procedures", json={**PROCEDURE, **change})
    assert response.status_code == 422
    fields = response.json["error"]["details"]["fields"]
    assert field in fields
    if field == "step_allotments":
        assert "appraise" in fields["step_allotments"]  # the element is named
    assert "MOTCUA_MAX_ALLOTMENT_DAYS" in json.dumps(fields)


def test_a_catalogue_file_with_an_absurd_allotment_is_refused_naming_the_procedure(admin):
    records = [PROCEDURE, {**PROCEDURE, "code": "T-02", "step_allotments": {"approve": 1e7}}]
    response = admin.post(
        "/api/v1/procedures/load",
        data={"file": (BytesIO(json.dumps(records).encode()), "catalogue.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["details"]["record"] == 2
    assert error["details"]["code"] == "T-02"
    assert "T-02" in error["message"]
    assert "approve" in error["details"]["fields"]["step_allotments"]
    assert admin.get("/api/v1/procedures").json["total"] == 0
