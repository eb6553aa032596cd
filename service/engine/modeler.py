"""Diagrams from other modelers (Camunda Modeler): their attributes mapped onto Motcua's own at deploy.

`adapt(process, notes)` rewrites a process element of the parsed (hardened) tree in place, before
SpiffWorkflow sees it; the stored BPMN bytes stay as the designer drew them. What it does:

- a user task's `camunda:candidateGroups`, `camunda:assignee` (or a single `camunda:candidateUsers`),
  `camunda:dueDate`, `camunda:followUpDate`, `camunda:formKey`, `camunda:priority`, and any element's
  `camunda:properties`, become Motcua's task properties (spiffworkflow:properties): literal values
  the properties Motcua reads already (`candidateGroups`, `formKey`, `dueIn`, `dueDateVariable`,
  `assigneeVariable`, `priority`, `followUpDate`); values with expressions `*Expression` properties
  that the engine evaluates, in the sandbox, when the task opens (effects.task_values);
- `${...}` / `#{...}` (JUEL, juel.py) in those attributes, in sequence-flow conditions and in
  timers become Python; anything outside the supported subset refuses the deploy (BpmnInvalid);
- a bare ISO 8601 timer value (`P7D`, `R3/PT1H`, `2026-12-31T17:00:00+07:00`) becomes the Python
  string literal SpiffWorkflow evaluates (the budgets of checks.py then apply to it as to any literal);
- what is kept but has no effect (`camunda:asyncBefore`, listeners, input/output mappings, a data
  store) is written to `notes`, the deploy report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .errors import BpmnInvalid
from .juel import JuelRefused, has_expression, translate

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Properties whose value is a Python expression the engine evaluates when a task opens.
CANDIDATE_GROUPS_EXPRESSION = "candidateGroupsExpression"
ASSIGNEE_EXPRESSION = "assigneeExpression"
DUE_DATE_EXPRESSION = "dueDateExpression"
FOLLOW_UP_DATE_EXPRESSION = "followUpDateExpression"
PRIORITY_EXPRESSION = "priorityExpression"
EXPRESSION_PROPERTIES = (
    CANDIDATE_GROUPS_EXPRESSION,
    ASSIGNEE_EXPRESSION,
    DUE_DATE_EXPRESSION,
    FOLLOW_UP_DATE_EXPRESSION,
    PRIORITY_EXPRESSION,
)
# Expression properties whose variables decide who sees a task or when it is due: like
# unitVariable and dueDateVariable, no caller may set them (declarations.py).
ROUTING_EXPRESSIONS = (CANDIDATE_GROUPS_EXPRESSION, DUE_DATE_EXPRESSION)
# The variables an expression property reads, comma-separated, recorded next to it.
NAMES_SUFFIX = "Names"


@dataclass(frozen=True)
class Note:
    """A line of the deploy report: an element that is kept but does not do what it says."""

    element_id: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"element_id": self.element_id, "message": self.message}


_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_MOMENT = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
_ISO_VALUE = re.compile(rf"(?:{_DURATION}|{_MOMENT})")
_ISO_CYCLE = re.compile(rf"R\d*/(?:{_DURATION}|{_MOMENT})(?:/(?:{_DURATION}|{_MOMENT}))?")
_USER_TASKS = {"userTask"}
_IGNORED_EXTENSIONS = {
    "taskListener": "a task listener, which does not run in Motcua",
    "executionListener": "an execution listener, which does not run in Motcua",
    "inputOutput": "an input/output mapping, which Motcua does not apply",
    "formData": "generated form fields (Motcua's forms are JSON Schemas in forms/)",
    "in": "a call-activity variable mapping, which Motcua does not apply",
    "out": "a call-activity variable mapping, which Motcua does not apply",
    "failedJobRetryTimeCycle": "a job retry cycle (Motcua's service tasks retry as configured)",
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _refuse(element: etree._Element, what: str, value: str, exc: Exception) -> BpmnInvalid:
    kind = etree.QName(element).localname
    element_id = element.get("id")
    shown = value if len(value) <= 120 else value[:117] + "..."
    return BpmnInvalid(
        f"The {what} of {kind} '{element_id}' is not supported: {exc} (in {shown!r}). Motcua accepts "
        "variables (a.b for a property), literals, comparisons, and/or/not and empty.",
        element_id=element_id,
        line=element.sourceline,
    )


def _properties_node(element: etree._Element) -> etree._Element:
    """The element's spiffworkflow:properties, created (in its extensionElements) if missing."""
    extensions = element.find(_q(BPMN_NS, "extensionElements"))
    if extensions is None:
        extensions = etree.Element(_q(BPMN_NS, "extensionElements"))
        documentation = element.findall(_q(BPMN_NS, "documentation"))
        element.insert(len(documentation), extensions)  # the XSD wants it right after documentation
    properties = extensions.find(_q(SPIFF_NS, "properties"))
    if properties is None:
        properties = etree.SubElement(extensions, _q(SPIFF_NS, "properties"))
    return properties


