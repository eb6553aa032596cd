"""Small BPMN models for the budget attacks of issue 9 (findings 3, 4 and 7), as a designer would
deploy them: each is one executable process, its literal values given by the test."""

from __future__ import annotations

from itertools import pairwise
from xml.sax.saxutils import escape

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="definitions_{key}" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="{key}" isExecutable="true">
"""
_TAIL = """  </bpmn:process>
</bpmn:definitions>
"""


_START = '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'


def _process(key: str, body: str, start_form: str | None = None) -> str:
    """The process `key`; start_form: the start event's formKey (the start variables it takes)."""
    if start_form is not None:
        start = (
            f'<bpmn:startEvent id="start">{_properties(formKey=start_form)}<bpmn:outgoing>f0</bpmn:outgoing>'
        )
        body = body.replace(_START, start + "</bpmn:startEvent>")
    return _HEAD.format(key=key) + body + _TAIL


def _chain(*elements: str) -> str:
    """A start event, then the given element ids in order (their XML is given separately), then an end."""
    ids = ["start", *elements, "end"]
    return "".join(
        f'    <bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}" />\n'
        for n, (a, b) in enumerate(pairwise(ids))
    )


def _flows(n: int) -> str:
    return f"<bpmn:incoming>f{n - 1}</bpmn:incoming><bpmn:outgoing>f{n}</bpmn:outgoing>"


def _properties(**properties) -> str:
    if not properties:
        return ""
    inner = "".join(
        f'<spiffworkflow:property name="{name}" value="{escape(str(value), {chr(34): "&quot;"})}" />'
        for name, value in properties.items()
    )
    properties = f"<spiffworkflow:properties>{inner}</spiffworkflow:properties>"
    return f"<bpmn:extensionElements>{properties}</bpmn:extensionElements>"


def fan_out(
    key: str = "fan_out",
    *,
    cardinality: str | None = None,
    collection: str | None = None,
    start_form: str | None = None,
    **props,
) -> str:
    """A parallel multi-instance user task `opinion`, over `loopCardinality` or an input collection."""
    if collection is not None:
        loop = (
            f"<bpmn:loopDataInputRef>{collection}</bpmn:loopDataInputRef>"
            '<bpmn:inputDataItem id="item" name="item" />'
        )
    else:
        loop = f"<bpmn:loopCardinality>{escape(cardinality or '3')}</bpmn:loopCardinality>"
    body = (
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:userTask id="opinion" name="Give an opinion">{_properties(**props)}{_flows(1)}'
        f"<bpmn:multiInstanceLoopCharacteristics>{loop}</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n"
        '    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _process(key, body + _chain("opinion"), start_form)


def user_task(key: str = "user_task", **props) -> str:
    """One user task `handle` with the given spiffworkflow properties (allotment, dueIn...)."""
    body = (
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:userTask id="handle" name="Handle">{_properties(**props)}{_flows(1)}</bpmn:userTask>\n'
        '    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _process(key, body + _chain("handle"))


def timer(kind: str, expression: str, key: str = "timer", start_form: str | None = None) -> str:
    """A timer (`timeDuration`, `timeDate` or `timeCycle`) with the given expression.

    Duration and date: an intermediate timer `pause`, then a user task `after`. Cycle: a user task
    `handle` with a non-interrupting boundary timer `every` that runs a script `remind`.
    """
    value = f"<bpmn:{kind}>{escape(expression)}</bpmn:{kind}>"
    definition = f'<bpmn:timerEventDefinition id="timer_definition">{value}</bpmn:timerEventDefinition>'
    if kind != "timeCycle":
        body = (
            '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
            f'    <bpmn:intermediateCatchEvent id="pause">{_flows(1)}{definition}'
            "</bpmn:intermediateCatchEvent>\n"
            f'    <bpmn:userTask id="after" name="After">{_flows(2)}</bpmn:userTask>\n'
            '    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        )
        return _process(key, body + _chain("pause", "after"), start_form)
    body = (
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:userTask id="handle" name="Handle">{_flows(1)}</bpmn:userTask>\n'
        '    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>\n'
        f'    <bpmn:boundaryEvent id="every" attachedToRef="handle" cancelActivity="false">'
        f"<bpmn:outgoing>r1</bpmn:outgoing>{definition}</bpmn:boundaryEvent>\n"
        '    <bpmn:scriptTask id="remind"><bpmn:incoming>r1</bpmn:incoming><bpmn:outgoing>r2</bpmn:outgoing>'
        "<bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:endEvent id="reminded"><bpmn:incoming>r2</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="r1" sourceRef="every" targetRef="remind" />\n'
        '    <bpmn:sequenceFlow id="r2" sourceRef="remind" targetRef="reminded" />\n'
    )
    return _process(key, body + _chain("handle"), start_form)


def script(source: str, key: str = "script") -> str:
    """A script task `compute` running `source`, then a user task `after`."""
    body = (
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:scriptTask id="compute" name="Compute">{_flows(1)}'
        f"<bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>\n"
        f'    <bpmn:userTask id="after" name="After">{_flows(2)}</bpmn:userTask>\n'
        '    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _process(key, body + _chain("compute", "after"))


def automatic_loop(source: str, key: str = "automatic_loop") -> str:
    """A script task `work` running `source` that a gateway sends back to itself until `done` is true,
    then a user task `after`: a loop the engine runs within one step."""
    body = f"""    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="work" name="Work">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>again</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="more" default="again"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>finish</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="after" name="After">
      <bpmn:incoming>finish</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="more" />
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="work" />
    <bpmn:sequenceFlow id="finish" sourceRef="more" targetRef="after">
      <bpmn:conditionExpression>done</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f2" sourceRef="after" targetRef="end" />
"""
    return _process(key, body)


def self_call(key: str = "recursive") -> str:
    """A call activity `again` that calls its own process."""
    body = (
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        f'    <bpmn:callActivity id="again" calledElement="{key}">{_flows(1)}</bpmn:callActivity>\n'
        '    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _process(key, body + _chain("again"))
