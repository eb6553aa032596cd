"""Hardened BPMN parsing: untrusted bytes in, a validated, compiled definition out.

The XML is parsed by an lxml parser built here with entity resolution, DTD loading
and network access switched off, after a size check; documents that carry a DOCTYPE
are refused outright (no BPMN modeler writes one, and it is where entity tricks live).
Only then does SpiffWorkflow's parser, with its XSD validator, see the tree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .checks import check_budgets, check_scripts
from .collaboration import Pool, collaboration_note, exchanging, members, pools
from .declarations import Declarations, declarations
from .errors import BpmnInvalid, BpmnTooLarge
from .limits import Budgets
from .modeler import Note, adapt, pool_scope
from .serialization import spec_registry

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ParsedDefinition:
    """What a deploy stores: the process key, its name, the checksum and the compiled spec."""

    key: str
    name: str
    checksum: str
    spec_blob: str
    # The forms the human tasks name: (element id, property, form key, line in the file).
    form_refs: tuple[tuple[str, str, str, int | None], ...] = ()
    # Start form, starters and the variables the process computes (engine/declarations.py).
    declarations: Declarations = field(default_factory=Declarations)
    # A collaboration's pools (collaboration.py); empty for a process deployed on its own.
    pools: tuple[Pool, ...] = ()


def checksum(data: bytes) -> str:
    """The identity of a BPMN file's content (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes safely, or raise BpmnTooLarge / BpmnInvalid."""
    if len(data) > max_bytes:
        raise BpmnTooLarge(f"The BPMN file is {len(data)} bytes; the limit is {max_bytes} bytes.")
    if not data.strip():
        raise BpmnInvalid("The BPMN file is empty.")
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise BpmnInvalid(f"The file is not well-formed XML: {exc.msg}", line=exc.lineno) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise BpmnInvalid("DOCTYPE declarations are not allowed in BPMN files.", line=1)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise BpmnInvalid(
            "The root element must be bpmn:definitions in the BPMN 2.0 model namespace.", line=1
        )
    return tree


def _line_of(tree: etree._ElementTree, element_id: str | None) -> int | None:
    if not element_id:
        return None
    found = tree.getroot().xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def _executable_process(tree: etree._ElementTree) -> etree._Element:
    processes = tree.getroot().findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable", "false").lower() == "true"]
    if len(executable) != 1:
        ids = ", ".join(p.get("id", "?") for p in executable) or "none"
        raise BpmnInvalid(
            "A BPMN file must declare exactly one executable process "
            f'(isExecutable="true"); this one declares {len(executable)} ({ids}).',
            line=(executable[1].sourceline if len(executable) > 1 else None),
        )
    return executable[0]


_REFERENCES = ("sourceRef", "targetRef", "attachedToRef", "default")


def _check_references(process: etree._Element) -> None:
    """Every flow, boundary event and default names an element of its process.

    SpiffWorkflow finds a node's outgoing flows by sourceRef, so a dangling reference is
    otherwise silently ignored (an element becomes a dead end) or reported obscurely.
    """
    ids = {el.get("id") for el in process.iter() if el.get("id")}
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in _REFERENCES:
            ref = element.get(attribute)
            if ref is not None and ref not in ids:
                kind = etree.QName(element).localname
                raise BpmnInvalid(
                    f"The {kind} '{element.get('id')}' has {attribute}=\"{ref}\", "
                    f"but the process has no element with that id.",
                    element_id=element.get("id"),
                    line=element.sourceline,
                )


def _callable_as_executable(tree: etree._ElementTree, key: str) -> None:
    """Let SpiffWorkflow compile processes the main one calls, whatever their isExecutable says.

    Only the main process is deployed under its key; a called process is part of its spec.
    """
    called = {el.get("calledElement") for el in tree.getroot().iter(f"{{{BPMN_NS}}}callActivity")}
    for process in tree.getroot().findall(f"{{{BPMN_NS}}}process"):
        if process.get("id") in called and process.get("id") != key:
            process.set("isExecutable", "true")


