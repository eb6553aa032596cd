"""Budgets checked at deploy: the values a BPMN file states literally.

A literal that could only end in a budget error, or keep a thread busy, refuses the deploy
(BpmnInvalid, 422, naming the element and its line), with the same limits the engine applies at
run time (limits.py) to values computed then:

- `maxInstances` (a multi-instance element's own fan-out limit): a whole number from 1 to the
  max_instances_ceiling budget; a literal `loopCardinality` within the element's limit;
- timers: a literal duration or date at most max_timer_days ahead, a literal cycle with at most
  max_timer_cycles repetitions and at least min_timer_interval_seconds between two (clock.py);
- `allotment` (working days): a number with 0 < days <= max_allotment_days; `dueIn`: an ISO 8601
  duration at most max_allotment_days long.

`check_scripts` compiles every script, condition, timer expression and message payload in the
sandbox, so a typo is a deploy error naming the element, not a stuck instance.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from . import clock, limits
from .errors import BpmnInvalid, ScriptError
from .guards import MAX_INSTANCES_PROPERTY, instance_limit
from .limits import BudgetExceeded, Budgets
from .modeler import EXPRESSION_PROPERTIES
from .sandbox import RestrictedEnvironment


def check_budgets(
    spec: Any,
    subprocess_specs: dict[str, Any],
    line_of: Callable[[str], int | None],
    budgets: Budgets,
    now: datetime | None = None,
) -> None:
    """Refuse (BpmnInvalid) the first element whose literal values are out of budget."""
    now = now or datetime.now(UTC)
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if element is None:
                continue
            try:
                _check_element(process_spec, task_spec, element, budgets, now)
            except BudgetExceeded as exc:
                raise BpmnInvalid(exc.message, element_id=element, line=line_of(element)) from None
            except _Invalid as exc:
                raise BpmnInvalid(str(exc), element_id=element, line=line_of(element)) from None


class _Invalid(Exception):
    """A property or literal that is not what it should be (not a budget question)."""


def _check_element(process_spec: Any, task_spec: Any, element: str, budgets: Budgets, now: datetime) -> None:
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    if MAX_INSTANCES_PROPERTY in properties:
        _check_max_instances(properties[MAX_INSTANCES_PROPERTY], element, budgets)
    if "allotment" in properties:
        problem = limits.allotment_problem(properties["allotment"], budgets.max_allotment_days)
        if problem:
            raise _Invalid(f"The allotment of element '{element}' is not valid: {problem}.")
    if "dueIn" in properties:
        _check_due_in(properties["dueIn"], element, budgets)
    if isinstance(task_spec, MultiInstanceTask) and task_spec.cardinality is not None:
        cardinality = _literal(task_spec.cardinality)
        if isinstance(cardinality, int):
            limit, budget, _ = instance_limit(process_spec.task_specs[task_spec.task_spec], budgets)
            if cardinality > limit:
                what = f"the multi-instance element '{element}' has a loopCardinality of {cardinality:,}"
                raise BudgetExceeded(budget, limit, what)
    event = getattr(task_spec, "event_definition", None)
    if isinstance(event, TimerEventDefinition):
        _check_timer(event, element, budgets, now)


def _check_max_instances(value: object, element: str, budgets: Budgets) -> None:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise _Invalid(
            f"The {MAX_INSTANCES_PROPERTY} property of element '{element}' must be a whole number "
            f"of at least 1, not {value!r}."
        )
    if number > budgets.max_instances_ceiling:
        what = f"the {MAX_INSTANCES_PROPERTY} property of element '{element}' is {number:,}"
        raise BudgetExceeded("max_instances_ceiling", budgets.max_instances_ceiling, what)


def _check_due_in(value: object, element: str, budgets: Budgets) -> None:
    try:
        parsed = TimerEventDefinition.parse_iso_duration(str(value))
    except Exception:  # SpiffWorkflow raises a bare Exception('Invalid duration')
        raise _Invalid(
            f"The dueIn property of element '{element}' is not an ISO 8601 duration "
            f"such as PT4H or P2D: {value!r}."
        ) from None
    limits.check_duration(parsed, f"the dueIn of '{element}' ({value})", budgets, budget="max_allotment_days")


def _literal(expression: object) -> Any:
    """The value of an expression that is a Python literal ("PT5M", 3), else None."""
    if not isinstance(expression, str):
        return None
    try:
        return ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _check_timer(event: Any, element: str, budgets: Budgets, now: datetime) -> None:
    value = _literal(event.expression)
    if not isinstance(value, str):
        return  # computed at run time, and checked then
    what = f"the timer of '{element}' ({value!r})"
    try:
        if isinstance(event, DurationTimerEventDefinition):
            clock.checked_duration(value, what, budgets)
        elif isinstance(event, CycleTimerEventDefinition):
            clock.checked_cycle(value, now, what, budgets)
        elif isinstance(event, TimeDateEventDefinition):
            moment = TimerEventDefinition.parse_time_or_duration(value)
            if isinstance(moment, datetime):
                clock.check_moment(moment, now, what, budgets)
    except BudgetExceeded:
        raise
    except Exception as exc:  # SpiffWorkflow's parsers raise ValueError or bare Exceptions
        raise _Invalid(
            f"The timer of element '{element}' is not a valid ISO 8601 value: {value!r} ({exc})."
        ) from None


def check_scripts(spec: Any, subprocess_specs: dict[str, Any], line_of: Callable[[str], int | None]) -> None:
    """Compile every script and condition now, so a typo is a deploy error, not a stuck instance."""
    env = RestrictedEnvironment()
    all_specs = [spec, *subprocess_specs.values()]
    for process_spec in all_specs:
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            sources = []
            script = getattr(task_spec, "script", None)
            if isinstance(script, str):
                sources.append(("script", script))
            for attr in ("prescript", "postscript"):
                value = getattr(task_spec, attr, None)
                if isinstance(value, str) and value.strip():
                    sources.append((attr, value))
            for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
                expression = (
                    condition if isinstance(condition, str) else getattr(condition, "args", [None])[0]
                )
                if isinstance(expression, str):
                    sources.append(("condition", expression))
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            for name in EXPRESSION_PROPERTIES:
                if isinstance(properties.get(name), str):
                    sources.append(("condition", properties[name]))
            event = getattr(task_spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition) and isinstance(event.expression, str):
                sources.append(("timer", event.expression))
            elif isinstance(payload := getattr(event, "expression", None), str):  # a message's payload
                sources.append(("message payload", payload))
            for kind, source in sources:
                try:
                    if kind in ("condition", "timer", "message payload"):
                        env.compile_expression(source)
                    else:
                        env.compile_script(source)
                except ScriptError as exc:
                    raise BpmnInvalid(
                        f"The {kind} of element '{bpmn_id}' does not compile: {exc}",
                        element_id=bpmn_id,
                        line=line_of(bpmn_id) if bpmn_id else None,
                    ) from None
