"""Service tasks run on workers: the engine stops at them and completes them with a result.

A step never calls a remote system. `advance` runs every ready automatic task except
service tasks, which stay READY and are reported (with their evaluated parameters) so the
service can queue the call. When the call has returned, `Engine.complete_service_task`
hands the result to the task through `results` and runs it; SpiffWorkflow then stores it
in the task's result variable as usual.

A service task with the `externalTopic` property (modeler.py: Camunda's `camunda:type="external"`,
or Motcua's own property) is an external task: it is not reported as a call for a connector but
as work published on its topic (`ready_external`); external workers fetch it through the service,
and `Engine.complete_external_task` completes it with the variables they send (merged into the
instance's data, as Camunda does) or `Engine.throw_bpmn_error` hands it to an error boundary event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from . import walk
from .effects import properties
from .guards import before_task
from .results import ExternalTask, ServiceCall

_results: ContextVar[dict[str, Any] | None] = ContextVar("motcua_service_results", default=None)


@contextmanager
def results(by_task_id: dict[str, Any]) -> Iterator[None]:
    """Make service results {task id: JSON-able result} available to the enclosed step."""
    token = _results.set(by_task_id)
    try:
        yield
    finally:
        _results.reset(token)


class ServiceScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """The sandboxed script engine, answering service tasks from the results handed in."""

    budgets: Any  # limits.Budgets, read where no step runs (a task's dueIn)

    def call_service(
        self, task: Any, operation_name: str | None = None, operation_params: Any = None, **kwargs: Any
    ) -> str:
        available = _results.get() or {}
        if str(task.id) not in available:
            # Never reached in normal operation: advance() does not run service tasks.
            raise WorkflowTaskException(
                f"Service task '{task.task_spec.bpmn_id}' ran without a result from its worker", task=task
            )
        return json.dumps(available[str(task.id)])


EXTERNAL_TOPIC, EXTERNAL_PRIORITY = "externalTopic", "externalPriority"


def is_external(spec: Any) -> bool:
    """Whether a task spec is an external task (a service task with a topic)."""
    return isinstance(spec, ServiceTask) and bool(properties(spec).get(EXTERNAL_TOPIC))


def ready_external(workflow: Any, ready: list[Any] | None = None) -> dict[str, ExternalTask]:
    """The ready external tasks by task id, with their topics and priorities (of `ready`, the
    workflow's ready tasks, when the caller has them)."""
    found: dict[str, ExternalTask] = {}
    for task in walk.ready(workflow) if ready is None else ready:
        spec = task.task_spec
        if not is_external(spec):
            continue
        props = properties(spec)
        priority = str(props.get(EXTERNAL_PRIORITY) or "0").strip()
        found[str(task.id)] = {
            "task_id": str(task.id),
            "element_id": spec.bpmn_id,
            "name": spec.bpmn_name,
            "topic": str(props[EXTERNAL_TOPIC]),
            "priority": int(priority) if priority.lstrip("-").isdigit() else 0,
            "form_key": str(props["formKey"]) if props.get("formKey") else None,
        }
    return found


def _runnable(task: Any) -> bool:
    return not task.task_spec.manual and not isinstance(task.task_spec, ServiceTask)


def _advance_once(workflow: Any) -> int:
    def run_ready(wf: Any) -> int:
        count = 0
        for task in walk.ready(wf):
            if _runnable(task):
                before_task(task)  # the step's CPU and task budgets, checked between tasks
                task.run()
                count += 1
        return count

    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda sp: sp.depth, reverse=True):
        while run_ready(subprocess):
            pass
        if subprocess.parent_task_id is not None:
            parent = workflow.get_task_from_id(subprocess.parent_task_id)
            parent.task_spec._update(parent)
    count = run_ready(workflow)
    return count + (len(workflow.get_active_subprocesses()) > len(active))


def advance(workflow: Any) -> None:
    """Like SpiffWorkflow's do_engine_steps, but service tasks wait for a worker."""
    while _advance_once(workflow):
        pass
    workflow.refresh_timers()


def pending_calls(workflow: Any, ready: list[Any] | None = None) -> list[ServiceCall]:
    """The ready service tasks, with their evaluated parameters, for the service to queue (`ready`:
    the workflow's ready tasks when the caller has just walked for them: walk.ready)."""
    calls: list[ServiceCall] = []
    for task in walk.ready(workflow) if ready is None else ready:
        spec = task.task_spec
        if not isinstance(spec, ServiceTask) or is_external(spec):
            continue
        params = {name: value["value"] for name, value in spec.evaluate_params(task).items()}
        calls.append(
            {
                "task_id": str(task.id),
                "element_id": spec.bpmn_id,
                "operation": spec.operation_name,
                "params": params,
                "retries": int(spec.retries) if spec.retries not in (None, "") else None,
                "backoff": float(spec.retry_backoff_base)
                if spec.retry_backoff_base not in (None, "")
                else None,
            }
        )
    return calls
