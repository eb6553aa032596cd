"""What a step did, read from the workflow: the human tasks ready, the variables, the next timer,
the error, the elements the engine completed, and the state to store."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import guards, limits, modeler, walk
from .errors import StateNotStorable
from .limits import BudgetExceeded, Budgets
from .results import CompletedElement, HumanTask, InstanceError
from .serialization import dump_state, spec_registry

_DONE = TaskState.COMPLETED | TaskState.CANCELLED


def properties(task_spec: Any) -> dict[str, Any]:
    """An element's spiffworkflow:properties (empty when it has none)."""
    properties: dict[str, Any] = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    return properties


def _moment(value: Any, now: datetime, what: str, budgets: Budgets) -> datetime:
    """A due or follow-up moment from an expression's value: a datetime, an ISO 8601 date-time
    (UTC when it names no offset) or an ISO 8601 duration counted from now."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is {value!r}, not an ISO 8601 date-time or duration")
    text = value.strip()
    if text.startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(text)
        limits.check_duration(parsed, what, budgets, budget="max_allotment_days")
        delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return now + delta
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_LABELS = {
    modeler.CANDIDATE_GROUPS_EXPRESSION: "candidate groups",
    modeler.ASSIGNEE_EXPRESSION: "assignee",
    modeler.DUE_DATE_EXPRESSION: "due date",
    modeler.FOLLOW_UP_DATE_EXPRESSION: "follow-up date",
    modeler.PRIORITY_EXPRESSION: "priority",
}


def task_values(task: Any, now: datetime) -> tuple[dict[str, Any], str | None]:
    """(the values of a human task's expression properties, a problem or None).

    Expressions mapped from another modeler's attributes (modeler.py) are evaluated when the task
    opens, in the sandbox, with the task's own data: candidate groups (text, comma-separated, or a
    list), assignee (a username), due and follow-up dates (date-times or durations from now) and
    priority. A value that cannot be evaluated or read is a problem: the task does not open.
    """
    props = properties(task.task_spec)
    values: dict[str, Any] = {}
    budgets = getattr(task.workflow.script_engine, "budgets", None) or limits.budgets()
    for name, label in _LABELS.items():
        source = props.get(name)
        if not isinstance(source, str):
            continue
        what = f"the {label} of task '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}'"
        try:
            value = task.workflow.script_engine.evaluate(task, source)
            if name == modeler.CANDIDATE_GROUPS_EXPRESSION:
                items = value.split(",") if isinstance(value, str) else value
                if not isinstance(items, list | tuple) or not all(isinstance(g, str) for g in items):
                    raise ValueError(f"{value!r} is not a group name or a list of them")
                values[name] = tuple(g.strip() for g in items if g.strip())
            elif name == modeler.ASSIGNEE_EXPRESSION:
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"{value!r} is not a username")
                values[name] = (value.strip() or None) if isinstance(value, str) else None
            elif name in (modeler.DUE_DATE_EXPRESSION, modeler.FOLLOW_UP_DATE_EXPRESSION):
                values[name] = None if value is None else _moment(value, now, what, budgets)
            else:
                values[name] = value if isinstance(value, int | float | str) or value is None else str(value)
        except BudgetExceeded as exc:
            return {}, f"{exc.message}; the task was not opened."
        except Exception as exc:
            message = str(exc).split("\n")[0]
            return (
                {},
                f"The expression of {what} could not be evaluated ({message}); the task was not opened.",
            )
    return values, None


def human_task(
    task: Any, now: datetime, unit: str | None = None, values: dict[str, Any] | None = None
) -> HumanTask:
    """A ready human task as the service sees it (due from its `dueIn` property, counted from now,
    unless `values`, its evaluated expression properties (task_values), say otherwise)."""
    spec = task.task_spec
    props = properties(spec)
    values = values or {}
    groups = props.get("candidateGroups")
    if modeler.CANDIDATE_GROUPS_EXPRESSION in values:
        candidate_groups = values[modeler.CANDIDATE_GROUPS_EXPRESSION]
    elif groups:
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
    if values.get(modeler.DUE_DATE_EXPRESSION) is not None:
        due_at = values[modeler.DUE_DATE_EXPRESSION]
    shown = {k: v for k, v in props.items() if not k.startswith(modeler.EXPRESSION_PROPERTIES)}
    if values.get(modeler.FOLLOW_UP_DATE_EXPRESSION) is not None:
        shown["followUpDate"] = values[modeler.FOLLOW_UP_DATE_EXPRESSION].isoformat()
    if values.get(modeler.PRIORITY_EXPRESSION) is not None:
        shown["priority"] = values[modeler.PRIORITY_EXPRESSION]
    return HumanTask(
        id=str(task.id),
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane,
        candidate_groups=candidate_groups,
        form_key=props.get("formKey") or props.get("formJsonSchemaFilename"),
        due_at=due_at,
        documentation=getattr(spec, "documentation", None),
        properties=shown,
        unit=unit,
        assignee=values.get(modeler.ASSIGNEE_EXPRESSION),
    )


_MISSING = object()


def scope(task: Any, units: Collection[str] | None) -> tuple[str | None, str | None]:
    """(the org unit a human task opens scoped to, or None; a problem, or None).

    A task with a `unit` property, or a `unitVariable` property naming a variable of its own data
    (so a multi-instance child sees its item), is open only to that unit's officers. Anything
    but the code of a known unit (given in `units`; None checks the shape only) is a problem:
    the task must not open to everyone instead.
    """
    props = properties(task.task_spec)
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


def ready_human(workflow: BpmnWorkflow, ready: list[Any] | None = None) -> dict[str, Any]:
    """The ready human tasks by id (of `ready`, the workflow's ready tasks, when the caller has them)."""
    if ready is None:
        ready = walk.ready(workflow)
    return {str(t.id): t for t in ready if t.task_spec.manual}


def finished_ids(workflow: BpmnWorkflow) -> set[UUID]:
    """The ids of the completed and cancelled tasks, in the workflow and its subprocesses."""
    ids: set[UUID] = set()
    for wf in (workflow, *workflow.subprocesses.values()):
        ids.update(tid for tid, t in wf.tasks.items() if t.state & _DONE)
    return ids


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Task data as the JSON the service stores (StateNotStorable when nested too deeply)."""
    try:
        cleaned = spec_registry().clean(dict(data))
        jsonable: dict[str, Any] = json.loads(json.dumps(cleaned, default=str))
        return jsonable
    except RecursionError:
        message = "The process data is nested too deeply to be stored; nothing was applied."
        raise StateNotStorable(message) from None


def variables(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's variables: the data of the most recently completed task, in any subprocess."""
    if workflow.is_completed():
        return jsonable(workflow.data)
    latest = None
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.state == TaskState.COMPLETED and (
                latest is None or task.last_state_change > latest.last_state_change
            ):
                latest = task
    return jsonable(latest.data) if latest is not None else {}


_TIMER_EVENTS = frozenset(
    {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}
)


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """When the earliest waiting date or duration timer is due (None: no timer waits)."""
    due: list[datetime] = []
    for event in workflow.waiting_events():
        if event.event_type in _TIMER_EVENTS and isinstance(event.value, str):
            try:
                moment = datetime.fromisoformat(event.value)
            except ValueError:
                continue
            due.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return min(due) if due else None


def error_of(exc: Exception) -> InstanceError:
    """The instance error of an exception a step raised: its message, and the element, line and
    budget when known."""
    error: InstanceError
    if isinstance(exc, BudgetExceeded):
        error = {"message": exc.message}
        if exc.task is not None:
            spec = exc.task.task_spec
            error["element_id"] = getattr(spec, "bpmn_id", None)
            error["element_name"] = getattr(spec, "bpmn_name", None)
            error["task_id"] = str(exc.task.id)
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


def dump(workflow: BpmnWorkflow) -> str:
    """The state to store (serialization.dump_state), or StateNotStorable naming the problem."""
    try:
        return dump_state(workflow)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StateNotStorable(
            f"The process data cannot be stored ({exc}); nothing was applied. "
            "Task data must be JSON-like: text, numbers, booleans, lists and objects (dates as text)."
        ) from None


def completed_elements(workflow: BpmnWorkflow, before_done: set[UUID]) -> list[CompletedElement]:
    """The elements the engine completed by itself since `before_done` (human tasks are audited by
    the service, with who completed them)."""
    completed: list[CompletedElement] = []
    for wf in (workflow, *workflow.subprocesses.values()):
        for tid, task in wf.tasks.items():
            if tid not in before_done and task.state == TaskState.COMPLETED:
                bpmn_id = getattr(task.task_spec, "bpmn_id", None)
                if bpmn_id and not task.task_spec.manual:
                    completed.append(
                        {
                            "task_id": str(tid),
                            "element_id": bpmn_id,
                            "name": task.task_spec.bpmn_name,
                            "type": type(task.task_spec).__name__,
                            "properties": dict(properties(task.task_spec)),
                        }
                    )
    return completed