def _existing(element: etree._Element) -> set[str]:
    extensions = element.find(_q(BPMN_NS, "extensionElements"))
    if extensions is None:
        return set()
    return {
        p.get("name", "")
        for p in extensions.iterfind(f"{_q(SPIFF_NS, 'properties')}/{_q(SPIFF_NS, 'property')}")
    }


def _set(element: etree._Element, name: str, value: str) -> None:
    """Give the element a task property, unless its own spiffworkflow:properties already name it."""
    if name in _existing(element):
        return
    node = etree.SubElement(_properties_node(element), _q(SPIFF_NS, "property"))
    node.set("name", name)
    node.set("value", value)


def _expression(element: etree._Element, name: str, what: str, value: str) -> None:
    """A `*Expression` property (and the variables it reads) from a JUEL value."""
    try:
        translated = translate(value)
    except JuelRefused as exc:
        raise _refuse(element, what, value, exc) from None
    _set(element, name, translated.python)
    if translated.names:
        _set(element, name + NAMES_SUFFIX, ",".join(sorted(translated.names)))


def _plain_variable(element: etree._Element, what: str, value: str) -> str | None:
    try:
        return translate(value).plain_variable
    except JuelRefused as exc:
        raise _refuse(element, what, value, exc) from None


def _user_task(task: etree._Element, notes: list[Note]) -> None:
    task_id = task.get("id")

    def attribute(name: str) -> str | None:
        value = task.get(_q(CAMUNDA_NS, name))
        return value.strip() if value is not None and value.strip() else None

    groups = attribute("candidateGroups")
    if groups is not None:
        if has_expression(groups):
            _expression(task, CANDIDATE_GROUPS_EXPRESSION, "camunda:candidateGroups", groups)
        else:
            _set(task, "candidateGroups", groups)
    assignee, users = attribute("assignee"), attribute("candidateUsers")
    if users is not None:
        several = not has_expression(users) and "," in users.strip(", ")
        if several or assignee is not None:
            raise BpmnInvalid(
                f"The userTask '{task_id}' has camunda:candidateUsers={users!r}"
                + (" and an assignee" if assignee is not None and not several else "")
                + ": Motcua offers a task to candidate groups, or to one user as its assignee. "
                "Use camunda:candidateGroups, or name a single user.",
                element_id=task_id,
                line=task.sourceline,
            )
        assignee = users.strip(", ")
        notes.append(Note(task_id, f"camunda:candidateUsers {users!r} is the task's assignee."))
    if assignee is not None:
        if not has_expression(assignee):
            _set(task, ASSIGNEE_EXPRESSION, repr(assignee))
        elif variable := _plain_variable(task, "camunda:assignee", assignee):
            _set(task, "assigneeVariable", variable)
        else:
            _expression(task, ASSIGNEE_EXPRESSION, "camunda:assignee", assignee)
    due = attribute("dueDate")
    if due is not None:
        if not has_expression(due):
            if not _ISO_VALUE.fullmatch(due):
                raise _refuse(task, "camunda:dueDate", due, ValueError("not an ISO 8601 date or duration"))
            if due.startswith("P"):
                _set(task, "dueIn", due)
            else:
                _set(task, DUE_DATE_EXPRESSION, repr(due))
        elif variable := _plain_variable(task, "camunda:dueDate", due):
            _set(task, "dueDateVariable", variable)
        else:
            _expression(task, DUE_DATE_EXPRESSION, "camunda:dueDate", due)
    follow_up = attribute("followUpDate")
    if follow_up is not None:
        if has_expression(follow_up):
            _expression(task, FOLLOW_UP_DATE_EXPRESSION, "camunda:followUpDate", follow_up)
        elif _ISO_VALUE.fullmatch(follow_up):
            _set(task, FOLLOW_UP_DATE_EXPRESSION, repr(follow_up))
        else:
            raise _refuse(
                task, "camunda:followUpDate", follow_up, ValueError("not an ISO 8601 date or duration")
            )
    priority = attribute("priority")
    if priority is not None:
        if has_expression(priority):
            _expression(task, PRIORITY_EXPRESSION, "camunda:priority", priority)
        else:
            _set(task, "priority", priority)


