"""How much of a procedure's statutory time the steps of a process can claim: the largest sum of
step allotments along any path through it (pure; no I/O).

`longest_path(definition, allotments)` walks the compiled process from its start along its sequence
flows and returns the path whose allotments add up to the most (`AllottedPath`). The rules:

- **Subprocesses are expanded**: an embedded subprocess or a call activity (whose process is part
  of the definition) weighs its own allotment, if any, plus the longest path inside it.
- **Exclusive alternatives are alternatives**: an exclusive (or event-based) gateway's branches are
  compared, and the longest one counts.
- **Parallel branches take the max**: the statutory time is elapsed time, and branches of a parallel
  (or inclusive) gateway run at the same time, so the longest branch counts (the critical path),
  not their sum. A multi-instance step (parallel or sequential) counts its allotment once: the
  number of instances is not known before it runs, and each instance is due by the same share.
- **A loop is counted once**: the elements of a cycle (a strongly connected part of the flow, such
  as appraise → consult → appraise, or appraise → supplement → appraise) each count once, all of
  them: a path may go round every branch of the loop, but a reopened step shares its allotment
  with its earlier rounds (the service gives a reopened step what remains of its share).
- **Boundary-event paths are not part of the main path**: what follows a boundary event (the
  apology timer's task, a withdrawal's hand-back) or starts an event subprocess runs beside or
  instead of the main path, never after it, and is left out.

Allotments are working days per BPMN element id; an element without one weighs 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess, SubWorkflowTask

from . import effects
from .runtime import CompiledDefinition

_PRECISION = 9  # working days are summed in floats: rounded so that 0.1 + 0.2 fits in 0.3


@dataclass(frozen=True)
class AllottedPath:
    """The path whose allotments add up to the most: its total and the elements along it that have
    an allotment, in the order of the flow (a loop's elements in the order they are first reached;
    a subprocess's elements in its place)."""

    total: float
    elements: tuple[tuple[str, float], ...]

    def exceeds(self, days: float) -> bool:
        return round(self.total - days, _PRECISION) > 0


def declared_allotments(definition: CompiledDefinition) -> dict[str, float]:
    """The `allotment` property of every element that states one (working days), as the BPMN says
    it (checked at deploy: 0 < days <= the budget)."""
    declared: dict[str, float] = {}
    for process_spec in (definition.spec, *definition.subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            value = effects.properties(task_spec).get("allotment")
            if not isinstance(element, str) or not isinstance(value, str | int | float) or value == "":
                continue
            try:
                declared[element] = float(value)
            except (TypeError, ValueError):
                continue
    return declared


def longest_path(definition: CompiledDefinition, allotments: Mapping[str, float]) -> AllottedPath:
    """The largest sum of allotments along any path through the process (see the module's rules)."""
    return _Walker(definition.subprocess_specs, allotments).process(definition.spec)


def main_path_elements(definition: CompiledDefinition) -> frozenset[str]:
    """The ids of the elements on the main path (the module's rules): reachable from the start
    without a boundary event or an event subprocess, subprocesses expanded. The late list names a
    step of the main path as responsible, never the apology that runs beside it."""
    found: set[str] = set()
    seen: set[str] = set()
    pending = [definition.spec]
    while pending:
        process_spec = pending.pop()
        if process_spec.name in seen:
            continue
        seen.add(process_spec.name)
        for task_spec in _reachable(process_spec.start):
            element = getattr(task_spec, "bpmn_id", None)
            if isinstance(element, str):
                found.add(element)
            called = getattr(task_spec, "spec", None)
            is_call = isinstance(task_spec, SubWorkflowTask) and isinstance(called, str)
            if is_call and called in definition.subprocess_specs:
                pending.append(definition.subprocess_specs[called])
    return frozenset(found)


class _Walker:
    def __init__(self, subprocess_specs: Mapping[str, Any], allotments: Mapping[str, float]):
        self.subprocess_specs = subprocess_specs
        self.allotments = allotments
        self.done: dict[str, AllottedPath] = {}
        self.walking: set[str] = set()  # call activities calling themselves count once

    def process(self, process_spec: Any) -> AllottedPath:
        name = str(process_spec.name)
        if name in self.done:
            return self.done[name]
        if name in self.walking:
            return AllottedPath(0.0, ())
        self.walking.add(name)
        try:
            path = self._longest(process_spec)
        finally:
            self.walking.discard(name)
        self.done[name] = path
        return path

    def weight(self, process_spec: Any, task_spec: Any) -> AllottedPath:
        """What one element weighs: its allotment, plus the longest path of the process it runs."""
        if isinstance(task_spec, MultiInstanceTask):
            child = process_spec.task_specs.get(task_spec.task_spec)
            if child is not None and child is not task_spec:
                return self.weight(process_spec, child)
        element = getattr(task_spec, "bpmn_id", None)
        own = float(self.allotments.get(element, 0.0) or 0.0) if element else 0.0
        path = AllottedPath(own, ((element, own),) if element and own > 0 else ())
        called = getattr(task_spec, "spec", None)
        if (
            isinstance(task_spec, SubWorkflowTask)
            and isinstance(called, str)
            and called in self.subprocess_specs
        ):
            inner = self.process(self.subprocess_specs[called])
            path = AllottedPath(own + inner.total, path.elements + inner.elements)
        return path

    def _longest(self, process_spec: Any) -> AllottedPath:
        order = list(_reachable(process_spec.start))
        position = {spec.name: number for number, spec in enumerate(order)}
        components = _components(order)
        weights = {spec.name: self.weight(process_spec, spec) for spec in order}
        component_of = {spec.name: index for index, part in enumerate(components) for spec in part}
        # Tarjan's algorithm yields components in reverse topological order: walk them backwards.
        best: dict[int, AllottedPath] = {}
        for index in range(len(components)):
            part = sorted(components[index], key=lambda spec: position[spec.name])
            elements: tuple[tuple[str, float], ...] = ()
            total = 0.0
            for spec in part:
                total += weights[spec.name].total
                elements += weights[spec.name].elements
            after = AllottedPath(0.0, ())
            for spec in part:
                for target in _outputs(spec):
                    other = component_of[target.name]
                    if other != index and best[other].total > after.total:
                        after = best[other]
            best[index] = AllottedPath(round(total + after.total, _PRECISION), elements + after.elements)
        return best[component_of[process_spec.start.name]]


def _outputs(task_spec: Any) -> Iterator[Any]:
    """The elements that follow one on the main path: not a boundary event (nor the join the
    engine puts after an activity with boundary events), not an event subprocess."""
    for output in task_spec.outputs:
        if isinstance(output, BoundaryEvent | BoundaryEventJoin | EventSubprocess):
            continue
        yield output


def _reachable(start: Any) -> Iterator[Any]:
    """The task specs reachable from the start on the main path, in the order first reached."""
    seen = {start.name}
    queue = [start]
    while queue:
        spec = queue.pop(0)
        yield spec
        for output in _outputs(spec):
            if output.name not in seen:
                seen.add(output.name)
                queue.append(output)


def _components(specs: list[Any]) -> list[list[Any]]:
    """Tarjan's strongly connected components of the flow (iterative: a model's size is bounded by
    the deploy's budgets, not by Python's recursion limit); in reverse topological order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[Any] = []
    on_stack: set[str] = set()
    components: list[list[Any]] = []
    counter = 0
    for root in specs:
        if root.name in index:
            continue
        work: list[tuple[Any, Iterator[Any]]] = [(root, _outputs(root))]
        index[root.name] = low[root.name] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root.name)
        while work:
            spec, outputs = work[-1]
            following = next(outputs, None)
            if following is not None:
                if following.name not in index:
                    index[following.name] = low[following.name] = counter
                    counter += 1
                    stack.append(following)
                    on_stack.add(following.name)
                    work.append((following, _outputs(following)))
                elif following.name in on_stack:
                    low[spec.name] = min(low[spec.name], index[following.name])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent.name] = min(low[parent.name], low[spec.name])
            if low[spec.name] == index[spec.name]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member.name)
                    part.append(member)
                    if member is spec:
                        break
                components.append(part)
    return components
