"""The JUEL subset (engine/juel.py) and Camunda Modeler's attributes (engine/modeler.py), engine only."""

from datetime import UTC, datetime, timedelta

import pytest

from service.engine import BpmnInvalid, Engine, parse_file
from service.engine.juel import MAX_DEPTH, MAX_LENGTH, JuelRefused, translate
from service.engine.modeler import timer_expression
from service.engine.sandbox import RestrictedEnvironment

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def evaluate(expression: str, **data):
    return RestrictedEnvironment().evaluate(translate(expression).python, data)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("${amount > 1000 && approved}", {"amount": 5000, "approved": True}, True),
        ("${amount > 1000 && approved}", {"amount": 5000, "approved": False}, False),
        ("${amount gt 1000 and approved}", {"amount": 10, "approved": True}, False),
        ("${a || b}", {"a": False, "b": True}, True),
        ("${!approved}", {"approved": False}, True),
        ("${not approved}", {"approved": True}, False),
        ("${empty comment}", {"comment": ""}, True),
        ("${empty comment}", {"comment": None}, True),
        ("${empty items}", {"items": []}, True),
        ("${not empty items}", {"items": [1]}, True),
        ("${applicant.address.city == 'Huế'}", {"applicant": {"address": {"city": "Huế"}}}, True),
        ("${x eq null}", {"x": None}, True),
        ('${x ne "a\\"b"}', {"x": 'a"b'}, False),
        ("${n le -1.5}", {"n": -2}, True),
        ("${(a || b) && c}", {"a": True, "b": False, "c": False}, False),
        ("${a < b == true}", {"a": 1, "b": 2}, True),  # left to right, as JUEL reads it
        ("#{level ge 3}", {"level": 3}, True),
        ("${true}", {}, True),
        ("${42}", {}, 42),
        ("unit-${code}", {"code": "HUE"}, "unit-HUE"),
        ("${first},${second}", {"first": "a", "second": "b"}, "a,b"),
    ],
)
def test_the_subset_means_what_it_means_in_juel(expression, data, expected):
    assert evaluate(expression, **data) == expected


def test_a_translation_names_the_variables_it_reads_and_a_lone_reference():
    translated = translate("${applicant.city == region && !empty x}")
    assert translated.names == {"applicant", "region", "x"}
    assert translated.plain_variable is None
    assert translate("${ initiator }").plain_variable == "initiator"
    assert translate("team-${unit}").text


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("${bean.method()}", "'bean.method(...)' calls a method"),
        ("${f(1)}", "'f(...)'"),
        ("${__import__('os')}", "'__import__' is not allowed"),
        ("${a.__class__.__base__}", "'__class__' is not allowed"),
        ("${_private}", "'_private' is not allowed"),
        ("${$x}", "'$x' is not allowed"),
        ("${x = 1}", "'='"),
        ("${x += 1}", "'+'"),
        ("${a ; b}", "';'"),
        ("${a[0]}", "'['"),
        ("${a ? b : c}", "'?'"),
        ("${a div b}", "'div'"),
        ("${a instanceof b}", "'instanceof'"),
        ("${-a}", "only supported before a number"),
        ("${a b}", "'b'"),
        ("${(a}", "')' is missing"),
        ("${a &&}", "ends where a value is expected"),
        ("${a & b}", "'&'"),
        ("${a | b}", "'|'"),
        ("${x -> x}", "'-' at 3"),
        ("${a.1}", "property name"),
        ("${import}", "reserved word"),
        ("${None}", "reserved word"),
        ("${'open}", "not closed"),
        ("${a", "not closed"),
        ("${{a}}", "'{'"),
        ("${}", "ends where a value"),
        ("${" + "!" * (MAX_DEPTH + 1) + "a}", "nests deeper"),
        ("${" + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1) + "}", "nests deeper"),
        ("${" + "a" * MAX_LENGTH + "}", "longer than"),
        ("${" + " || ".join(["a"] * 120) + "}", "tokens"),
        ("${a\u200bb}", "not supported"),
        ("${ả}", "not supported"),
    ],
)
def test_anything_else_is_refused_with_what_and_where(expression, says):
    with pytest.raises(JuelRefused) as refused:
        translate(expression)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("P7D", "'P7D'"),
        (" PT1H30M ", "'PT1H30M'"),
        ("R3/PT1H", "'R3/PT1H'"),
        ("R/P1D", "'R/P1D'"),
        ("R2/2026-12-31T09:00:00Z/P1D", "'R2/2026-12-31T09:00:00Z/P1D'"),
        ("2026-12-31T17:00:00+07:00", "'2026-12-31T17:00:00+07:00'"),
        ('"PT5M"', None),  # already Motcua's own Python
        ("working_days_from_now(2)", None),
        ("${wait}", "wait"),
    ],
)
def test_timer_values_become_what_spiffworkflow_evaluates(text, python):
    assert timer_expression(text) == python