# An external task's topic: what workers subscribe to (no expression: it is matched as written).
EXTERNAL_TOPIC, EXTERNAL_PRIORITY = "externalTopic", "externalPriority"
EXTERNAL_OPERATOR = "external"
# The charset of a group name (a worker is given one topic by a group named after it).
_TOPIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _external_task(task: etree._Element, notes: list[Note]) -> None:
    """A service task for external workers: Camunda's attributes, or Motcua's own properties."""
    task_id = task.get("id")
    kind = (task.get(_q(CAMUNDA_NS, "type")) or "").strip()
    topic = (task.get(_q(CAMUNDA_NS, "topic")) or "").strip()
    own = _own_properties(task)
    if kind and kind != "external":
        return  # camunda:type="connector" and the like stay refused (no operator)
    if not kind and EXTERNAL_TOPIC not in own:
        return
    topic = topic or own.get(EXTERNAL_TOPIC, "").strip()
    if not _TOPIC.fullmatch(topic):
        raise BpmnInvalid(
            f"The external serviceTask '{task_id}' needs a topic (camunda:topic or the externalTopic "
            f"property): letters, digits and . _ -, at most 100 characters (got {topic!r}).",
            element_id=task_id,
            line=task.sourceline,
        )
    _set(task, EXTERNAL_TOPIC, topic)
    priority = (task.get(_q(CAMUNDA_NS, "taskPriority")) or own.get(EXTERNAL_PRIORITY) or "").strip()
    if priority:
        if not re.fullmatch(r"-?\d{1,9}", priority):
            raise BpmnInvalid(
                f"The task priority of serviceTask '{task_id}' must be a whole number (got {priority!r}); "
                "expressions are not supported there.",
                element_id=task_id,
                line=task.sourceline,
            )
        _set(task, EXTERNAL_PRIORITY, priority)
    extensions = task.find(_q(BPMN_NS, "extensionElements"))
    if extensions is not None and extensions.find(_q(SPIFF_NS, "serviceTaskOperator")) is not None:
        raise BpmnInvalid(
            f"The serviceTask '{task_id}' is external (topic {topic!r}) and also names a connector "
            "operator: choose one.",
            element_id=task_id,
            line=task.sourceline,
        )
    operator = etree.SubElement(_properties_node(task).getparent(), _q(SPIFF_NS, "serviceTaskOperator"))
    operator.set("id", EXTERNAL_OPERATOR)
    etree.SubElement(operator, _q(SPIFF_NS, "parameters"))
    notes.append(Note(task_id, f"The service task is an external task on topic {topic!r}."))


def _own_properties(element: etree._Element) -> dict[str, str]:
    extensions = element.find(_q(BPMN_NS, "extensionElements"))
    if extensions is None:
        return {}
    return {
        p.get("name", ""): p.get("value", "")
        for p in extensions.iterfind(f"{_q(SPIFF_NS, 'properties')}/{_q(SPIFF_NS, 'property')}")
    }


def _form_key(element: etree._Element) -> None:
    key = element.get(_q(CAMUNDA_NS, "formKey"))
    if key is None or not key.strip():
        return
    if has_expression(key):
        raise BpmnInvalid(
            f"The camunda:formKey of '{element.get('id')}' is an expression ({key!r}); Motcua checks "
            "forms at deploy, so a formKey must name a form of forms/ (forms/<key>.schema.json).",
            element_id=element.get("id"),
            line=element.sourceline,
        )
    _set(element, "formKey", key.strip())


def _camunda_extensions(element: etree._Element, notes: list[Note]) -> None:
    extensions = element.find(_q(BPMN_NS, "extensionElements"))
    if extensions is None:
        return
    for child in list(extensions):
        if not isinstance(child.tag, str) or etree.QName(child).namespace != CAMUNDA_NS:
            continue
        name = etree.QName(child).localname
        if name == "properties":
            for prop in child.iterfind(_q(CAMUNDA_NS, "property")):
                if prop.get("name"):
                    _set(element, prop.get("name", ""), prop.get("value", ""))
        elif name in _IGNORED_EXTENSIONS:
            notes.append(
                Note(element.get("id"), f"camunda:{name} is kept but ignored: {_IGNORED_EXTENSIONS[name]}.")
            )


def _asynchronous(element: etree._Element, notes: list[Note]) -> None:
    for name in ("asyncBefore", "asyncAfter"):
        if (element.get(_q(CAMUNDA_NS, name)) or "").strip().lower() == "true":
            notes.append(
                Note(
                    element.get("id"),
                    f"camunda:{name} is accepted and has no effect: every step of Motcua is already "
                    "one transaction, and service tasks always run in a worker.",
                )
            )


