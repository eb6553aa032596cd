"""What a command returns: the new state and the effects the service persists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

RUNNING, COMPLETED, ERROR, TERMINATED = "running", "completed", "error", "terminated"


@dataclass(frozen=True)
class HumanTask:
    """A user or manual task that a person must act on."""

    id: str
    element_id: str
    name: str
    lane: str | None
    candidate_groups: tuple[str, ...]
    form_key: str | None
    due_at: datetime | None
    documentation: str | None
    properties: dict[str, Any] = field(default_factory=dict)  # the element's spiffworkflow:properties
    # The org unit the task is scoped to: its `unit` property, or the value of the variable its
    # `unitVariable` names, read from the task's own data (so a multi-instance child sees its item).
    unit: str | None = None
    # The username the task is assigned to, from an assignee expression (modeler.py) evaluated when
    # it opened; None: none, or the `assigneeVariable` property (read by the service).
    assignee: str | None = None


class CompletedElement(TypedDict):
    """An element the engine completed by itself in a step (for the audit and the dossier)."""

    task_id: str
    element_id: str
    name: str | None
    type: str  # the task spec's class: ScriptTask, EndEvent, IntermediateCatchEvent...
    properties: dict[str, Any]


class InstanceError(TypedDict):
    """Why a step put the instance in error: a readable message, and where, when known."""

    message: str
    element_id: NotRequired[str | None]
    element_name: NotRequired[str | None]
    line: NotRequired[int | None]
    task_id: NotRequired[str]
    budget: NotRequired[str]  # the budget that stopped the step (limits.py), and its setting
    setting: NotRequired[str | None]


class ServiceCall(TypedDict):
    """A ready service task for a worker: what to call, with which parameters, how often to retry."""

    task_id: str
    element_id: str
    operation: str
    params: dict[str, Any]
    retries: int | None  # None: the model does not say (the connector's contract, else a default)
    backoff: float | None  # seconds before the first retry (doubling after each); None: as above


class ExternalTask(TypedDict):
    """A ready external task (a service task with a topic), for external workers to fetch."""

    task_id: str
    element_id: str
    name: str | None
    topic: str
    priority: int
    form_key: str | None  # the form whose fields a completion may set (none: any but protected)


@dataclass
class StepResult:
    """The outcome of one command: new state plus what the service must persist."""

    state: str
    status: str  # RUNNING, COMPLETED, ERROR or TERMINATED
    opened: list[HumanTask] = field(default_factory=list)  # human tasks that became ready
    closed: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)  # every ready human task after the step
    completed_elements: list[CompletedElement] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    error: InstanceError | None = None
    next_timer_at: datetime | None = None
    service_calls: list[ServiceCall] = field(default_factory=list)  # ready service tasks for workers
    # External tasks the step made ready (to publish) and those it ended otherwise (to withdraw):
    # a boundary event, a terminated instance.
    external_opened: list[ExternalTask] = field(default_factory=list)
    external_closed: list[str] = field(default_factory=list)
    elapsed: float = 0.0  # seconds the command took (load to dump)
    # A timer start cycle fired with repetitions left: {"cycles", "next", "duration"}, to give
    # Engine.start(start_cycle=...) for the instance that waits for the next repetition.
    next_start: dict[str, Any] | None = None
    # The names of the messages the instance waits for after the step (catch events, receive
    # tasks, boundary events), sorted: the service records them to route messages by name.
    waiting_messages: list[str] = field(default_factory=list)