def _form_refs(
    spec: Any, subprocess_specs: dict[str, Any], tree: etree._ElementTree
) -> tuple[tuple[str, str, str, int | None], ...]:
    """The form each user or manual task names (formKey, or formJsonSchemaFilename as the engine
    reads it), with the element's line, so the service can check the forms exist."""
    refs = []
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            if type(task_spec).__name__ not in {"UserTask", "ManualTask"}:
                continue
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            name = "formKey" if properties.get("formKey") else "formJsonSchemaFilename"
            if properties.get(name):
                bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
                refs.append((bpmn_id, name, str(properties[name]), _line_of(tree, bpmn_id)))
    return tuple(refs)


@dataclass(frozen=True)
class ParsedFile:
    """What a deploy of one file stores: each executable process compiled as its own definition,
    the processes kept but not started, and the report of what is kept but will not run.

    A file without an executable process is a diagram only: `definitions` is empty, and `key`
    (the bpmn:definitions id, else the first process id, else the file's name) names it."""

    key: str
    name: str
    checksum: str
    definitions: tuple[ParsedDefinition, ...]
    non_executable: tuple[str, ...] = ()
    report: tuple[Note, ...] = ()

    @property
    def diagram_only(self) -> bool:
        return not self.definitions


def _compile_error(exc: Exception, tree: etree._ElementTree) -> BpmnInvalid:
    if isinstance(exc, ValidationException):
        element_id = getattr(exc, "id", None) or None
        line = exc.line_number if isinstance(exc.line_number, int) else _line_of(tree, element_id)
        return BpmnInvalid(str(exc).split("\n")[0], element_id=element_id, line=line)
    if isinstance(exc, SpiffWorkflowException | etree.DocumentInvalid):
        return BpmnInvalid(str(exc).split("\n")[0])
    # SpiffWorkflow's parser reports some malformed models through plain exceptions.
    return BpmnInvalid(f"The BPMN model could not be compiled: {exc.__class__.__name__}: {exc}")


_COMPILE_ERRORS = (
    ValidationException,
    SpiffWorkflowException,
    etree.DocumentInvalid,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
)


def _compile(
    parser: SpiffBpmnParser, tree: etree._ElementTree, process: etree._Element, data: bytes, budgets: Budgets
) -> ParsedDefinition:
    key = process.get("id")
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except _COMPILE_ERRORS as exc:
        raise _compile_error(exc, tree) from None
    return _definition(
        tree,
        key,
        process.get("name") or key,
        (spec, subprocess_specs),
        declarations(spec, subprocess_specs, process),
        data,
        budgets,
    )


def _compile_collaboration(
    parser: SpiffBpmnParser,
    tree: etree._ElementTree,
    collaboration: etree._Element,
    processes: list[etree._Element],
    described: tuple[Pool, ...],
    data: bytes,
    budgets: Budgets,
) -> ParsedDefinition:
    """The pools of a collaboration as one definition keyed by its id (collaboration.py): started at
    the pool with a plain start event, whose start form, starters and initiator it takes."""
    key = collaboration.get("id")
    if not key:
        raise BpmnInvalid("The collaboration needs an id: it is the key its definition is deployed under.")
    try:
        spec, subprocess_specs = parser.get_collaboration(key)
    except _COMPILE_ERRORS as exc:
        raise _compile_error(exc, tree) from None
    first = next(pool.process_id for pool in described if pool.starts == "start")
    starter = next(p for p in processes if p.get("id") == first)
    return _definition(
        tree,
        key,
        collaboration.get("name") or key,
        (spec, subprocess_specs),
        declarations(subprocess_specs[first], subprocess_specs, starter),
        data,
        budgets,
        described,
    )


