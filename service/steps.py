"""What happens after an engine step, in one visible order: the step pipeline.

Every command that runs the engine (start an instance, complete a task, deliver a message, fire
timers, hand a service task its result, retry, terminate) then calls `persist(...)`, in the same
transaction. `persist` hands one `Step` to each stage of the app's pipeline, in order; the stages
are listed once, in service/stages.py (installed by create_app), so a reader sees all of them:
adding a stage is one line there.

A stage is a plain function `stage(step) -> None` that reads the step and adds to it (task rows,
audit facts, follow-ups) or writes its own rows. No stage runs an engine command: a stage that
needs one (the dossier's apology timer, when its due moment moved) asks for a `FollowUp`, which
`persist` runs after the stages and persists like any other step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from . import runtime
from .audit.operations import fact
from .engine import StepResult

_EXTENSION = "motcua.steps"
MAX_FOLLOW_UPS = 3  # follow-ups of follow-ups, at most: a step never loops on itself


@dataclass(frozen=True)
class FollowUp:
    """An engine command a stage asks for after the step (only `rearm_timers` today: give the
    waiting timers new data, e.g. a dossier's moved apology moment)."""

    command: str
    data: dict
    reason: str


@dataclass
class Step:
    """One engine step on its way to the database, and what the stages make of it."""

    instance: Any  # instances.models.ProcessInstance
    result: StepResult
    actor: Any  # identity.operations.Principal, or None for the service itself
    now: datetime
    completed_task: Any = None  # tasks.models.Task: the human task this step completed
    audit: list[dict] = field(default_factory=list)  # facts written by the audit stage
    rows: list[dict] = field(default_factory=list)  # the opened tasks' rows, inserted by a stage
    candidates: list[dict] = field(default_factory=list)  # their candidate groups
    assignees: dict = field(default_factory=dict)  # task id -> the User an opened task went to
    dossier: Any = None  # dossiers.models.Dossier, when the instance drives one
    events: list = field(default_factory=list)  # outbox.operations.Event: written in one INSERT
    follow_ups: list[FollowUp] = field(default_factory=list)
    # (table, rows) the stages insert and other writes whose results nobody reads (DELETEs), sent
    # together by the `inserts.write` stage (service/inserts.py)
    inserts: list[tuple[Any, list[dict]]] = field(default_factory=list)
    writes: list = field(default_factory=list)

    def write(self, statement) -> None:
        """Have `statement` (a DELETE or UPDATE whose result is not read, on rows no other write of
        the step touches) executed with the step's other writes (inserts.write)."""
        self.writes.append(statement)

    def insert(self, table, rows: list[dict]) -> None:
        """Have `rows` inserted into `table` with the step's other rows (after the stages that
        gather them: inserts.write), in one statement where the database allows it."""
        if not rows:
            return
        for gathered_table, gathered in self.inserts:
            if gathered_table is table and gathered[0].keys() == rows[0].keys():
                gathered.extend(rows)
                return
        self.inserts.append((table, list(rows)))


@dataclass(frozen=True)
class Pipeline:
    """The stages, in order, what the service adds to the data of every task completion, and
    what it checks of a completion (beyond the form) before the engine runs it.

    `completion_reads`: rows the stages and the completion inputs will need, read with the task
    about to be completed and its instance, in the same query (tasks.queries.get_with_instance):
    each gives (an entity, its join condition on the instance, its loader options); the rows found
    are kept for the unit of work, so reading them again by primary key costs no query."""

    stages: tuple[Callable[[Step], None], ...]
    completion_inputs: tuple[Callable[[Any, Any], dict], ...] = ()
    completion_checks: tuple[Callable[[Any, Any, dict], None], ...] = ()
    completion_reads: tuple[Callable[[], tuple[Any, Any, tuple]], ...] = ()


def init_app(app: Flask, pipeline: Pipeline) -> None:
    app.extensions[_EXTENSION] = pipeline


def _pipeline() -> Pipeline:
    return current_app.extensions[_EXTENSION]


def persist(
    instance,
    result: StepResult,
    *,
    actor,
    now: datetime,
    audit: list[dict] | None = None,
    events: list | None = None,
    writes: list | None = None,
    completed_task=None,
    depth: int = 0,
) -> Step:
    """Persist one engine step through every stage, in the open transaction; returns the step
    (its `rows` are the tasks it opened). `audit` and `events` (outbox.operations.Event) are what
    the command itself has to say, written with the stages' own; `writes` its own statements to
    run with the step's writes (Step.write)."""
    step = Step(instance, result, actor, now, completed_task, list(audit or ()), events=list(events or ()))
    step.writes.extend(writes or ())
    for stage in _pipeline().stages:
        stage(step)
    for follow_up in step.follow_ups:
        _run(follow_up, instance, now, depth)
    return step


def completion_inputs(task, instance) -> dict:
    """The variables the service adds to a task's completion (after the caller's, which may not
    name them): e.g. a dossier's due and apology moments, for the model's timer."""
    provided: dict = {}
    for provide in _pipeline().completion_inputs:
        provided.update(provide(task, instance))
    return provided


def check_completion(task, instance, variables: dict) -> None:
    """Run the completion checks (each raises a ServiceError to refuse the completion, before
    anything is changed): e.g. a dossier's one re-appointment."""
    for check in _pipeline().completion_checks:
        check(task, instance, variables)


def completion_reads() -> tuple[Callable[[], tuple[Any, Any, tuple]], ...]:
    """The reads of the rows read with a task to complete: each gives (entity, join condition on
    the instance, loader options). The same tuple for every call (queries keep their statement per
    tuple)."""
    return _pipeline().completion_reads


def _run(follow_up: FollowUp, instance, now: datetime, depth: int) -> None:
    if depth >= MAX_FOLLOW_UPS:
        raise RuntimeError(f"step follow-ups nested deeper than {MAX_FOLLOW_UPS}: {follow_up.reason}")
    if follow_up.command != "rearm_timers":
        raise ValueError(f"unknown step follow-up {follow_up.command!r}")
    inputs = runtime.inputs(instance.definition_id)
    result = runtime.engine().rearm_timers(
        inputs.definition,
        instance.engine_state,
        follow_up.data,
        now=now,
        units=inputs.units,
        calendar=inputs.calendar,
    )
    audit = [fact("timers_rearmed", at=now, instance_id=instance.id, data={"reason": follow_up.reason})]
    persist(instance, result, actor=None, now=now, audit=audit, depth=depth + 1)
