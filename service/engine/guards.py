"""Budgets inside SpiffWorkflow: fan-out, subprocess depth and the tasks a step creates.

SpiffWorkflow creates a multi-instance element's children, and a call activity's subprocess, in
one call deep inside a task update, before the engine adapter can look. So three of its methods
are wrapped here, once, at import. With clock.py (timers), this is the only module that patches
SpiffWorkflow; each wrapper does nothing outside an engine step (limits.stepping).

- `MultiInstanceTask.create_child`: before the FIRST child of a multi-instance element is
  created, its cardinality or input collection is checked against the element's limit (its
  `maxInstances` property, else the max_instances budget; never more than the ceiling) and
  against what is left of the step's task budget. Too many: nothing is created.
- `SubWorkflowTask.start_workflow`: a subprocess or called process deeper than max_call_depth is
  not started (a call activity calling its own process stops there).
- `Task._add_child`: counts the tasks the step creates (checked before each task the engine
  runs, by `before_task`, and before each fan-out).

A refusal puts the task in ERROR, marked with the budget (limits.MARK), and raises
BudgetExceeded: the instance goes to error, and retry (runtime.Engine.retry) updates the task
again, so the check runs again rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import limits
from .errors import ScriptError
from .limits import BudgetExceeded
from .results import InstanceError

MAX_INSTANCES_PROPERTY = "maxInstances"


def refuse(task: Any, exc: BudgetExceeded) -> BudgetExceeded:
    """Put `task` in ERROR, marked with the budget that stopped it; returns exc (to raise)."""
    exc.task = task
    task.internal_data[limits.MARK] = exc.budget
    task._set_state(TaskState.ERROR)
    return exc


def before_task(task: Any) -> None:
    """Between the tasks the engine runs: stop before `task` when the step is out of budget.

    The task has not run; it is put in ERROR so that retry runs it (with a fresh step budget).
    """
    step = limits.current()
    if step is None:
        return
    where = f"before element '{_element(task)}' could run"
    try:
        step.check_cpu(where)
        step.check_tasks(where)
    except BudgetExceeded as exc:
        exc.task = task
        task._set_state(TaskState.ERROR)
        raise


def instance_limit(child_spec: Any, budgets: limits.Budgets) -> tuple[int, str, bool]:
    """(limit, budget, whether the element set it) of a multi-instance element: its maxInstances
    property (on the child spec), else the max_instances budget; never over the ceiling."""
    properties = (getattr(child_spec, "extensions", None) or {}).get("properties") or {}
    value = properties.get(MAX_INSTANCES_PROPERTY)
    try:
        own = int(value) if isinstance(value, int | str) and value != "" else None
    except ValueError:
        own = None  # refused at deploy; an older definition falls back to the default
    if own is not None and own < 1:
        own = None
    limit = own if own is not None else budgets.max_instances
    if limit > budgets.max_instances_ceiling:
        return budgets.max_instances_ceiling, "max_instances_ceiling", False
    return limit, "max_instances", own is not None


def _fan_out(spec: Any, my_task: Any) -> int | None:
    """How many children the multi-instance task will have, or None when it cannot tell."""
    if spec.data_input is not None:
        if not spec.data_input.exists(my_task):
            return None  # SpiffWorkflow reports the missing input itself
        value = spec.data_input.get(my_task)
        return len(value) if isinstance(value, Sized) else None
    value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
    return value if isinstance(value, int) else None


def _element(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


# The SpiffWorkflow methods wrapped below, as they are called (self first; untyped library).
_Method = Callable[..., Any]


def _create_child(original: _Method) -> _Method:
    def create_child(self: Any, my_task: Any, item: Any, key_or_index: Any = None) -> Any:
        step = limits.current()
        if step is not None and not any(True for _ in self._instances(my_task)):
            count = _fan_out(self, my_task)
            if count is not None:
                child_spec = my_task.workflow.spec.task_specs[self.task_spec]
                limit, budget, own = instance_limit(child_spec, step.budgets)
                element = _element(my_task)
                if count > limit:
                    allows = f"its {MAX_INSTANCES_PROPERTY} property allows {limit:,}; " if own else ""
                    what = f"the multi-instance element '{element}' would create {count:,} instances"
                    what += f" ({allows}none was created)"
                    raise refuse(my_task, BudgetExceeded(budget, limit, what))
                try:
                    step.check_tasks(f"with the {count:,} instances of '{element}'", adding=count)
                except BudgetExceeded as exc:
                    raise refuse(my_task, exc) from None
        return original(self, my_task, item, key_or_index)

    return create_child


def _start_workflow(original: _Method) -> _Method:
    def start_workflow(self: Any, my_task: Any) -> Any:
        step = limits.current()
        if step is not None:
            depth = getattr(my_task.workflow, "depth", 0) + 1
            limit = step.budgets.max_call_depth
            element = _element(my_task)
            if depth > limit:
                what = f"'{element}' would start the process '{self.spec}' at depth {depth}"
                raise refuse(my_task, BudgetExceeded("max_call_depth", limit, what))
            try:
                step.check_tasks(f"when '{element}' starts '{self.spec}'", adding=1)
            except BudgetExceeded as exc:
                raise refuse(my_task, exc) from None
            step.tasks += 1  # the subprocess's root task, created without _add_child
        return original(self, my_task)

    return start_workflow


def _add_child(original: _Method) -> _Method:
    def add_child(self: Any, task_spec: Any, state: Any = TaskState.MAYBE) -> Any:
        step = limits.current()
        if step is not None:
            step.tasks += 1
        return original(self, task_spec, state)

    return add_child


MultiInstanceTask.create_child = _create_child(MultiInstanceTask.create_child)
SubWorkflowTask.start_workflow = _start_workflow(SubWorkflowTask.start_workflow)
Task._add_child = _add_child(Task._add_child)


# --- after a step stopped: what the error says, and how retry resumes ---------------------------


def budget_of(exc: BaseException | None) -> BudgetExceeded | ScriptError | None:
    """The exception in exc's chain that names a budget (BudgetExceeded, ScriptTimeout...), if any."""
    for _ in range(8):
        if exc is None:
            return None
        if isinstance(exc, BudgetExceeded | ScriptError) and exc.budget:
            return exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return None


def with_budget(error: InstanceError, exc: BaseException) -> InstanceError:
    """An instance error, with the budget and setting that stopped the step when one did."""
    found = budget_of(exc)
    if found is not None and found.budget:
        error["budget"], error["setting"] = found.budget, found.setting
    return error


def mark_for_retry(workflow: Any, exc: BaseException) -> None:
    """After a budget stopped a step: a task stopped before it ran (e.g. a timer expression out of
    CPU time, in an update) is put in ERROR and marked, so retry updates it again; a step stopped
    after its last task marks the root task, so retry runs the engine on."""
    found = budget_of(exc)
    if found is None:
        return
    task = getattr(exc, "task", None) or getattr(found, "task", None)
    if task is None:
        workflow.task_tree.internal_data[limits.MARK] = found.budget
    elif task.state in (TaskState.WAITING, TaskState.FUTURE, TaskState.LIKELY, TaskState.MAYBE):
        task.internal_data[limits.MARK] = found.budget
        task._set_state(TaskState.ERROR)
