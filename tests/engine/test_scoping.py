"""What a definition declares (start form, starters, computed variables) and tasks scoped to org
units failing closed: a unit that is not a known unit's code is an incident, never an open task."""

import pytest

from service.engine import parse_definition

from .conftest import NOW, Instance, bpmn_bytes, deploy

UNITS = frozenset({"SO-TP", "SO-XD", "CA-TINH"})


@pytest.fixture
def scoped(engine):
    return deploy(engine, "engine_scoped.bpmn")


def start(engine, definition, units=UNITS, **variables):
    result = engine.start(definition, {"agencies": ["SO-XD"], **variables}, now=NOW, units=units)
    instance = Instance(engine, definition, result)
    instance._record(result)
    return instance


def test_the_start_form_and_the_starters_come_from_the_bpmn():
    declared = parse_definition(bpmn_bytes("engine_scoped.bpmn")).declarations
    assert declared.start_form == "scoped_start"
    assert declared.starter_groups == ("reception", "designers")
    assert declared.starter_users == ("alice",)


def test_variables_the_process_computes_are_protected():
    declared = parse_definition(bpmn_bytes("engine_scoped.bpmn")).declarations
    # script assignments (loop targets included), the multi-instance item and output collection,
    # the post-script's output, the unit and due-date variables
    assert set(declared.protected_variables) == {
        "opinions",
        "deadline",
        "index",
        "item",
        "agency",
        "opinion",
        "target_unit",
    }
    assert "agencies" not in declared.protected_variables  # the input collection is the caller's


def test_a_definition_without_starters_says_nothing():
    declared = parse_definition(bpmn_bytes("engine_basic.bpmn")).declarations
    assert declared.starter_groups is None and declared.starter_users is None
    assert declared.start_form is None


def test_a_task_opens_scoped_to_a_known_unit(engine, scoped):
    run = start(engine, scoped, target_unit=" SO-TP ")
    assert run.status == "running"
    (task,) = run.result.opened
    assert task.unit == "SO-TP"
    assert scoped.scoped


@pytest.mark.parametrize(
    "value",
    [["SO-TP"], {"code": "SO-TP"}, 7, "", "   ", "NOWHERE", "X" * 65, None],
    ids=["list", "dict", "int", "empty", "blank", "unknown", "too-long", "null"],
)
def test_a_unit_that_is_not_a_known_code_is_an_incident_and_opens_nothing(engine, scoped, value):
    run = start(engine, scoped, target_unit=value)
    assert run.status == "error"
    assert run.result.opened == []
    assert run.result.ready == []
    error = run.result.error
    assert error["element_id"] == "assign"
    assert "target_unit" in error["message"] and "not the code of an org unit" in error["message"]


def test_a_missing_unit_variable_is_an_incident(engine, scoped):
    run = start(engine, scoped)
    assert run.status == "error"
    assert "missing" in run.result.error["message"]


def test_retry_opens_the_task_once_the_unit_exists(engine, scoped):
    run = start(engine, scoped, target_unit="SO-NEW")
    assert run.status == "error"
    again = engine.retry(scoped, run.state, now=NOW, units=UNITS)
    assert again.status == "error" and again.opened == []
    fixed = engine.retry(scoped, run.state, now=NOW, units=UNITS | {"SO-NEW"})
    assert fixed.status == "running"
    assert [(t.element_id, t.unit) for t in fixed.opened] == [("assign", "SO-NEW")]


def test_each_multi_instance_child_is_checked_with_its_own_item(engine, scoped):
    run = start(engine, scoped, target_unit="SO-TP", agencies=["SO-XD", "NOWHERE", "CA-TINH"])
    assign = run.task("assign")
    result = engine.complete_task(scoped, run.state, assign.id, {}, now=NOW, units=UNITS)
    assert result.status == "error"
    assert sorted(t.unit for t in result.opened) == ["CA-TINH", "SO-XD"]
    assert "'NOWHERE'" in result.error["message"]
    assert len(result.ready) == 2  # the failed child is not ready: nobody sees it


def test_without_a_unit_list_the_engine_checks_the_shape_only(engine, scoped):
    assert start(engine, scoped, units=None, target_unit="ANY-CODE").status == "running"
    assert start(engine, scoped, units=None, target_unit=["SO-TP"]).status == "error"
