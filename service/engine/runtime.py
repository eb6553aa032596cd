"""Commands on workflows: start, complete a human task, terminate.

Every command is a pure function of (compiled definition, stored state, input, now)
returning a StepResult: the new state and the effects the service persists.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import clock, guards, limits, services
from .calendar_helpers import calendar_functions
from .errors import EventNotExpected, StateCorrupt, StateNotStorable, TaskNotReady
from .limits import BudgetExceeded, Budgets
from .pruning import prune
from .sandbox import RestrictedEnvironment
from .serialization import dump_state, load_state, restore_specs, spec_registry

RUNNING, COMPLETED, ERROR = "running", "completed", "error"
_DONE = TaskState.COMPLETED | TaskState.CANCELLED


@dataclass(frozen=True)
class CompiledDefinition:
    """A definition version's specs, restored once and shared read-only by every step."""

    spec: object
    subprocess_specs: dict
    # Whether any task is scoped to an org unit (`unit` / `unitVariable`): the service then passes
    # the known unit codes to every command, so a task never opens scoped to a unit that is not one.
    scoped: bool = False

    @classmethod
    def from_blob(cls, spec_blob: str) -> CompiledDefinition:
        spec, subprocess_specs = restore_specs(spec_blob)
        scoped = any(
            _properties(task_spec).get("unit") or _properties(task_spec).get("unitVariable")
            for process_spec in (spec, *subprocess_specs.values())
            for task_spec in process_spec.task_specs.values()
        )
        return cls(spec, subprocess_specs, scoped)


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
    properties: dict = field(default_factory=dict)  # the element's spiffworkflow:properties
    # The org unit the task is scoped to: its `unit` property, or the value of the variable its
    # `unitVariable` names, read from the task's own data (so a multi-instance child sees its item).
    unit: str | None = None


@dataclass
class StepResult:
    """The outcome of one command: new state plus what the service must persist."""

    state: str
    status: str
    opened: list[HumanTask] = field(default_factory=list)  # human tasks that became ready
    closed: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)  # every ready human task after the step
    completed_elements: list[dict] = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    error: dict | None = None
    next_timer_at: datetime | None = None
    service_calls: list[dict] = field(default_factory=list)  # ready service tasks to run on workers
    elapsed: float = 0.0  # seconds the command took (load to dump)


def _properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties") or {}


def _human_task(task, now: datetime, unit: str | None = None) -> HumanTask:
    spec = task.task_spec
    props = _properties(spec)
    groups = props.get("candidateGroups")
    if groups:
        candidate_groups = tuple(g.strip() for g in groups.split(",") if g.strip())
    else:
        candidate_groups = (spec.lane,) if spec.lane else ()
    due_at = None
    if props.get("dueIn"):
        try:
            parsed = TimerEventDefinition.parse_iso_duration(props["dueIn"])
            # Bounded BEFORE the timedelta: SpiffWorkflow walks every month of a duration.
            budgets = getattr(task.workflow.script_engine, "budgets", None) or limits.budgets()
            limits.check_duration(parsed, "dueIn", budgets, budget="max_allotment_days")
            due_at = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        except Exception:
            due_at = None
    return HumanTask(
        id=str(task.id),
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane,
        candidate_groups=candidate_groups,
        form_key=props.get("formKey") or props.get("formJsonSchemaFilename"),
        due_at=due_at,
        documentation=getattr(spec, "documentation", None),
        properties=dict(props),
        unit=unit,
    )


_MISSING = object()


