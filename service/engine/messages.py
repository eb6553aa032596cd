"""BPMN messages inside one workflow: what it waits for, how a message is caught, how a process
starts on one. Routing a message to the right instance is the service's job (it records each
instance's waiting messages after every step, from `StepResult.waiting_messages`).

A message's payload lands in the catching element's data: in its `messageVariable` when the
element names one (SpiffWorkflow's behaviour), else as variables of their own (as Camunda sets a
correlation's process variables), so a diagram from another modeler receives them too.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessage
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import EventNotExpected

_MESSAGE = "MessageEventDefinition"


def waiting_messages(workflow: BpmnWorkflow, *, hidden: Collection[str] = ()) -> list[str]:
    """The names of the messages a workflow waits for (catch events, receive tasks, boundary
    events, message start events not yet started), sorted, each once; `hidden`: those sent
    between the pools of a collaboration, which no one outside may send."""
    return sorted(
        {
            event.name
            for event in workflow.waiting_events()
            if event.event_type == _MESSAGE and event.name not in hidden
        }
    )


def start_messages(spec: Any) -> list[str]:
    """The names of the message start events of a process (its own, not its subprocesses')."""
    names = set()
    for task_spec in spec.task_specs.values():
        event = getattr(task_spec, "event_definition", None)
        if type(task_spec).__name__ == "StartEvent" and isinstance(event, BaseMessage):
            names.add(event.name)
    return sorted(names)


def require_waiting(workflow: BpmnWorkflow, name: str, *, hidden: Collection[str] = ()) -> None:
    """EventNotExpected unless the workflow waits for the message `name` (not one of `hidden`)."""
    waiting = waiting_messages(workflow, hidden=hidden)
    if name not in waiting:
        raise EventNotExpected(
            f"The instance is not waiting for the message {name!r}"
            + (f"; it waits for: {', '.join(waiting)}." if waiting else ".")
        )


def _catchers(workflow: BpmnWorkflow, name: str) -> list[Any]:
    """The waiting tasks whose message event is `name`, in the workflow and its subprocesses."""
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        event = getattr(task.task_spec, "event_definition", None)
        if isinstance(event, BaseMessage) and event.name == name:
            found.append(task)
    return found


def catch(workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> None:
    """Deliver the message `name` with its payload to the workflow's waiting elements."""
    catchers = _catchers(workflow, name)
    workflow.catch(BpmnEvent(MessageEventDefinition(name), dict(payload)))
    for task in catchers:
        event = task.task_spec.event_definition
        if task.state != TaskState.WAITING and getattr(event, "message_var", None) is None and payload:
            task.set_data(**payload)