CAMUNDA_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_t"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="decide" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>department = "land"
deadline = "2027-01-15T10:00:00+07:00"</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="task" name="Task" {attributes}>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="task" />
    <bpmn:sequenceFlow id="f3" sourceRef="task" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def opened(attributes: str, **variables):
    parsed = parse_file(CAMUNDA_TASK.format(attributes=attributes).encode())
    engine = Engine()
    result = engine.start(engine.compile(parsed.definitions[0].spec_blob), variables, now=NOW)
    return parsed, result


def test_expressions_in_task_attributes_are_evaluated_when_the_task_opens():
    parsed, result = opened(
        'camunda:candidateGroups="${department}-officers, reviewers" camunda:assignee="${owner.name}" '
        'camunda:dueDate="${deadline}" camunda:followUpDate="P1D" camunda:priority="${urgent}"',
        owner={"name": "lan"},
        urgent=90,
    )
    assert result.status == "running", result.error
    task = result.opened[0]
    assert task.candidate_groups == ("land-officers", "reviewers")
    assert task.assignee == "lan"
    assert task.due_at is None  # `${deadline}` alone is the dueDateVariable the service reads
    assert task.properties["dueDateVariable"] == "deadline"
    assert task.properties["followUpDate"] == (NOW + timedelta(days=1)).isoformat()
    assert task.properties["priority"] == 90
    assert not any(name.endswith(("Expression", "ExpressionNames")) for name in task.properties)
    # Who sees a task and when it is due are never the caller's to choose.
    assert {"department", "deadline"} <= set(parsed.definitions[0].declarations.protected_variables)
    assert "owner" not in parsed.definitions[0].declarations.protected_variables


def test_a_computed_due_date_and_a_literal_assignee():
    _, result = opened('camunda:assignee="lan" camunda:dueDate="P3D"')
    task = result.opened[0]
    assert task.assignee == "lan" and task.due_at == NOW + timedelta(days=3)
    _, result = opened('camunda:dueDate="2027-01-15T10:00:00+07:00"')
    assert result.opened[0].due_at == datetime(2027, 1, 15, 3, 0, tzinfo=UTC)


def test_an_expression_that_fails_when_the_task_opens_is_an_instance_error_naming_the_task():
    _, result = opened('camunda:assignee="${reviewer.name}"')
    assert result.status == "error"
    assert result.error["element_id"] == "task"
    assert "assignee" in result.error["message"] and "reviewer" in result.error["message"]
    assert result.opened == []


def test_a_refused_attribute_names_its_element_and_line():
    with pytest.raises(BpmnInvalid) as refused:
        parse_file(CAMUNDA_TASK.format(attributes='camunda:assignee="${users.first()}"').encode())
    assert refused.value.element_id == "task" and refused.value.line == 11
    assert "camunda:assignee of userTask 'task'" in refused.value.message


def test_own_spiffworkflow_properties_win_over_camunda_attributes():
    source = CAMUNDA_TASK.format(attributes='camunda:candidateGroups="camunda-group"').replace(
        "<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>",
        '<bpmn:extensionElements><spiffworkflow:properties xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        '<spiffworkflow:property name="candidateGroups" value="own-group" /></spiffworkflow:properties>'
        "</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>",
    )
    parsed = parse_file(source.encode())
    engine = Engine()
    result = engine.start(engine.compile(parsed.definitions[0].spec_blob), {}, now=NOW)
    assert result.opened[0].candidate_groups == ("own-group",)


def test_a_condition_in_another_language_is_refused():
    source = CAMUNDA_TASK.format(attributes="").replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="task" targetRef="end" />',
        '<bpmn:sequenceFlow id="f3" sourceRef="task" targetRef="end"><bpmn:conditionExpression '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="bpmn:tFormalExpression" '
        'language="javascript">x &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>',
    )
    with pytest.raises(BpmnInvalid) as refused:
        parse_file(source.encode())
    assert "javascript" in refused.value.message and refused.value.element_id == "f3"
