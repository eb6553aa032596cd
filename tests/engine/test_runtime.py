"""Commands on workflows (service.engine.runtime).

Start, complete, retry and terminate, the effects they report, and the state they store.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from service.engine import Engine, StateCorrupt, StateNotStorable, TaskNotReady, serialization
from service.engine.serialization import dump_state, load_state

from .conftest import NOW, Instance, deploy, deploy_unchecked

START = {"base_fee": 10, "threshold": 50}


@pytest.fixture
def basic(engine):
    return deploy(engine, "engine_basic.bpmn")


@pytest.fixture
def started(engine, basic) -> Instance:
    return Instance.start(engine, basic, START)


# --- human tasks ------------------------------------------------------------------------------


def test_start_opens_the_first_human_task_with_its_lane_as_candidate_group(started):
    assert started.status == "running"
    (task,) = started.result.opened
    assert task.element_id == "receive"
    assert task.name == "Receive the dossier"
    assert task.lane == "reception"
    assert task.candidate_groups == ("reception",)
    assert started.result.closed == []


def test_human_task_carries_form_key_documentation_and_due_date_from_due_in(started):
    task = started.task("receive")
    assert task.form_key == "receive_form"
    assert task.documentation == "Check the papers and count the pages."
    assert task.due_at == NOW + timedelta(days=1, hours=4)  # dueIn P1DT4H


def test_task_without_properties_has_no_form_key_and_no_due_date(started):
    started.complete("receive", pages=6)
    task = started.task("approve")
    assert (task.form_key, task.due_at, task.documentation) == (None, None, None)
    assert task.candidate_groups == ("leaders",)


def test_candidate_groups_property_overrides_the_lane(started):
    started.complete("receive", pages=2)
    task = started.task("legal_review")
    assert task.lane == "leaders"
    assert task.candidate_groups == ("legal", "archive")


def test_start_variables_are_the_instance_variables(started):
    assert started.variables == START


# --- scripts and gateways ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "fee", "next_task"),
    [(6, 60, "approve"), (5, 50, "legal_review"), (2, 20, "legal_review")],
)
def test_completing_a_task_runs_the_script_and_the_gateway_on_start_and_task_variables(
    started, pages, fee, next_task
):
    result = started.complete("receive", pages=pages)
    assert result.status == "running"
    assert result.variables == {**START, "pages": pages, "fee": fee, "label": f"{fee} VND"}
    assert started.ready_elements() == [next_task]


def test_completion_reports_the_closed_task_and_the_automatic_elements_it_ran(started):
    receive = started.task("receive")
    result = started.complete("receive", pages=6)
    assert result.closed == [receive.id]
    assert [t.element_id for t in result.opened] == ["approve"]
    assert [(e["element_id"], e["type"]) for e in result.completed_elements] == [
        ("compute_fee", "ScriptTask"),
        ("route", "ExclusiveGateway"),
    ]


def test_completing_the_last_task_completes_the_instance(started):
    started.complete("receive", pages=6)
    result = started.complete("approve", decision="ok")
    assert result.status == "completed"
    assert result.opened == [] and len(result.closed) == 1
    assert result.variables["decision"] == "ok"
    assert started.ready() == []


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_id",
    ["5f0c6a3e-2b7d-4c1e-9a8f-0d4e6b2c1a90", "not-a-uuid", ""],
    ids=["unknown-uuid", "not-a-uuid", "empty"],
)
def test_completing_an_unknown_task_id_is_refused(engine, basic, started, task_id):
    with pytest.raises(TaskNotReady):
        engine.complete_task(basic, started.state, task_id, {}, now=NOW)


def test_completing_an_already_completed_task_is_refused(engine, basic, started):
    receive = started.task("receive")
    started.complete("receive", pages=6)
    with pytest.raises(TaskNotReady):
        engine.complete_task(basic, started.state, receive.id, {"pages": 1}, now=NOW)


def test_completing_a_task_that_is_not_ready_yet_is_refused(engine, basic, started):
    workflow = load_state(started.state, basic.spec, basic.subprocess_specs)
    (future,) = [t for t in workflow.get_tasks() if t.task_spec.name == "approve"]
    with pytest.raises(TaskNotReady):
        engine.complete_task(basic, started.state, str(future.id), {}, now=NOW)


def test_completing_a_task_of_an_automatic_element_is_refused(engine, basic, started):
    workflow = load_state(started.state, basic.spec, basic.subprocess_specs)
    (script,) = [t for t in workflow.get_tasks() if t.task_spec.name == "compute_fee"]
    with pytest.raises(TaskNotReady):
        engine.complete_task(basic, started.state, str(script.id), {}, now=NOW)


@pytest.mark.parametrize("state", ["", "not json", "{}", "[]", '{"format": "other-1"}'])
def test_a_state_that_cannot_be_restored_is_corrupt(engine, basic, state):
    with pytest.raises(StateCorrupt):
        engine.ready_tasks(basic, state, now=NOW)


@pytest.mark.parametrize("state", ["null", '"text"', '{"format": "motcua-1"}'])
def test_a_state_that_is_not_a_workflow_object_is_corrupt(engine, basic, state):
    with pytest.raises(StateCorrupt):
        engine.ready_tasks(basic, state, now=NOW)


# --- script failures --------------------------------------------------------------------------


@pytest.fixture
def failed(engine) -> Instance:
    instance = Instance.start(engine, deploy(engine, "engine_script_error.bpmn"))
    instance.complete("prepare")
    return instance


def test_script_exception_puts_the_instance_in_error_with_message_element_and_line(failed):
    assert failed.status == "error"
    error = failed.result.error
    assert "NameError" in error["message"]
    assert "surcharge" in error["message"]
    assert error["element_id"] == "add_surcharge"
    assert error["element_name"] == "Add the surcharge"
    assert error["line"] == 2
    assert failed.ready() == []


def test_gateway_condition_failure_puts_the_instance_in_error_naming_the_gateway(engine):
    instance = Instance.start(engine, deploy(engine, "engine_loop.bpmn"))  # `finished` is never set
    result = instance.complete("review")
    assert result.status == "error"
    assert result.error["element_id"] == "done"
    assert "finished == True" in result.error["message"]


def test_gateway_condition_error_message_says_what_went_wrong(engine):
    instance = Instance.start(engine, deploy(engine, "engine_loop.bpmn"))
    result = instance.complete("review")
    assert "NameError" in result.error["message"]


def test_script_that_succeeds_with_the_missing_variable_given(engine):
    instance = Instance.start(engine, deploy(engine, "engine_script_error.bpmn"), {"surcharge": 5})
    result = instance.complete("prepare")
    assert result.status == "running"
    assert result.variables["total"] == 105
    assert instance.ready_elements() == ["pay"]


def test_retry_reruns_the_failed_script_and_reports_the_same_error(engine, failed):
    result = engine.retry(failed.definition, failed.state, now=NOW)
    assert result.status == "error"  # had the script not run again, the step would report 'running'
    assert result.error == failed.result.error
    assert result.opened == [] and result.closed == []
    again = engine.retry(failed.definition, result.state, now=NOW)
    assert again.error == failed.result.error


def test_retry_after_the_cause_is_gone_continues_the_instance():
    # The script needs a few hundredths of a second: it times out under a 1 ms budget, then passes
    # when an engine with a larger budget retries it.
    strict, lenient = Engine(script_time_limit=0.001), Engine(script_time_limit=30)
    definition = deploy(strict, "engine_slow_script.bpmn")
    instance = Instance.start(strict, definition)
    assert instance.status == "error"
    assert "ScriptTimeout" in instance.result.error["message"]
    result = lenient.retry(definition, instance.state, now=NOW)
    assert result.status == "running"
    assert result.error is None
    assert result.variables["spins"] == 200_000
    assert [t.element_id for t in result.opened] == ["after"]
    assert [e["element_id"] for e in result.completed_elements] == ["spin"]


def test_retry_of_an_instance_that_is_not_in_error_is_refused(engine, basic, started):
    with pytest.raises(TaskNotReady):
        engine.retry(basic, started.state, now=NOW)


def test_sandbox_escape_ends_in_error_and_never_runs(engine):
    # The deploy-time check would refuse this script: compile it unchecked to test the sandbox itself.
    instance = Instance.start(engine, deploy_unchecked(engine, "engine_escape.bpmn"))
    assert instance.status == "error"
    assert instance.result.error["element_id"] == "escape"
    assert "__class__" in instance.result.error["message"]
    assert "leaked" not in instance.variables
    assert "leaked" not in instance.state
    assert instance.ready() == []


def test_gateway_condition_escape_ends_in_error_and_never_runs(engine):
    instance = Instance.start(engine, deploy_unchecked(engine, "engine_escape_condition.bpmn"))
    result = instance.complete("review")
    assert result.status == "error"
    assert result.error["element_id"] == "done"
    assert instance.ready() == []


def test_infinite_loop_script_ends_in_error():
    engine = Engine(script_time_limit=0.2)
    instance = Instance.start(engine, deploy(engine, "engine_infinite_loop.bpmn"))
    assert instance.status == "error"
    assert instance.result.error["element_id"] == "spin"
    assert "ScriptTimeout" in instance.result.error["message"]
    assert instance.ready() == []


# --- terminate --------------------------------------------------------------------------------


def test_terminate_closes_every_ready_human_task(engine):
    definition = deploy(engine, "engine_parallel_loop.bpmn")
    instance = Instance.start(engine, definition, {"rounds": 0, "finished": False})
    ready = {t.id for t in instance.ready()}
    assert len(ready) == 2
    result = engine.terminate(instance.definition, instance.state, now=NOW)
    assert result.status == "terminated"
    assert set(result.closed) == ready
    assert result.opened == []
    assert engine.ready_tasks(instance.definition, result.state, now=NOW) == []
    for task_id in ready:
        with pytest.raises(TaskNotReady):
            engine.complete_task(instance.definition, result.state, task_id, {}, now=NOW)


def test_terminate_keeps_the_variables_the_instance_had(engine):
    """The service finds what an instance drives (a dossier) by its variables, to stop it too."""
    definition = deploy(engine, "engine_parallel_loop.bpmn")
    instance = Instance.start(engine, definition, {"rounds": 0, "finished": False, "dossier_id": "d-1"})
    result = engine.terminate(instance.definition, instance.state, now=NOW)
    assert result.variables["dossier_id"] == "d-1" and result.variables["rounds"] == 0


def test_terminate_an_instance_in_error(engine, failed):
    result = engine.terminate(failed.definition, failed.state, now=NOW)
    assert result.status == "terminated"
    assert result.closed == []
    assert engine.ready_tasks(failed.definition, result.state, now=NOW) == []


def test_retry_of_a_terminated_instance_is_refused():
    strict, lenient = Engine(script_time_limit=0.001), Engine(script_time_limit=30)
    definition = deploy(strict, "engine_slow_script.bpmn")
    failed = Instance.start(strict, definition)
    terminated = lenient.terminate(definition, failed.state, now=NOW)
    with pytest.raises(TaskNotReady):
        lenient.retry(definition, terminated.state, now=NOW)


# --- the stored state -------------------------------------------------------------------------


def test_state_does_not_embed_the_process_spec(started):
    started.complete("receive", pages=6)
    dct = json.loads(started.state)
    assert "spec" not in dct and "subprocess_specs" not in dct
    for spec_text in ("base_fee * pages", "fee > threshold", "Compute the fee", "receive_form", "task_specs"):
        assert spec_text not in started.state


def test_state_round_trips_through_load_and_dump_unchanged(basic, started):
    workflow = load_state(started.state, basic.spec, basic.subprocess_specs)
    assert dump_state(workflow) == started.state


def test_data_the_fast_writer_cannot_hold_is_stored_exactly_all_the_same(engine, basic):
    """orjson writes the state; an integer over 64 bits, text with a lone surrogate and keys that
    are numbers are written by the standard library's JSON instead, and restore to the same data."""
    data = {"big": 2**80, "negative": -(2**70), "odd": "a\ud800b", "tiếng": "Việt", "small": 1e-7}
    instance = Instance.start(engine, basic, {**START, **data})
    workflow = load_state(instance.state, basic.spec, basic.subprocess_specs)
    (receive,) = [t for t in workflow.get_tasks() if t.task_spec.name == "receive"]
    assert {key: receive.data[key] for key in data} == data
    assert type(receive.data["big"]) is int
    assert dump_state(workflow) == instance.state


