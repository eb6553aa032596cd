"""Collaborations: pools that exchange messages run as one instance.

A file whose `bpmn:collaboration` has a message flow between two of its executable pools deploys
those pools as ONE definition, keyed by the collaboration's id (SpiffWorkflow's
`BpmnParser.get_collaboration`): every executable pool of the collaboration is a part of each
instance; the pool with a plain start event starts with it, a pool with a message start event
starts when a message of another pool reaches it, and a message one pool throws is caught by the
pool waiting for it, inside the engine. A file whose pools exchange no message keeps one definition
per executable pool.

Each pool is one agency's: its human tasks must be scoped to an org unit (a `unit` or
`unitVariable` property on the pool, handed to its tasks by modeler.pool_scope, or on the task),
else the deploy is refused. A message exchanged between the pools can only come from the pools:
the service does not deliver it from outside (runtime.CompiledDefinition.internal_messages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from .errors import BpmnInvalid
from .modeler import BPMN_NS, UNIT_PROPERTIES, Note, human_tasks, own_properties, pool_scope


@dataclass(frozen=True)
class Pool:
    """One executable pool of a collaboration, as the deploy answer describes it."""

    process_id: str
    name: str
    # "start": starts with the instance (a plain start event); "message": when a message reaches it.
    starts: str
    unit: str | None = None
    unit_variable: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "process": self.process_id,
            "name": self.name,
            "starts": self.starts,
            "unit": self.unit,
            "unit_variable": self.unit_variable,
        }


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def exchanging(root: etree._Element, executable: list[etree._Element]) -> etree._Element | None:
    """The file's collaboration when one of its message flows joins two of its executable pools
    (None otherwise). SpiffWorkflow reads the first collaboration of a file, so only it counts."""
    collaboration = root.find(_q("collaboration"))
    if collaboration is None:
        return None
    owner: dict[str, str] = {}
    for process in root.findall(_q("process")):
        for element in process.iter():
            if isinstance(element.tag, str) and element.get("id"):
                owner[element.get("id", "")] = process.get("id", "")
    for participant in collaboration.iter(_q("participant")):
        if participant.get("id") and participant.get("processRef"):
            owner[participant.get("id", "")] = participant.get("processRef", "")
    pools = {p.get("id") for p in executable} & {
        p.get("processRef") for p in collaboration.iter(_q("participant"))
    }
    for flow in collaboration.iter(_q("messageFlow")):
        source, target = owner.get(flow.get("sourceRef", "")), owner.get(flow.get("targetRef", ""))
        if source in pools and target in pools and source != target:
            return collaboration
    return None


def members(collaboration: etree._Element, executable: list[etree._Element]) -> list[etree._Element]:
    """The executable processes of a collaboration's pools, in the participants' order."""
    by_id = {p.get("id"): p for p in executable}
    refs = [p.get("processRef") for p in collaboration.iter(_q("participant"))]
    return [by_id[ref] for ref in dict.fromkeys(refs) if ref in by_id]


def _refuse(element: etree._Element, message: str) -> BpmnInvalid:
    return BpmnInvalid(message, element_id=element.get("id"), line=element.sourceline)


def _starts(process: etree._Element) -> str:
    kinds = set()
    for start in process.findall(_q("startEvent")):
        definitions = [
            etree.QName(child).localname
            for child in start
            if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
        ]
        if not definitions:
            kinds.add("start")
        elif definitions == ["messageEventDefinition"]:
            kinds.add("message")
        else:
            raise _refuse(
                start,
                f"The start event '{start.get('id')}' of pool '{process.get('id')}' starts on a "
                f"{definitions[0].removesuffix('EventDefinition')} event: in a collaboration a pool "
                "starts with the instance (a plain start event) or when a message reaches it.",
            )
    if len(kinds) != 1:
        raise _refuse(
            process,
            f"The pool '{process.get('id')}' of the collaboration needs one kind of start: a plain "
            "start event (it starts with the instance) or message start events.",
        )
    return kinds.pop()


def pools(collaboration: etree._Element, processes: list[etree._Element]) -> tuple[Pool, ...]:
    """Describe and check the pools of a collaboration (after modeler.adapt): their org unit is
    handed to their tasks (modeler.pool_scope), every human task must be scoped to one, and exactly
    one pool starts with the instance. BpmnInvalid names what is missing."""
    names = {p.get("processRef"): p.get("name") for p in collaboration.iter(_q("participant"))}
    described = []
    for process in processes:
        scope = pool_scope(process)
        for task in human_tasks(process):
            if not any(own_properties(task).get(name) for name in UNIT_PROPERTIES):
                raise _refuse(
                    task,
                    f"The task '{task.get('id')}' of pool '{process.get('id')}' is not scoped to an "
                    "org unit: in a collaboration each pool belongs to one agency. Give the pool "
                    "(the process) a `unit` (a unit code) or `unitVariable` property, or the task its own.",
                )
        pid = process.get("id", "")
        described.append(
            Pool(
                process_id=pid,
                name=names.get(pid) or process.get("name") or pid,
                starts=_starts(process),
                unit=scope[1] if scope and scope[0] == "unit" else None,
                unit_variable=scope[1] if scope and scope[0] == "unitVariable" else None,
            )
        )
    starting = [pool.process_id for pool in described if pool.starts == "start"]
    if len(starting) != 1:
        raise _refuse(
            collaboration,
            f"The collaboration '{collaboration.get('id')}' must have exactly one pool with a plain "
            f"start event (the one an instance starts at); it has {len(starting)}"
            + (f" ({', '.join(starting)})." if starting else "."),
        )
    return tuple(described)


def collaboration_note(collaboration: etree._Element, described: tuple[Pool, ...]) -> Note:
    """The deploy report's line on a collaboration: its key and what each pool does."""
    key = collaboration.get("id")
    parts = []
    for pool in described:
        scope = f"unit {pool.unit}" if pool.unit else f"the unit in '{pool.unit_variable}'"
        when = "starts with the instance" if pool.starts == "start" else "starts when a message reaches it"
        parts.append(f"'{pool.process_id}' ({pool.name}: {when}; tasks for {scope})")
    return Note(
        key,
        f"The pools of collaboration '{key}' exchange messages: they are deployed together as one "
        f"definition '{key}', whose instances run every pool and deliver the messages between them: "
        + "; ".join(parts)
        + ".",
    )


_THROWS = frozenset({"IntermediateThrowEvent", "EndEvent", "SendTask"})


def internal_messages(process_specs: Iterable[Any]) -> frozenset[str]:
    """The names of the messages the compiled specs both throw and catch: sent between the pools of
    a collaboration (or inside one process), never delivered from outside."""
    thrown: set[str] = set()
    caught: set[str] = set()
    for process_spec in process_specs:
        for task_spec in process_spec.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if isinstance(event, MessageEventDefinition):
                (thrown if type(task_spec).__name__ in _THROWS else caught).add(event.name)
    return frozenset(thrown & caught)
