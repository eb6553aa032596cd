"""Commands on workflows: start, complete a human task, deliver a message, fire timers, retry...

Every command is a pure function of (compiled definition, stored state, input, now, the org
units' codes, the working calendar) returning a StepResult: the new state and the effects the
service persists. Nothing here reads a database or a clock: the service passes every value in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState

from . import calendar_helpers, clock, effects, guards, limits, messages, services, walk
from .calendar_helpers import Calendar
from .collaboration import internal_messages
from .errors import EventNotExpected, StateCorrupt, TaskNotReady
from .limits import Budgets
from .pruning import prune
from .results import COMPLETED, ERROR, RUNNING, TERMINATED, HumanTask, StepResult
from .sandbox import RestrictedEnvironment
from .serialization import load_state, restore_specs
from .warm import DEFAULT_SIZE, WarmStates
from .workflows import Workflow


@dataclass(frozen=True)
class CompiledDefinition:
    """A definition version's specs, restored once and shared read-only by every step."""

    spec: Any  # SpiffWorkflow's BpmnProcessSpec (untyped)
    subprocess_specs: dict[str, Any]
    # Whether any task is scoped to an org unit (`unit` / `unitVariable`): the service then passes
    # the known unit codes to every command, so a task never opens scoped to a unit that is not one.
    scoped: bool = False
    # Whether a script or expression names a calendar helper (calendar_helpers.HELPERS): the
    # service then passes its working calendar to every command (and need not build one otherwise).
    uses_calendar: bool = False
    # The messages the definition both throws and catches (between the pools of a collaboration):
    # only its own pools send them, so deliver_message refuses them from outside.
    internal_messages: frozenset[str] = frozenset()
    # How the process reads "ngày" (its declared `dayKind`, kept with the definition; the service
    # sets it on the compiled definition it caches): the calendar helpers' `days_after` counts so.
    day_kind: str | None = None

    @classmethod
    def from_blob(cls, spec_blob: str) -> CompiledDefinition:
        spec, subprocess_specs = restore_specs(spec_blob)
        scoped = any(
            effects.properties(task_spec).get("unit") or effects.properties(task_spec).get("unitVariable")
            for process_spec in (spec, *subprocess_specs.values())
            for task_spec in process_spec.task_specs.values()
        )
        uses_calendar = any(name in spec_blob for name in calendar_helpers.HELPERS)
        internal = internal_messages((spec, *subprocess_specs.values()))
        return cls(spec, subprocess_specs, scoped, uses_calendar, internal)