@pytest.mark.parametrize(
    "value",
    [{1: "a", 1.5: "b", None: "c", False: "d"}, {"a": [1, 2.5, None, True, "x"]}, 2**64, "\udfff", 1e300],
)
def test_the_state_writer_writes_what_the_standard_library_reads_back_the_same(value):
    assert json.loads(serialization.dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [{"d": date(2026, 12, 6)}, {"s": {1, 2}}, {"b": b"x"}, {"o": object()}])
def test_a_value_json_has_no_type_for_is_refused_not_turned_into_something_else(value):
    with pytest.raises(TypeError):
        serialization.dumps(value)


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"a": [1, {"b": float("inf")}]}, (float("-inf"),), {"big": 2**70, "n": float("nan")}],
)
def test_a_number_that_is_not_finite_is_refused_not_written_as_null(value):
    with pytest.raises(ValueError, match=r"not finite|not JSON compliant"):
        serialization.dumps(value)


def test_a_value_that_holds_itself_is_refused_not_walked_forever():
    looping: list = [1]
    looping.append(looping)
    with pytest.raises(ValueError, match=r"[Cc]ircular"):
        serialization.dumps({"a": looping})
    with pytest.raises(ValueError, match=r"[Cc]ircular"):
        serialization.dumps({"big": 2**80, "a": looping})  # past orjson, to the standard library


