"""What a BPMN definition declares about who starts it and which variables callers may set.

Read once at deploy from the compiled specs and the XML tree:

* the start form: the `formKey` property of the main process's start event (the variables a
  caller may give when starting an instance; none when there is no start form);
* who may start it: `camunda:candidateStarterGroups` / `camunda:candidateStarterUsers` on the
  process element, as Camunda Modeler writes them (comma-separated);
* the variable `camunda:initiator` on the start event names (the service sets it to the
  starter's username; protected like the service's own variables);
* the messages its message start events wait for (a correlation may start it on one);
* how it reads "ngày" (`dayKind`, a property of the process element: `working` or `calendar`;
  None when it says nothing, read as working days of its allotments): the due-date policy counts
  its allotments, statutory times and `dueIn` in that kind of day, and the `days_after` helper
  of its scripts too (docs/time.md);
* the variables the process computes, which no caller may set: names assigned by scripts
  (script tasks, pre- and post-scripts), multi-instance items and output collections, service
  task results, the variables a caught message fills (another pool's answer), and the variables
  named by the `unitVariable` and `dueDateVariable` properties (a task's org unit and due date are
  never the caller's to choose directly).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from . import messages
from .errors import BpmnInvalid
from .modeler import BPMN_NS, CAMUNDA_NS, NAMES_SUFFIX, ROUTING_EXPRESSIONS, SPIFF_NS
from .sandbox import AST_LOCK
from .services import is_external

# Properties whose value names a variable that decides who sees a task or when it is due.
_ROUTING_PROPERTIES = ("unitVariable", "dueDateVariable")
MAX_LITERAL = 2000  # longer parameter expressions are not read as literals at deploy


@dataclass(frozen=True)
class Declarations:
    start_form: str | None = None
    starter_groups: tuple[str, ...] | None = None  # None: the BPMN says nothing
    starter_users: tuple[str, ...] | None = None
    protected_variables: tuple[str, ...] = ()
    # camunda:initiator on the start event: the variable the service sets to the starter's username.
    initiator_variable: str | None = None
    # The names of the messages its message start events wait for (POST /messages starts on one).
    start_messages: tuple[str, ...] = ()
    # Its service tasks for connectors (not external tasks): what deploy checks against the
    # connectors' contracts (integrations/contracts/).
    service_calls: tuple[DeclaredCall, ...] = ()

    # How the process reads "ngày" (`dayKind` on the process): "working", "calendar" or None.
    day_kind: str | None = None


@dataclass(frozen=True)
class DeclaredCall:
    """A service task as modelled: its element, the operation it names and its parameters, each
    with its expression (evaluated when the task runs) and, when the expression is a literal,
    the value it always gives."""

    element_id: str
    name: str
    operation: str
    params: tuple[tuple[str, str], ...]  # (name, expression)
    literals: tuple[tuple[str, Any], ...]  # (name, value) of the literal expressions


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _properties(task_spec: Any) -> dict[str, Any]:
    properties: dict[str, Any] = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    return properties


_LOCAL_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def assigned_names(source: str) -> set[str]:
    """The names a script leaves in the task data: module-level assignments (loops, unpacking,
    augmented and annotated assignments, walrus) and names declared global in its functions.

    Names bound only inside functions, lambdas and comprehensions stay local to them.
    """
    try:
        with AST_LOCK:
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()  # the sandbox's compile check reports it
    names: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.Global):
            names.update(node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and top:
            names.add(node.id)
        scoped = isinstance(node, _LOCAL_SCOPES)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and top:
            names.add(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child, top and not scoped)

    visit(tree, True)
    return names


def _computed(task_spec: Any) -> set[str]:
    names: set[str] = set()
    for attr in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source.strip():
            names |= assigned_names(source)
    for attr in ("input_item", "output_item", "data_output"):
        bpmn_id = getattr(getattr(task_spec, attr, None), "bpmn_id", None)
        if isinstance(bpmn_id, str) and bpmn_id:
            names.add(bpmn_id)
    message_var = getattr(getattr(task_spec, "event_definition", None), "message_var", None)
    if isinstance(message_var, str) and message_var:  # what a message brings (another pool's answer)
        names.add(message_var)
    result = getattr(task_spec, "result_variable", None)
    if isinstance(result, str) and result:
        names.add(result)
    props = _properties(task_spec)
    names.update(props[name] for name in _ROUTING_PROPERTIES if props.get(name))
    for name in ROUTING_EXPRESSIONS:  # the variables a mapped candidateGroups or dueDate reads
        names.update(n for n in str(props.get(name + NAMES_SUFFIX) or "").split(",") if n)
    return names


def _start_form(spec: Any) -> str | None:
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent":
            props = _properties(task_spec)
            form = props.get("formKey") or props.get("formJsonSchemaFilename")
            if form:
                return str(form)
    return None


def declarations(spec: Any, subprocess_specs: dict[str, Any], process: etree._Element) -> Declarations:
    """The declarations of the process `process` (its lxml element) compiled into spec."""
    protected: set[str] = set()
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            protected |= _computed(task_spec)
    return Declarations(
        start_form=_start_form(spec),
        starter_groups=_csv(process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups")),
        starter_users=_csv(process.get(f"{{{CAMUNDA_NS}}}candidateStarterUsers")),
        protected_variables=tuple(sorted(protected)),
        initiator_variable=_initiator(process),
        start_messages=tuple(messages.start_messages(spec)),
        service_calls=tuple(
            call
            for process_spec in (spec, *subprocess_specs.values())
            for call in _service_calls(process_spec)
        ),
        day_kind=day_kind(process),
    )


def _service_calls(process_spec: Any) -> list[DeclaredCall]:
    found = []
    for task_spec in process_spec.task_specs.values():
        if not isinstance(task_spec, ServiceTask) or is_external(task_spec):
            continue
        params = {
            str(name): str((value or {}).get("value", "")) if isinstance(value, dict) else str(value)
            for name, value in (task_spec.operation_params or {}).items()
        }
        literals = []
        for name, expression in params.items():
            if len(expression) > MAX_LITERAL:
                continue
            try:
                with AST_LOCK:
                    literals.append((name, ast.literal_eval(expression)))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue  # not a literal: checked when the task runs
        found.append(
            DeclaredCall(
                element_id=task_spec.bpmn_id,
                name=task_spec.bpmn_name or task_spec.bpmn_id,
                operation=str(task_spec.operation_name or ""),
                params=tuple(sorted(params.items())),
                literals=tuple(sorted(literals, key=lambda item: item[0])),
            )
        )
    return found


DAY_KINDS = ("working", "calendar")


def day_kind(process: etree._Element) -> str | None:
    """The `dayKind` property of a process element (Spiff's or Camunda's properties on it): None
    when it has none; BpmnInvalid when it names another kind."""
    found = None
    for ns in (SPIFF_NS, CAMUNDA_NS):
        path = f"{{{BPMN_NS}}}extensionElements/{{{ns}}}properties/{{{ns}}}property[@name='dayKind']"
        for prop in process.iterfind(path):
            found = (prop.get("value") or "").strip()
            if found not in DAY_KINDS:
                raise BpmnInvalid(
                    f"The dayKind property of process '{process.get('id')}' must be one of "
                    f"{', '.join(DAY_KINDS)}, not {found!r}.",
                    element_id=process.get("id"),
                    line=prop.sourceline,
                )
    return found


def _initiator(process: etree._Element) -> str | None:
    for start in process.iterfind(f"{{{BPMN_NS}}}startEvent"):
        name = (start.get(f"{{{CAMUNDA_NS}}}initiator") or "").strip()
        if name.isidentifier() and not name.startswith("_"):
            return name
    return None
