"""External tasks in the engine alone: published on their topic, completed with variables, handed
to an error boundary event by code; Camunda Modeler's camunda:type="external" deploys and runs."""

import pytest

from service.engine import BpmnInvalid, Engine, EventNotExpected, TaskNotReady, parse_file

from .conftest import NOW, bpmn_bytes, deploy


@pytest.fixture
def engine():
    return Engine()


def test_an_external_task_is_published_on_its_topic_not_called(engine):
    definition = deploy(engine, "engine_external.bpmn")
    result = engine.start(definition, {}, now=NOW)
    assert result.status == "running"
    assert result.service_calls == []  # no connector call is queued for it
    [published] = result.external_opened
    assert published["element_id"] == "lookup"
    assert published["topic"] == "population-lookup"
    assert published["priority"] == 5
    assert published["form_key"] == "external_check_result"
    assert result.opened == []


def test_completing_an_external_task_sets_its_variables_and_runs_on(engine):
    definition = deploy(engine, "engine_external.bpmn")
    started = engine.start(definition, {}, now=NOW)
    task_id = started.external_opened[0]["task_id"]
    done = engine.complete_external_task(definition, started.state, task_id, {"found": True}, now=NOW)
    assert done.variables["found"] is True
    assert [t.element_id for t in done.opened] == ["review"]
    assert done.external_closed == [task_id]
    assert not any(name.startswith("spiff__") for name in done.variables)
    with pytest.raises(TaskNotReady):
        engine.complete_external_task(definition, done.state, task_id, {}, now=NOW)


def test_a_bpmn_error_goes_to_the_boundary_event_catching_its_code(engine):
    definition = deploy(engine, "engine_external.bpmn")
    started = engine.start(definition, {}, now=NOW)
    task_id = started.external_opened[0]["task_id"]
    caught = engine.throw_bpmn_error(
        definition, started.state, task_id, "NOT_FOUND", {"reason": "no record"}, now=NOW
    )
    assert caught.status == "running"
    assert [t.element_id for t in caught.opened] == ["manual_check"]
    assert caught.variables["reason"] == "no record"
    assert caught.external_closed == [task_id]
    assert "not_found" in [e["element_id"] for e in caught.completed_elements]


def test_a_bpmn_error_no_boundary_event_catches_is_refused(engine):
    definition = deploy(engine, "engine_external.bpmn")
    started = engine.start(definition, {}, now=NOW)
    task_id = started.external_opened[0]["task_id"]
    with pytest.raises(EventNotExpected, match="OTHER"):
        engine.throw_bpmn_error(definition, started.state, task_id, "OTHER", {}, now=NOW)


def test_terminating_an_instance_withdraws_its_external_tasks(engine):
    definition = deploy(engine, "engine_external.bpmn")
    started = engine.start(definition, {}, now=NOW)
    ended = engine.terminate(definition, started.state, now=NOW)
    assert ended.external_closed == [started.external_opened[0]["task_id"]]


def test_a_camunda_modeler_external_task_deploys_and_runs(engine):
    parsed = parse_file(bpmn_bytes("camunda/camunda_external.bpmn"), filename="camunda_external.bpmn")
    assert any("external task on topic 'charge-card'" in note.message for note in parsed.report)
    definition = engine.compile(parsed.definitions[0].spec_blob)
    started = engine.start(definition, {}, now=NOW)
    [published] = started.external_opened
    assert (published["topic"], published["priority"]) == ("charge-card", 10)
    refused = engine.complete_external_task(
        definition, started.state, published["task_id"], {"charged": False}, now=NOW
    )
    assert refused.status == "completed"
    assert "EndEvent_refused" in [e["element_id"] for e in refused.completed_elements]


CAMUNDA = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
    '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
    '<bpmn:serviceTask id="work" {attributes}/>'
    '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="work"/></bpmn:process></bpmn:definitions>'
)


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ('camunda:type="external"', "needs a topic"),
        ('camunda:type="external" camunda:topic="has space"', "needs a topic"),
        ('camunda:type="external" camunda:topic="${topic}"', "needs a topic"),
        ('camunda:type="external" camunda:topic="t" camunda:taskPriority="${p}"', "whole number"),
        ('camunda:class="org.example.Delegate"', "operator"),
    ],
)
def test_an_external_task_without_a_usable_topic_is_refused_at_deploy(attributes, message):
    with pytest.raises(BpmnInvalid, match=message) as refused:
        parse_file(CAMUNDA.format(attributes=attributes).encode())
    assert refused.value.element_id in ("work", None)