def test_a_process_whose_data_holds_nan_is_refused_with_nothing_applied(engine, basic):
    """NaN reaches task data only past the doors that refuse it (an API's strict JSON, a script's
    data check): e.g. a decision's output. Its step is refused whole: StateNotStorable."""
    with pytest.raises(StateNotStorable, match="cannot be stored"):
        Instance.start(engine, basic, {**START, "ratio": float("nan")})


def test_state_round_trips_through_many_completions(engine):
    instance = Instance.start(engine, deploy(engine, "engine_loop.bpmn"), {"finished": False, "seen": []})
    for i in range(100):
        instance.complete("review", seen=[*instance.variables["seen"], i], note=f"round {i}")
        assert instance.status == "running"
    assert instance.variables["seen"] == list(range(100))
    assert instance.variables["note"] == "round 99"
    assert instance.complete("review", finished=True).status == "completed"


def test_timer_due_time_is_computed_from_the_given_now(engine):
    definition = deploy(engine, "engine_boundary_loop.bpmn")
    result = engine.start(definition, {"finished": False}, now=NOW)
    assert result.next_timer_at == NOW + timedelta(days=10)


def test_due_timers_fire_at_the_given_now_and_not_before(engine):
    definition = deploy(engine, "engine_boundary_loop.bpmn")
    started = engine.start(definition, {"finished": False}, now=NOW)
    due = started.next_timer_at
    early = engine.fire_timers(definition, started.state, now=due - timedelta(seconds=1))
    assert early.completed_elements == []
    assert early.next_timer_at == due
    fired = engine.fire_timers(definition, started.state, now=due)
    assert "handle_deadline" in [e["element_id"] for e in fired.completed_elements]