def _ready_task(workflow: BpmnWorkflow, task_id: str, kind: str, accepts: Callable[[Any], bool]) -> Any:
    """The READY task `task_id` whose spec `accepts`, or TaskNotReady."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, SpiffWorkflowException):
        task = None
    if task is None or task.state != TaskState.READY or not accepts(task.task_spec):
        raise TaskNotReady(f"Task {task_id} is not a ready {kind} task of this instance.")
    return task


class Engine:
    """Runs commands on workflows with the sandboxed script environment."""

    def __init__(
        self,
        *,
        script_time_limit: float | None = None,
        budgets: Budgets | None = None,
        warm_states: int = DEFAULT_SIZE,
    ):
        """budgets: the limits of every step (limits.Budgets; script_time_limit, if given, replaces
        its script_cpu_seconds). Scripts and timer expressions see the calendar helpers
        working_days_from_now(days), add_working_days(start, days) and days_after(day, days),
        which count with the calendar each command is given (`calendar=`; see
        calendar_helpers.py). warm_states: how many workflows a step left behind are kept for the
        next command on their state (warm.py; 0: always restore from the state)."""
        self.warm = WarmStates(warm_states)
        budgets = budgets or Budgets()
        if script_time_limit is not None:
            budgets = replace(budgets, script_cpu_seconds=script_time_limit)
        self.budgets = budgets
        self.script_engine = services.ServiceScriptEngine(
            environment=RestrictedEnvironment(
                calendar_helpers.calendar_functions(budgets),
                time_limit=budgets.script_cpu_seconds,
                max_sequence=budgets.max_sequence,
                max_data_bytes=budgets.max_data_bytes,
                max_data_depth=budgets.max_data_depth,
            )
        )
        self.script_engine.budgets = budgets  # read where no step runs (a task's dueIn)

    def has_timer_start(self, definition: CompiledDefinition) -> bool:
        """Whether the process starts on a timer (the service then keeps an instance waiting on it)."""
        for spec in definition.spec.task_specs.values():
            event = getattr(spec, "event_definition", None)
            if type(spec).__name__ == "StartEvent" and isinstance(event, TimerEventDefinition):
                return True
        return False

    def compile(self, spec_blob: str) -> CompiledDefinition:
        return CompiledDefinition.from_blob(spec_blob)

    def _load(self, definition: CompiledDefinition, state: str, *, warm: bool = True) -> BpmnWorkflow:
        """The workflow of a stored state: the one the last step on it left behind (warm.py) if
        this command may change it (`warm`), else restored from the string."""
        if warm:
            kept = self.warm.take(state, definition.spec)
            if kept is not None:
                return kept
        try:
            workflow = load_state(state, definition.spec, definition.subprocess_specs)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateCorrupt(f"The stored workflow state cannot be restored: {exc}") from None
        workflow.script_engine = self.script_engine
        return workflow

    def _run(
        self,
        definition: CompiledDefinition,
        workflow: BpmnWorkflow,
        action: Callable[[], object],
        now: datetime,
        units: Collection[str] | None,
        calendar: Calendar | None,
    ) -> StepResult:
        began = time.perf_counter()
        ready = walk.ready(workflow)  # one walk of the tree for both
        before_ready = effects.ready_human(workflow, ready)
        before_done = effects.finished_ids(workflow)
        before_external = services.ready_external(workflow, ready)
        status, error, calls = RUNNING, None, []
        # The ready tasks once the step has run: walked once for the service calls and the effects
        # below, unless the step failed (marking a task for retry changes the ready tasks).
        settled: list[Any] | None = None
        with limits.stepping(self.budgets) as step:
            try:
                with clock.running_at(now), calendar_helpers.using(calendar, definition.day_kind):
                    action()
                    services.advance(workflow)
                    settled = walk.ready(workflow)
                    calls = services.pending_calls(workflow, settled)
                step.check_cpu("by the end of the step")
            except Exception as exc:  # any failure inside the model is an instance error, never a crash
                settled = None
                status, error = ERROR, effects.error_of(exc)
                guards.mark_for_retry(workflow, exc)
        ready = settled if settled is not None else walk.ready(workflow)
        after_ready = effects.ready_human(workflow, ready)
        # read before the loop below marks a human task in error: it changes no external task
        after_external = services.ready_external(workflow, ready)
        opened = []
        for tid, task in list(after_ready.items()):
            if tid in before_ready:
                continue
            unit, problem = effects.scope(task, units)
            values: dict[str, Any] = {}
            if problem is None:
                with clock.running_at(now), calendar_helpers.using(calendar, definition.day_kind):
                    values, problem = effects.task_values(task, now)
            if problem is None:
                opened.append(effects.human_task(task, now, unit, values))
                continue
            task._set_state(TaskState.ERROR)  # an incident: retry re-checks it
            del after_ready[tid]
            if status != ERROR:
                spec = task.task_spec
                status = ERROR
                error = {
                    "message": problem,
                    "element_id": spec.bpmn_id,
                    "element_name": spec.bpmn_name,
                    "line": None,
                    "task_id": tid,
                }
        next_start = None
        for wf in (workflow, *workflow.subprocesses.values()):
            for task in wf.tasks.values():
                if clock.NEXT_START in task.internal_data:
                    next_start = task.internal_data.pop(clock.NEXT_START)
        if status != ERROR and workflow.is_completed():
            status = COMPLETED
        completed = effects.completed_elements(workflow, before_done)
        result = StepResult(
            state="",
            status=status,
            opened=opened,
            closed=[tid for tid in before_ready if tid not in after_ready],
            ready=list(after_ready),
            completed_elements=completed,
            variables=effects.variables(workflow),
            error=error,
            next_timer_at=effects.next_timer(workflow),
            service_calls=calls,
            external_opened=[t for tid, t in after_external.items() if tid not in before_external],
            external_closed=[tid for tid in before_external if tid not in after_external],
            next_start=next_start,
            waiting_messages=messages.waiting_messages(workflow, hidden=definition.internal_messages),
        )
        prune(workflow)
        result.state = effects.dump(workflow)
        self.warm.put(result.state, definition.spec, workflow)
        result.elapsed = time.perf_counter() - began
        return result

    def start(
        self,
        definition: CompiledDefinition,
        variables: dict[str, Any],
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
        start_cycle: dict[str, Any] | None = None,
    ) -> StepResult:
        """Create a workflow, seed its data with variables and run it to its first wait.

        `start_cycle`: for a process that starts on a timer cycle, the repetitions left by the
        instance before (StepResult.next_start): this one waits for the next of them.

        Every command that runs the engine takes, besides its input: `now` (the step's clock),
        `units` (the codes of the org units, for a definition with scoped tasks; None checks their
        shape only) and `calendar` (the working calendar of the calendar helpers; calendar_helpers.py).
        """
        workflow = Workflow(definition.spec, definition.subprocess_specs, script_engine=self.script_engine)
        # The root task's children copy its data when they are created.
        workflow.task_tree.data.update(variables or {})
        if start_cycle is not None:
            for task in workflow.get_tasks():
                event = getattr(task.task_spec, "event_definition", None)
                if type(task.task_spec).__name__ == "StartEvent" and isinstance(event, TimerEventDefinition):
                    task._set_internal_data(event_value=dict(start_cycle))
        return self._run(definition, workflow, lambda: None, now, units, calendar)

    def complete_task(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        data: dict[str, Any],
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Complete a READY human task with data and run the engine to its next wait."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "human", lambda spec: bool(spec.manual))

        def run() -> None:
            task.set_data(**(data or {}))
            task.run()

        return self._run(definition, workflow, run, now, units, calendar)

    def complete_service_task(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        result: Any,
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Complete a ready service task with the (JSON-able) result its worker obtained, and run on."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "service", lambda spec: isinstance(spec, ServiceTask))

        def run() -> None:
            with services.results({task_id: result}):
                task.run()

        return self._run(definition, workflow, run, now, units, calendar)

    def complete_external_task(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        variables: dict[str, Any],
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Complete a ready external task with the variables its worker sends (merged into the
        instance's data, as Camunda does; no operator runs) and run on."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "external", services.is_external)

        def run() -> None:
            task.set_data(**(variables or {}))
            task.complete()

        return self._run(definition, workflow, run, now, units, calendar)

    def throw_bpmn_error(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        code: str,
        variables: dict[str, Any] | None,
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """A worker reports a business error on a ready external task: the error boundary event
        attached to that task which catches `code` (or any code) takes it, with the variables as
        its data, and the instance runs on. EventNotExpected when no boundary event catches it."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "external", services.is_external)
        siblings = task.parent.children if task.parent is not None else []
        catchers = []
        for sibling in siblings:
            caught = getattr(sibling.task_spec, "event_definition", None)
            if sibling is task or sibling.state != TaskState.WAITING:
                continue
            if isinstance(caught, ErrorEventDefinition) and caught.code in (None, code):
                catchers.append(sibling)
        if not catchers:
            raise EventNotExpected(
                f"No error boundary event on '{task.task_spec.bpmn_id}' catches the error code {code!r}."
            )
        # The boundary event naming the code wins over one that catches every error.
        catcher = next((t for t in catchers if t.task_spec.event_definition.code == code), catchers[0])
        caught = catcher.task_spec.event_definition
        event = BpmnEvent(type(caught)(caught.name, code=code), dict(variables or {}), target=task.workflow)

        def run() -> None:
            catcher.set_data(**(variables or {}))  # on the path the boundary event takes
            catcher.task_spec.catch(catcher, event)
            catcher.task_spec._update(catcher)

        return self._run(definition, workflow, run, now, units, calendar)

    def deliver_message(
        self,
        definition: CompiledDefinition,
        state: str,
        name: str,
        payload: dict[str, Any] | None,
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Deliver a BPMN message (e.g. a withdrawal) to an instance waiting for it.

        The payload lands in the catching element's data (its messageVariable, else as variables:
        engine/messages.py). Raises EventNotExpected when nothing in the instance is waiting for
        a message of that name.
        """
        if name in definition.internal_messages:
            raise EventNotExpected(
                f"The message {name!r} is sent between the pools of this process; only they send it."
            )
        workflow = self._load(definition, state)
        messages.require_waiting(workflow, name, hidden=definition.internal_messages)

        def catch() -> None:
            messages.catch(workflow, name, payload or {})

        return self._run(definition, workflow, catch, now, units, calendar)

    def start_messages(self, definition: CompiledDefinition) -> list[str]:
        """The names of the messages that start the process (its message start events; not those
        sent between the pools of a collaboration)."""
        return [
            name
            for name in messages.start_messages(definition.spec)
            if name not in definition.internal_messages
        ]

    def start_by_message(
        self,
        definition: CompiledDefinition,
        name: str,
        variables: dict[str, Any],
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Start a workflow on its message start event `name`: its data seeded with variables (as
        start does), the message caught with them as payload, then run to its first wait.

        Raises EventNotExpected when the process has no message start event of that name."""
        if name not in self.start_messages(definition):
            raise EventNotExpected(f"The process does not start on the message {name!r}.")
        workflow = Workflow(definition.spec, definition.subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(variables or {})

        def run() -> None:
            services.advance(workflow)  # the start event now waits for its message
            messages.catch(workflow, name, variables or {})

        return self._run(definition, workflow, run, now, units, calendar)

    def fire_timers(
        self,
        definition: CompiledDefinition,
        state: str,
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Fire every date or duration timer due at `now`, and run the engine on."""
        workflow = self._load(definition, state)

        return self._run(definition, workflow, workflow.refresh_timers, now, units, calendar)

    def rearm_timers(
        self,
        definition: CompiledDefinition,
        state: str,
        data: dict[str, Any],
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Give waiting date and duration timers new data and evaluate their expressions again.

        For a due date that moved (a dossier's clock paused): the apology timer's `apology_at`.
        """
        workflow = self._load(definition, state)

        def rearm() -> None:
            for task in workflow.get_tasks(state=TaskState.WAITING):
                event = getattr(task.task_spec, "event_definition", None)
                if isinstance(event, TimerEventDefinition):
                    task.data.update(data)
                    if task.parent is not None:  # a waiting event merges its parent's data on update
                        task.parent.data.update(data)
                    task.internal_data.pop("event_value", None)
                    task.internal_data.pop("event_fired", None)
            workflow.refresh_timers()

        return self._run(definition, workflow, rearm, now, units, calendar)

    def waiting_messages(self, definition: CompiledDefinition, state: str) -> list[str]:
        """The names of the messages an instance is waiting for."""
        workflow = self._load(definition, state, warm=False)
        return messages.waiting_messages(workflow, hidden=definition.internal_messages)

    def terminate(self, definition: CompiledDefinition, state: str, *, now: datetime) -> StepResult:
        """Cancel every unfinished task; the workflow ends without completing (no script runs)."""
        workflow = self._load(definition, state)
        before_ready = effects.ready_human(workflow)
        before_external = services.ready_external(workflow)
        # The instance keeps the variables it had (read before cancel(), after which the data of
        # the workflow is empty): the service finds a dossier's row by them, to stop it.
        variables = effects.variables(workflow)
        workflow.cancel()
        for task in workflow.get_tasks(state=TaskState.ERROR):  # cancel() leaves failed tasks as they are
            task._set_state(TaskState.CANCELLED)
        prune(workflow)
        return StepResult(
            state=effects.dump(workflow),
            status=TERMINATED,
            closed=list(before_ready),
            external_closed=list(before_external),
            variables=variables,
        )

    def retry(
        self,
        definition: CompiledDefinition,
        state: str,
        *,
        now: datetime,
        units: Collection[str] | None = None,
        calendar: Calendar | None = None,
    ) -> StepResult:
        """Run the failed tasks of an instance in error again.

        A task a budget stopped before it started (limits.MARK: a fan-out, a subprocess, a timer)
        is updated again, so its check runs again; a step stopped after its last task runs on.
        """
        workflow = self._load(definition, state)
        failed = [] if workflow.is_completed() else workflow.get_tasks(state=TaskState.ERROR)
        stopped = workflow.task_tree.internal_data.pop(limits.MARK, None)
        if not failed and stopped is None:
            raise TaskNotReady("The instance has no failed task to retry.")

        def rerun() -> None:
            marked = [task for task in failed if task.internal_data.pop(limits.MARK, None)]
            for task in failed:
                if task not in marked:
                    task._set_state(TaskState.READY)
            for task in marked:
                task._set_state(TaskState.WAITING)
                task.task_spec._update(task)

        return self._run(definition, workflow, rerun, now, units, calendar)

    def ready_tasks(self, definition: CompiledDefinition, state: str, *, now: datetime) -> list[HumanTask]:
        """The human tasks a stored state is waiting on (for rebuilding the projection; no script
        runs, only the expressions of their mapped attributes: modeler.py)."""
        workflow = self._load(definition, state, warm=False)
        tasks = []
        for task in effects.ready_human(workflow).values():
            with clock.running_at(now):
                values, problem = effects.task_values(task, now)
            tasks.append(effects.human_task(task, now, values=values if problem is None else None))
        return tasks
