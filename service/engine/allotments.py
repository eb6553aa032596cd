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
  instead of the main path, never after it, and is left out. A path that ends inside a subprocess
  with an error or cancel end event (the dossier stopped with a notice) counts up to that end and
  does not go on with what follows the subprocess.

Allotments are working days per BPMN element id; an element without one weighs 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition
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
    return _Walker(definition.subprocess_specs, allotments).process(definition.spec).anywhere


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


def _add(first: AllottedPath, second: AllottedPath) -> AllottedPath:
    return AllottedPath(round(first.total + second.total, _PRECISION), first.elements + second.elements)


def _longer(first: AllottedPath | None, second: AllottedPath | None) -> AllottedPath | None:
    if first is None or (second is not None and second.total > first.total):
        return second
    return first


_NOTHING = AllottedPath(0.0, ())


@dataclass(frozen=True)
class _Paths:
    """The longest paths of a process: to its normal end (None if none reaches it), and anywhere
    (also those that end abruptly: an error or cancel end event, which its caller's boundary
    event catches; what follows the boundary event is not on the main path)."""

    through: AllottedPath | None
    anywhere: AllottedPath


class _Walker:
    def __init__(self, subprocess_specs: Mapping[str, Any], allotments: Mapping[str, float]):
        self.subprocess_specs = subprocess_specs
        self.allotments = allotments
        self.done: dict[str, _Paths] = {}
        self.walking: set[str] = set()  # call activities calling themselves count once

    def process(self, process_spec: Any) -> _Paths:
        name = str(process_spec.name)
        if name in self.done:
            return self.done[name]
        if name in self.walking:
            return _Paths(_NOTHING, _NOTHING)
        self.walking.add(name)
        try:
            paths = self._longest(process_spec)
        finally:
            self.walking.discard(name)
        self.done[name] = paths
        return paths

    def weight(self, process_spec: Any, task_spec: Any) -> _Paths:
        """What one element weighs: its allotment, plus the longest path of the process it runs
        (`through`: when the element completes; `anywhere`: also when that process ends abruptly)."""
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
            through = _add(path, inner.through) if inner.through is not None else None
            return _Paths(through, _add(path, inner.anywhere))
        return _Paths(path, path)

    def _longest(self, process_spec: Any) -> _Paths:
        order = list(_reachable(process_spec.start))
        position = {spec.name: number for number, spec in enumerate(order)}
        components = _components(order)
        weights = {spec.name: self.weight(process_spec, spec) for spec in order}
        component_of = {spec.name: index for index, part in enumerate(components) for spec in part}
        # Tarjan's algorithm yields components in reverse topological order: walk them backwards.
        best: dict[int, _Paths] = {}
        for index in range(len(components)):
            part = sorted(components[index], key=lambda spec: position[spec.name])
            # A path through the component: each element's completed weight once (a loop's elements
            # once each); an element that never completes (its process always ends abruptly) or
            # ends its process abruptly (an error end event) leads nowhere after it.
            here = _NOTHING
            for spec in part:
                here = _add(here, weights[spec.name].through or weights[spec.name].anywhere)
            through = here if any(_completes(spec) for spec in part) else None
            anywhere = here
            for spec in part:
                if weights[spec.name].through is None or _abrupt(spec):
                    continue
                for target in _outputs(spec):
                    other = component_of[target.name]
                    if other == index:
                        continue
                    following = best[other].through
                    if following is not None:
                        through = _longer(through, _add(here, following))
                    anywhere = _longer(anywhere, _add(here, best[other].anywhere)) or anywhere
            for spec in part:  # a path that ends inside a subprocess, abruptly
                weight = weights[spec.name]
                if weight.through is not None and weight.anywhere.total > weight.through.total:
                    rest = [other for other in part if other is not spec]
                    ending = _NOTHING
                    for other in rest:
                        ending = _add(ending, weights[other.name].through or weights[other.name].anywhere)
                    anywhere = _longer(anywhere, _add(ending, weight.anywhere)) or anywhere
            best[index] = _Paths(through, anywhere)
        return best[component_of[process_spec.start.name]]


def _abrupt(task_spec: Any) -> bool:
    """An end event that ends its process abruptly: an error or a cancel end event (its caller's
    boundary event catches it; the process's normal outflow does not follow)."""
    event = getattr(task_spec, "event_definition", None)
    return type(task_spec).__name__ == "EndEvent" and isinstance(
        event, ErrorEventDefinition | CancelEventDefinition
    )


def _completes(task_spec: Any) -> bool:
    """The process's own end: the task after its end events join (no outputs, not abrupt)."""
    return not task_spec.outputs


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