def test_a_message_nobody_waits_for_is_refused(engine):
    from service.engine import EventNotExpected

    definition = deploy(engine, "engine_boundary_loop.bpmn")
    started = engine.start(definition, {"finished": False}, now=NOW)
    with pytest.raises(EventNotExpected):
        engine.deliver_message(definition, started.state, "withdrawal", {}, now=NOW)


def test_service_tasks_wait_for_a_worker_and_complete_with_its_result(engine):
    definition = deploy(engine, "svc_service_chain.bpmn")
    started = engine.start(definition, {"ref": "HS-1", "wait_for": "PT1M"}, now=NOW)
    assert started.status == "running"
    assert [c["element_id"] for c in started.service_calls] == ["sync"]
    call = started.service_calls[0]
    assert call["operation"] == "dvc/sync_dossier"
    assert call["params"] == {"ref": "HS-1", "status": 4}
    assert (call["retries"], call["backoff"]) == (3, 1.0)
    synced = engine.complete_service_task(
        definition, started.state, call["task_id"], {"ok": True, "reference": "dvc-1"}, now=NOW
    )
    assert synced.service_calls == []
    assert synced.next_timer_at == NOW + timedelta(minutes=1)
    assert synced.variables["sync_result"] == {"ok": True, "reference": "dvc-1"}
    waited = engine.fire_timers(definition, synced.state, now=NOW + timedelta(minutes=1))
    assert [c["params"] for c in waited.service_calls] == [{"ref": "HS-1", "reference": "dvc-1"}]
    done = engine.complete_service_task(
        definition, waited.state, waited.service_calls[0]["task_id"], {"ok": True}, now=NOW
    )
    assert done.status == "completed"
    with pytest.raises(TaskNotReady):
        engine.complete_service_task(definition, done.state, call["task_id"], {}, now=NOW)


def test_a_cycle_timer_fires_on_the_commands_clock_as_often_as_it_says(engine):
    definition = deploy(engine, "engine_cycle_reminder.bpmn")
    base = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    started = engine.start(definition, {}, now=base)
    assert started.next_timer_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    early = engine.fire_timers(definition, started.state, now=base + timedelta(minutes=30))
    assert "remind" not in [e["element_id"] for e in early.completed_elements]
    first = engine.fire_timers(definition, started.state, now=datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))
    assert [e["element_id"] for e in first.completed_elements].count("remind") == 1
    assert first.next_timer_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    second = engine.fire_timers(definition, first.state, now=datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC))
    assert [e["element_id"] for e in second.completed_elements].count("remind") == 1
    third = engine.fire_timers(definition, second.state, now=datetime(2026, 3, 2, 11, 0, 1, tzinfo=UTC))
    assert "remind" not in [e["element_id"] for e in third.completed_elements]  # R2: only two
    assert [t.element_id for t in engine.ready_tasks(definition, third.state, now=base)] == ["handle"]