def _condition(flow: etree._Element, condition: etree._Element) -> None:
    language = (condition.get("language") or "").strip().lower()
    text = condition.text or ""
    if language and language not in ("python", "juel", "${}"):
        raise BpmnInvalid(
            f"The condition of sequenceFlow '{flow.get('id')}' is written in {language!r}; Motcua "
            "accepts ${...} expressions and Python.",
            element_id=flow.get("id"),
            line=condition.sourceline,
        )
    if not has_expression(text):
        return
    try:
        translated = translate(text.strip())
    except JuelRefused as exc:
        raise _refuse(flow, "condition", text.strip(), exc) from None
    if translated.text:
        raise _refuse(
            flow, "condition", text.strip(), ValueError("text around an expression is not a condition")
        )
    condition.text = translated.python


def timer_expression(text: str) -> str | None:
    """The Python a timer value becomes: a string literal for a bare ISO 8601 date, duration or
    cycle; the translation of a `${...}` expression; None when it is already Motcua's own Python."""
    value = text.strip()
    if has_expression(value):
        return translate(value).python
    if _ISO_VALUE.fullmatch(value) or _ISO_CYCLE.fullmatch(value):
        return repr(value)
    return None


def _timer(event: etree._Element, definition: etree._Element) -> None:
    for name in ("timeDate", "timeDuration", "timeCycle"):
        node = definition.find(_q(BPMN_NS, name))
        if node is None or node.text is None:
            continue
        try:
            python = timer_expression(node.text)
        except JuelRefused as exc:
            raise _refuse(event, f"{name} timer", node.text.strip(), exc) from None
        if python is not None:
            node.text = python


def adapt(process: etree._Element, notes: list[Note]) -> None:
    """Map the Camunda attributes and expressions of one process element, in place (see above)."""
    for element in process.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
            continue
        kind = etree.QName(element).localname
        if kind in _USER_TASKS:
            _user_task(element, notes)
        if kind == "serviceTask":
            _external_task(element, notes)
        if kind in _USER_TASKS or kind == "startEvent":
            _form_key(element)
        _camunda_extensions(element, notes)
        _asynchronous(element, notes)
        if (element.get(_q(CAMUNDA_NS, "exclusive")) or "").strip().lower() == "false":
            notes.append(Note(element.get("id"), "camunda:exclusive=false is accepted and has no effect."))
        if kind == "sequenceFlow":
            condition = element.find(_q(BPMN_NS, "conditionExpression"))
            if condition is not None:
                _condition(element, condition)
        elif kind == "timerEventDefinition":
            parent = element.getparent()
            _timer(parent if parent is not None else element, element)
        elif kind == "dataStoreReference":
            notes.append(
                Note(
                    element.get("id"),
                    "The data store is kept in the diagram and describes only: nothing reads or writes it.",
                )
            )


_HUMAN_TASKS = {"userTask", "manualTask"}
UNIT_PROPERTIES = ("unit", "unitVariable")


def own_properties(element: etree._Element) -> dict[str, str]:
    """The element's own spiffworkflow:properties (after the Camunda ones were mapped), by name."""
    extensions = element.find(_q(BPMN_NS, "extensionElements"))
    if extensions is None:
        return {}
    return {
        p.get("name", ""): p.get("value", "")
        for p in extensions.iterfind(f"{_q(SPIFF_NS, 'properties')}/{_q(SPIFF_NS, 'property')}")
        if p.get("name")
    }


def human_tasks(process: etree._Element) -> list[etree._Element]:
    """The user and manual tasks of a process element (its embedded subprocesses included)."""
    return [
        el
        for el in process.iter()
        if isinstance(el.tag, str)
        and etree.QName(el).namespace == BPMN_NS
        and etree.QName(el).localname in _HUMAN_TASKS
    ]


def pool_scope(process: etree._Element) -> tuple[str, str] | None:
    """Hand a pool's org unit to its human tasks: the process's own `unit` (a unit code) or
    `unitVariable` (the variable holding one) property, as spiffworkflow:properties or
    camunda:properties on the process, is given to each of its user and manual tasks that names
    neither itself. Returns the pool's (property, value), or None when it declares none."""
    props = own_properties(process)
    found = next(
        ((name, props[name].strip()) for name in UNIT_PROPERTIES if props.get(name, "").strip()), None
    )
    if found is None:
        return None
    for task in human_tasks(process):
        if not any(own_properties(task).get(name) for name in UNIT_PROPERTIES):
            _set(task, *found)
    return found