def _scope(task, units: Collection[str] | None) -> tuple[str | None, str | None]:
    """(the org unit a human task opens scoped to, or None; a problem, or None).

    A task with a `unit` property, or a `unitVariable` property naming a variable of its own data
    (so a multi-instance child sees its item), is open only to that unit's officers. Anything
    but the code of a known unit (given in `units`; None checks the shape only) is a problem:
    the task must not open to everyone instead.
    """
    props = _properties(task.task_spec)
    if props.get("unit"):
        value, source = props["unit"], "its unit property"
    elif props.get("unitVariable"):
        name = props["unitVariable"]
        value, source = task.data.get(name, _MISSING), f"the variable '{name}' (unitVariable)"
    else:
        return None, None
    code = value.strip() if isinstance(value, str) else None
    if code and len(code) <= 64 and (units is None or code in units):
        return code, None
    shown = "missing" if value is _MISSING else repr(value)[:80]
    name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    return None, (
        f"Task '{name}' is scoped to an org unit by {source}, whose value ({shown}) is not the code "
        "of an org unit; the task was not opened. Correct the data or create the unit, then retry."
    )


def _ready_human(workflow: BpmnWorkflow) -> dict:
    return {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def _finished_ids(workflow: BpmnWorkflow) -> set:
    ids = set()
    for wf in (workflow, *workflow.subprocesses.values()):
        ids.update(tid for tid, t in wf.tasks.items() if t.state & _DONE)
    return ids


def _jsonable(data: dict) -> dict:
    try:
        cleaned = spec_registry().clean(dict(data))
        return json.loads(json.dumps(cleaned, default=str))
    except RecursionError:
        message = "The process data is nested too deeply to be stored; nothing was applied."
        raise StateNotStorable(message) from None


def _variables(workflow: BpmnWorkflow) -> dict:
    """The instance's variables: the data of the most recently completed task, in any subprocess."""
    if workflow.is_completed():
        return _jsonable(workflow.data)
    latest = None
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.state == TaskState.COMPLETED and (
                latest is None or task.last_state_change > latest.last_state_change
            ):
                latest = task
    return _jsonable(latest.data) if latest is not None else {}


_TIMER_EVENTS = frozenset(
    {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}
)


def _next_timer(workflow: BpmnWorkflow) -> datetime | None:
    due = []
    for event in workflow.waiting_events():
        if event.event_type in _TIMER_EVENTS and isinstance(event.value, str):
            try:
                moment = datetime.fromisoformat(event.value)
            except ValueError:
                continue
            due.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return min(due) if due else None


def _error_of(exc: Exception) -> dict:
    if isinstance(exc, BudgetExceeded):
        error = {"message": exc.message}
        if exc.task is not None:
            spec = exc.task.task_spec
            error.update(
                element_id=getattr(spec, "bpmn_id", None),
                element_name=getattr(spec, "bpmn_name", None),
                task_id=str(exc.task.id),
            )
        return guards.with_budget(error, exc)
    if isinstance(exc, WorkflowTaskException) and exc.task is not None:
        spec = exc.task.task_spec
        notes = " ".join(getattr(exc, "__notes__", []) or [])
        message = str(exc).split("\n")[0]
        cause = exc.__cause__ or exc.__context__
        if cause is not None and str(cause) and str(cause) not in message:
            message = f"{message.rstrip('.')}: {cause}"
        error = {
            "message": f"{message} {notes}".strip(),
            "element_id": getattr(spec, "bpmn_id", None),
            "element_name": getattr(spec, "bpmn_name", None),
            "line": exc.line_number or None,
            "task_id": str(exc.task.id),
        }
        return guards.with_budget(error, exc)
    return guards.with_budget({"message": f"{exc.__class__.__name__}: {exc}".split("\n")[0]}, exc)


def _dump(workflow: BpmnWorkflow) -> str:
    try:
        return dump_state(workflow)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StateNotStorable(
            f"The process data cannot be stored ({exc}); nothing was applied. "
            "Task data must be JSON-like: text, numbers, booleans, lists and objects (dates as text)."
        ) from None


def _ready_task(workflow: BpmnWorkflow, task_id: str, kind: str, accepts):
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
        self, *, script_time_limit: float | None = None, calendar=None, budgets: Budgets | None = None
    ):
        """calendar: a callable returning an object with add_working_days(start, days) (the
        business calendar), offered to scripts and timer expressions as working_days_from_now(days)
        and add_working_days(start, days). budgets: the limits of every step (limits.Budgets;
        script_time_limit, if given, replaces its script_cpu_seconds)."""
        budgets = budgets or Budgets()
        if script_time_limit is not None:
            budgets = replace(budgets, script_cpu_seconds=script_time_limit)
        self.budgets = budgets
        globals_ = calendar_functions(calendar, budgets) if calendar is not None else None
        self.script_engine = services.ServiceScriptEngine(
            environment=RestrictedEnvironment(
                globals_,
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

    def _load(self, definition: CompiledDefinition, state: str) -> BpmnWorkflow:
        try:
            workflow = load_state(state, definition.spec, definition.subprocess_specs)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateCorrupt(f"The stored workflow state cannot be restored: {exc}") from None
        workflow.script_engine = self.script_engine
        return workflow

    def _run(self, workflow, action, now: datetime, units: Collection[str] | None = None) -> StepResult:
        began = time.perf_counter()
        before_ready = _ready_human(workflow)
        before_done = _finished_ids(workflow)
        status, error, calls = RUNNING, None, []
        with limits.stepping(self.budgets) as step:
            try:
                with clock.running_at(now):
                    action()
                    services.advance(workflow)
                    calls = services.pending_calls(workflow)
                step.check_cpu("by the end of the step")
            except Exception as exc:  # any failure inside the model is an instance error, never a crash
                status, error = ERROR, _error_of(exc)
                guards.mark_for_retry(workflow, exc)
        after_ready = _ready_human(workflow)
        opened = []
        for tid, task in list(after_ready.items()):
            if tid in before_ready:
                continue
            unit, problem = _scope(task, units)
            if problem is None:
                opened.append(_human_task(task, now, unit))
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
        if status != ERROR and workflow.is_completed():
            status = COMPLETED
        completed = []
        for wf in (workflow, *workflow.subprocesses.values()):
            for tid, task in wf.tasks.items():
                if tid not in before_done and task.state == TaskState.COMPLETED:
                    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
                    # Human tasks are audited by the service, with who completed them.
                    if bpmn_id and not task.task_spec.manual:
                        completed.append(
                            {
                                "task_id": str(tid),
                                "element_id": bpmn_id,
                                "name": task.task_spec.bpmn_name,
                                "type": type(task.task_spec).__name__,
                                "properties": dict(_properties(task.task_spec)),
                            }
                        )
        result = StepResult(
            state="",
            status=status,
            opened=opened,
            closed=[tid for tid in before_ready if tid not in after_ready],
            ready=list(after_ready),
            completed_elements=completed,
            variables=_variables(workflow),
            error=error,
            next_timer_at=_next_timer(workflow),
            service_calls=calls,
        )
        prune(workflow)
        result.state = _dump(workflow)
        result.elapsed = time.perf_counter() - began
        return result

    def start(
        self, definition: CompiledDefinition, variables: dict, *, now: datetime, units=None
    ) -> StepResult:
        """Create a workflow, seed its data with variables and run it to its first wait."""
        workflow = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=self.script_engine
        )
        # The root task's children copy its data when they are created.
        workflow.task_tree.data.update(variables or {})
        return self._run(workflow, lambda: None, now, units)

    def complete_task(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        data: dict,
        *,
        now: datetime,
        units=None,
    ) -> StepResult:
        """Complete a READY human task with data and run the engine to its next wait."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "human", lambda spec: spec.manual)

        def run():
            task.set_data(**(data or {}))
            task.run()

        return self._run(workflow, run, now, units)

    def complete_service_task(
        self,
        definition: CompiledDefinition,
        state: str,
        task_id: str,
        result: dict,
        *,
        now: datetime,
        units=None,
    ) -> StepResult:
        """Complete a ready service task with the result its worker obtained, and run on."""
        workflow = self._load(definition, state)
        task = _ready_task(workflow, task_id, "service", lambda spec: isinstance(spec, services.ServiceTask))

        def run():
            with services.results({task_id: result}):
                task.run()

        return self._run(workflow, run, now, units)

    def deliver_message(
        self,
        definition: CompiledDefinition,
        state: str,
        name: str,
        payload: dict | None,
        *,
        now: datetime,
        units=None,
    ) -> StepResult:
        """Deliver a BPMN message (e.g. a withdrawal) to an instance waiting for it.

        The payload lands in the catching event's data. Raises EventNotExpected when nothing
        in the instance is waiting for a message of that name.
        """
        workflow = self._load(definition, state)
        waiting = {
            event.name for event in workflow.waiting_events() if event.event_type == "MessageEventDefinition"
        }
        if name not in waiting:
            raise EventNotExpected(
                f"The instance is not waiting for the message {name!r}"
                + (f"; it waits for: {', '.join(sorted(waiting))}." if waiting else ".")
            )
        event = BpmnEvent(MessageEventDefinition(name), payload or {})
        return self._run(workflow, lambda: workflow.catch(event), now, units)

    def fire_timers(
        self, definition: CompiledDefinition, state: str, *, now: datetime, units=None
    ) -> StepResult:
        """Fire every date or duration timer due at `now`, and run the engine on."""
        workflow = self._load(definition, state)

        return self._run(workflow, workflow.refresh_timers, now, units)

    def rearm_timers(
        self, definition: CompiledDefinition, state: str, data: dict, *, now: datetime, units=None
    ) -> StepResult:
        """Give waiting date and duration timers new data and evaluate their expressions again.

        For a due date that moved (a dossier's clock paused): the apology timer's `apology_at`.
        """
        workflow = self._load(definition, state)

        def rearm():
            for task in workflow.get_tasks(state=TaskState.WAITING):
                event = getattr(task.task_spec, "event_definition", None)
                if isinstance(event, TimerEventDefinition):
                    task.data.update(data)
                    if task.parent is not None:  # a waiting event merges its parent's data on update
                        task.parent.data.update(data)
                    task.internal_data.pop("event_value", None)
                    task.internal_data.pop("event_fired", None)
            workflow.refresh_timers()

        return self._run(workflow, rearm, now, units)

    def waiting_messages(self, definition: CompiledDefinition, state: str) -> list[str]:
        """The names of the messages an instance is waiting for."""
        workflow = self._load(definition, state)
        events = workflow.waiting_events()
        return sorted({event.name for event in events if event.event_type == "MessageEventDefinition"})

    def terminate(self, definition: CompiledDefinition, state: str, *, now: datetime) -> StepResult:
        """Cancel every unfinished task; the workflow ends without completing."""
        workflow = self._load(definition, state)
        before_ready = _ready_human(workflow)
        workflow.cancel()
        for task in workflow.get_tasks(state=TaskState.ERROR):  # cancel() leaves failed tasks as they are
            task._set_state(TaskState.CANCELLED)
        prune(workflow)
        return StepResult(
            state=_dump(workflow),
            status="terminated",
            closed=list(before_ready),
            variables=_variables(workflow),
        )

    def retry(self, definition: CompiledDefinition, state: str, *, now: datetime, units=None) -> StepResult:
        """Run the failed tasks of an instance in error again.

        A task a budget stopped before it started (limits.MARK: a fan-out, a subprocess, a timer)
        is updated again, so its check runs again; a step stopped after its last task runs on.
        """
        workflow = self._load(definition, state)
        failed = [] if workflow.is_completed() else workflow.get_tasks(state=TaskState.ERROR)
        stopped = workflow.task_tree.internal_data.pop(limits.MARK, None)
        if not failed and stopped is None:
            raise TaskNotReady("The instance has no failed task to retry.")

        def rerun():
            marked = [task for task in failed if task.internal_data.pop(limits.MARK, None)]
            for task in failed:
                if task not in marked:
                    task._set_state(TaskState.READY)
            for task in marked:
                task._set_state(TaskState.WAITING)
                task.task_spec._update(task)

        return self._run(workflow, rerun, now, units)

    def ready_tasks(self, definition: CompiledDefinition, state: str, *, now: datetime) -> list[HumanTask]:
        """The human tasks a stored state is waiting on (for rebuilding the projection)."""
        workflow = self._load(definition, state)
        return [_human_task(t, now) for t in _ready_human(workflow).values()]