def _definition(
    tree: etree._ElementTree,
    key: str,
    name: str,
    specs: tuple[Any, dict[str, Any]],
    declared: Declarations,
    data: bytes,
    budgets: Budgets,
    described: tuple[Pool, ...] = (),
) -> ParsedDefinition:
    spec, subprocess_specs = specs
    check_scripts(spec, subprocess_specs, lambda element_id: _line_of(tree, element_id))
    check_budgets(spec, subprocess_specs, lambda element_id: _line_of(tree, element_id), budgets)
    registry = spec_registry()
    blob = json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
        },
        separators=(",", ":"),
    )
    return ParsedDefinition(
        key=key,
        name=name,
        checksum=checksum(data),
        spec_blob=blob,
        form_refs=_form_refs(spec, subprocess_specs, tree),
        declarations=declared,
        pools=described,
    )


def parse_file(
    data: bytes,
    *,
    filename: str = "upload.bpmn",
    max_bytes: int = DEFAULT_MAX_BYTES,
    budgets: Budgets | None = None,
) -> ParsedFile:
    """Validate a BPMN file and compile each of its executable processes (ParsedFile).

    Camunda Modeler's attributes and expressions are mapped first (modeler.py). Raises
    BpmnTooLarge or BpmnInvalid (with the element id and line where known); `budgets` (default:
    limits.Budgets()) bounds the literal values of the model (checks.py).
    """
    tree = parse_xml(data, max_bytes=max_bytes)
    root = tree.getroot()
    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable", "false").lower() == "true"]
    for each in processes:
        _check_references(each)
    called = {el.get("calledElement") for p in executable for el in p.iter(f"{{{BPMN_NS}}}callActivity")}
    notes: list[Note] = []
    kept = []
    for process in processes:
        if process in executable or process.get("id") in called:
            adapt(process, notes)
            pool_scope(process)  # a `unit` / `unitVariable` on the process scopes its tasks
        else:
            kept.append(process.get("id") or "?")
            label = f" ({process.get('name')})" if process.get("name") else ""
            notes.append(
                Note(
                    process.get("id"),
                    f"The process '{process.get('id')}'{label} is not executable: it is kept with the "
                    "file as a diagram and never started.",
                )
            )
    for process in executable:
        _callable_as_executable(tree, process.get("id"))
    collaboration = exchanging(root, executable)
    joined = members(collaboration, executable) if collaboration is not None else []
    described = pools(collaboration, joined) if collaboration is not None else ()
    if collaboration is not None:
        notes.append(collaboration_note(collaboration, described))
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(tree, filename=filename)
    except _COMPILE_ERRORS as exc:
        raise _compile_error(exc, tree) from None
    budgets = budgets or Budgets()
    compiled = tuple(
        _compile(parser, tree, process, data, budgets) for process in executable if process not in joined
    )
    if collaboration is not None:
        together = _compile_collaboration(parser, tree, collaboration, joined, described, data, budgets)
        compiled = (together, *compiled)
    first = processes[0] if processes else None
    key = root.get("id") or (first.get("id") if first is not None else None) or filename.rsplit(".", 1)[0]
    name = root.get("name") or (first.get("name") if first is not None else None) or key
    if len(compiled) == 1:
        key, name = compiled[0].key, compiled[0].name
    return ParsedFile(
        key=key,
        name=name,
        checksum=checksum(data),
        definitions=compiled,
        non_executable=tuple(kept),
        report=tuple(notes),
    )


def parse_definition(
    data: bytes,
    *,
    filename: str = "upload.bpmn",
    max_bytes: int = DEFAULT_MAX_BYTES,
    budgets: Budgets | None = None,
) -> ParsedDefinition:
    """Validate a BPMN file and compile its single definition: its one executable process, or its
    pools that exchange messages (a collaboration); BpmnInvalid otherwise (parse_file takes any
    number). See parse_file."""
    tree = parse_xml(data, max_bytes=max_bytes)
    processes = tree.getroot().findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable", "false").lower() == "true"]
    if exchanging(tree.getroot(), executable) is None:
        _executable_process(tree)
    parsed = parse_file(data, filename=filename, max_bytes=max_bytes, budgets=budgets)
    if len(parsed.definitions) != 1:
        keys = ", ".join(d.key for d in parsed.definitions)
        raise BpmnInvalid(
            f"The file declares {len(parsed.definitions)} definitions ({keys}); one was expected."
        )
    return parsed.definitions[0]
