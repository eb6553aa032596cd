"""The process library: bpmn/dossier.bpmn, bpmn/internal_procedure.bpmn and bpmn/tthc_publication.bpmn.

Each file is deployed as the service deploys it (XSD validation, sandbox check of every script) and driven
through the engine adapter with a fixed `now`, playing the service's part: every task is completed with
data that is first validated against the task's form (forms/<formKey>.schema.json), which proves that the
forms and the processes agree, and the `dossierStatus`, `clock` and `document` properties of the tasks that
open and the elements that complete are read in the order the service reads them.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.util.task import TaskState

from service.calendar.workcal import WorkingCalendar
from service.engine import (
    CompiledDefinition,
    Engine,
    EventNotExpected,
    HumanTask,
    StepResult,
    declarations,
    parse_definition,
)
from service.engine.serialization import load_state

from .conftest import NOW, Instance

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR, FORMS_DIR = ROOT / "bpmn", ROOT / "forms"
PROCESSES = ("dossier", "internal_procedure", "tthc_publication")
# The offices' working calendar the service hands the commands of a model that counts days.
OFFICE = WorkingCalendar()
GROUPS = {
    "reception",
    "unit_heads",
    "specialists",
    "leaders",
    "records",
    "coordinators",
    "departments",
    "provincial_office",
    "chairman",
    "lower_levels",
    "it_department",
    "units",
}
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# What the service injects when digitise completes: one working day before the due date.
APOLOGY_AT = NOW + timedelta(days=4)


# --- deploying and reading the files --------------------------------------------------------------


@cache
def spec_blob(key: str) -> str:
    data = (BPMN_DIR / f"{key}.bpmn").read_bytes()
    parsed = parse_definition(data, filename=f"{key}.bpmn")
    assert parsed.key == key
    return parsed.spec_blob


def deploy_library(engine: Engine, key: str) -> CompiledDefinition:
    return engine.compile(spec_blob(key))


@cache
def tree(key: str) -> etree._ElementTree:
    return etree.parse(str(BPMN_DIR / f"{key}.bpmn"))


def task_specs(key: str) -> list:
    """Every BPMN task spec of a process, its subprocesses included (MI instances counted once)."""
    definition = CompiledDefinition.from_blob(spec_blob(key))
    specs = [definition.spec, *definition.subprocess_specs.values()]
    return [ts for s in specs for ts in s.task_specs.values() if getattr(ts, "bpmn_id", None)]


def properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties") or {}


def user_tasks(key: str) -> dict:
    """element id -> task spec of every user task (the instance spec, for a multi-instance task)."""
    return {ts.bpmn_id: ts for ts in task_specs(key) if ts.manual}


@cache
def form_schema(form_key: str) -> dict:
    return json.loads((FORMS_DIR / f"{form_key}.schema.json").read_text(encoding="utf-8"))


@cache
def form_validator(form_key: str) -> Draft202012Validator:
    return Draft202012Validator(form_schema(form_key), format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_form(task: HumanTask, data: dict) -> None:
    """The data fits the task's form, as the service checks it before completing the task."""
    assert task.form_key, f"{task.element_id} has no formKey"
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}"
        for e in form_validator(task.form_key).iter_errors(data)
    ]
    assert not errors, f"{task.element_id}: the data does not fit {task.form_key}: {errors}"


# --- driving an instance as the service does ------------------------------------------------------


@dataclass
class Run(Instance):
    """An Instance that validates every completion against the task's form and records the effects."""

    statuses: list[int] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def complete_task(self, task: HumanTask, injected: dict | None = None, **data) -> StepResult:
        check_form(task, data)
        # The service validates the form data, then adds its own variables (steps.completion_inputs).
        return super().complete_task(task, **data, **(injected or {}))

    def complete(self, element_id: str, injected: dict | None = None, **data) -> StepResult:
        return self.complete_task(self.task(element_id), injected, **data)

    def serve(self, call: dict, answer: dict, *, now: datetime = NOW) -> StepResult:
        """Hand a service task the answer its worker got."""
        return self._apply(
            self.engine.complete_service_task(self.definition, self.state, call["task_id"], answer, now=now)
        )

    def deliver(self, name: str, payload: dict, *, now: datetime = NOW) -> StepResult:
        return self._apply(self.engine.deliver_message(self.definition, self.state, name, payload, now=now))

    def complete_service(self, call: dict, answer: dict, *, now: datetime = NOW) -> StepResult:
        """The service's worker hands a connector's answer to the waiting service task."""
        return self._apply(
            self.engine.complete_service_task(self.definition, self.state, call["task_id"], answer, now=now)
        )

    def fire_timers(self, now: datetime) -> StepResult:
        return self._apply(self.engine.fire_timers(self.definition, self.state, now=now))

    def _apply(self, result: StepResult) -> StepResult:
        self.result = result
        self._record(result)
        return result

    def _record(self, result: StepResult) -> None:
        assert result.error is None, result.error
        super()._record(result)
        # The order the service reads them in: completed elements, then the tasks that opened.
        for props in [e["properties"] for e in result.completed_elements] + [
            t.properties for t in result.opened
        ]:
            if props.get("dossierStatus"):
                self.statuses.append(int(props["dossierStatus"]))
        self.documents += [
            e["properties"]["document"] for e in result.completed_elements if "document" in e["properties"]
        ]

    def status_changes(self) -> list[int]:
        changes: list[int] = []
        for status in self.statuses:
            if not changes or changes[-1] != status:
                changes.append(status)
        return changes

    def data_of(self, element_id: str) -> list[dict]:
        """The task data of the ready tasks of an element (what a form would be shown with)."""
        workflow = load_state(self.state, self.definition.spec, self.definition.subprocess_specs)
        return [
            t.data
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if t.task_spec.bpmn_id == element_id
        ]

    def task_data(self, task: HumanTask) -> dict:
        """The task data of one ready task (e.g. the element variable of a multi-instance task)."""
        workflow = load_state(self.state, self.definition.spec, self.definition.subprocess_specs)
        return workflow.get_task_from_id(UUID(task.id)).data

    def waiting_messages(self) -> list[str]:
        return self.engine.waiting_messages(self.definition, self.state)


def opened(result: StepResult) -> list[str]:
    return sorted(t.element_id for t in result.opened)


def completed(result: StepResult) -> list[str]:
    return [e["element_id"] for e in result.completed_elements]


# ==================================================================================================
# Static checks of the three files and their forms
# ==================================================================================================


@pytest.mark.parametrize("key", PROCESSES)
def test_file_deploys_with_xsd_validation_as_one_executable_process(key):
    parsed = parse_definition((BPMN_DIR / f"{key}.bpmn").read_bytes(), filename=f"{key}.bpmn")
    assert parsed.key == key
    processes = tree(key).getroot().findall("bpmn:process", NS)
    assert [p.get("isExecutable") for p in processes] == ["true"]


@pytest.mark.parametrize("key", PROCESSES)
def test_ids_are_snake_case_and_flow_nodes_have_vietnamese_names(key):
    root = tree(key).getroot()
    # a service task's operator and parameters: their ids name the operation and its parameters
    operators = ("serviceTaskOperator", "parameter")
    ids = [  # BPMN and diagram ids
        el.get("id")
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id") and etree.QName(el).localname not in operators
    ]
    assert [i for i in ids if not SNAKE.match(i)] == []
    assert len(ids) == len(set(ids))
    named = ("userTask", "scriptTask", "subProcess", "startEvent", "endEvent", "boundaryEvent")
    for kind in named:
        for el in root.iter(f"{{{NS['bpmn']}}}{kind}"):
            assert el.get("name") and not el.get("name").isascii(), f"{el.get('id')}: no Vietnamese name"
    lane_names = {lane.get("name") for lane in root.iter(f"{{{NS['bpmn']}}}lane")}
    assert lane_names <= GROUPS


@pytest.mark.parametrize("key", PROCESSES)
def test_every_flow_node_and_flow_is_drawn(key):
    """Diagram interchange: shapes inside their lane and container, edges ending on their shapes."""
    root = tree(key).getroot()
    bounds = {}
    for shape in root.iter(f"{{{NS['bpmndi']}}}BPMNShape"):
        b = shape.find("dc:Bounds", NS)
        bounds[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    process = root.find("bpmn:process", NS)
    lanes = {}
    for lane in process.iter(f"{{{NS['bpmn']}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[ref.text] = lane.get("id")
    flow_kinds = ("Event", "Task", "Gateway", "subProcess")
    for el in process.iter():
        if not isinstance(el.tag, str):
            continue
        kind, eid = etree.QName(el).localname, el.get("id")
        if kind.endswith(flow_kinds) and not kind.endswith("Definition"):
            assert eid in bounds, f"{eid} has no shape"
            x, y, w, h = bounds[eid]
            parent = el.getparent()
            if etree.QName(parent).localname == "subProcess":  # inside its container
                px, py, pw, ph = bounds[parent.get("id")]
                assert px <= x and x + w <= px + pw and py <= y and y + h <= py + ph, eid
            if kind == "boundaryEvent":  # on its host's border
                hx, hy, hw, hh = bounds[el.get("attachedToRef")]
                cx, cy = x + w / 2, y + h / 2
                on_edge = (cx in (hx, hx + hw) and hy <= cy <= hy + hh) or (
                    cy in (hy, hy + hh) and hx <= cx <= hx + hw
                )
                assert on_edge, eid
            if eid in lanes:  # inside its lane
                _lx, ly, _lw, lh = bounds[lanes[eid]]
                assert ly <= y and y + h <= ly + lh, f"{eid} is drawn outside {lanes[eid]}"
            elif kind != "subProcess":
                raise AssertionError(f"{eid} is in no lane")
        if kind == "sequenceFlow":
            edge = root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{eid}']", NS)
            assert edge is not None, f"{eid} has no edge"
            points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
            assert len(points) >= 2
            for (px, py), ref in ((points[0], el.get("sourceRef")), (points[-1], el.get("targetRef"))):
                x, y, w, h = bounds[ref]
                on_border = (x - 1 <= px <= x + w + 1) and (y - 1 <= py <= y + h + 1)
                assert on_border, f"{eid} does not touch {ref}"
            for (ax, ay), (bx, by) in itertools.pairwise(points):
                assert ax == bx or ay == by, f"{eid} has a diagonal segment"


def _along(a, b) -> float:
    """How far two axis-parallel segments run along each other (0 when they do not)."""
    (a1, a2), (b1, b2) = a, b
    for axis in (0, 1):
        other = 1 - axis
        if a1[axis] == a2[axis] == b1[axis] == b2[axis]:
            low = max(min(a1[other], a2[other]), min(b1[other], b2[other]))
            high = min(max(a1[other], a2[other]), max(b1[other], b2[other]))
            return max(0.0, high - low)
    return 0.0


# Two flows leaving a gateway by one corner may share their first stub, no more: beyond it a
# reader could not tell which line goes where.
SHARED_STUB = 40


@pytest.mark.parametrize("key", PROCESSES)
def test_no_two_flows_are_drawn_along_each_other(key):
    root = tree(key).getroot()
    edges = {
        edge.get("bpmnElement"): list(
            itertools.pairwise(
                (float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)
            )
        )
        for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")
    }
    along = [
        (a, b, length)
        for (a, first), (b, second) in itertools.combinations(edges.items(), 2)
        if (length := max((_along(x, y) for x in first for y in second), default=0.0)) > SHARED_STUB
    ]
    assert along == []


@pytest.mark.parametrize("key", PROCESSES)
def test_every_user_task_has_a_lane_group_and_a_valid_form(key):
    tasks = user_tasks(key)
    assert tasks
    for element_id, spec in tasks.items():
        assert spec.lane in GROUPS, f"{element_id} is in lane {spec.lane!r}"
        form_key = properties(spec).get("formKey")
        assert form_key == f"{key}_{element_id}"
        schema_path, ui_path = FORMS_DIR / f"{form_key}.schema.json", FORMS_DIR / f"{form_key}.ui.json"
        assert schema_path.is_file() and ui_path.is_file(), form_key
        schema = form_schema(form_key)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and schema["title"]
        assert set(schema["required"]) <= set(schema["properties"])
        for name, prop in schema["properties"].items():
            assert prop.get("title"), f"{form_key}.{name} has no title"
        ui = json.loads(ui_path.read_text(encoding="utf-8"))
        assert set(ui) >= {"order", "labels", "widgets"}
        assert ui["order"] == list(schema["properties"])
        assert set(ui["labels"]) == set(schema["properties"])
        assert set(ui["widgets"]) <= set(schema["properties"])
        for name, options in ui.get("options", {}).items():
            enum = schema["properties"][name].get("enum") or schema["properties"][name]["items"]["enum"]
            assert list(options) == enum, f"{form_key}.{name}: option labels do not match the enum"


def test_every_form_of_the_library_belongs_to_a_user_task():
    keys = {properties(spec)["formKey"] for key in PROCESSES for spec in user_tasks(key).values()}
    # or to a process's start (tthc_publication asks for the units that publish)
    keys |= {properties(spec).get("formKey") for key in PROCESSES for spec in task_specs(key)} - {None}
    files = {p.name.removesuffix(".schema.json") for p in FORMS_DIR.glob("*.schema.json")}
    library = {f for f in files if f.startswith(tuple(f"{key}_" for key in PROCESSES))}
    assert library == keys


def test_allotments_are_positive_numbers_of_working_days():
    allotments = {
        (key, ts.bpmn_id): properties(ts)
        for key in PROCESSES
        for ts in task_specs(key)
        if "allotment" in properties(ts)
    }
    assert {key for key, _ in allotments} == {"dossier", "tthc_publication"}
    for (key, element_id), props in allotments.items():
        assert float(props["allotment"]) > 0, f"{key}.{element_id}"
        assert "dueIn" not in props, f"{key}.{element_id}: allotment, not dueIn"


def test_publication_allotments_follow_the_seed():
    allotments = {
        ts.bpmn_id: properties(ts).get("allotment") for ts in task_specs("tthc_publication") if ts.manual
    }
    assert allotments == {
        "submit_publication_decision": "1",
        "submit_catalogue_decision": "3",
        "sign_decision": None,
        "approve_localisation": "1",
    }
    services = {ts.bpmn_id: properties(ts).get("allotment") for ts in task_specs("tthc_publication")}
    # the calls to the national database and the portals keep the seed's one day each
    assert {k: services[k] for k in ("publish_national", "publish_provincial", "publish_unit")} == {
        "publish_national": "1",
        "publish_provincial": "1",
        "publish_unit": "1",
    }


def test_internal_procedure_deadlines_are_dates_counted_in_its_day_kind():
    """The seed says "10 ngày" / "15 ngày" / "05 ngày" and not which kind: the model states its
    reading (working days, dayKind) and why, quoting the seed, and counts with days_after."""
    tasks = user_tasks("internal_procedure")
    assert properties(tasks["approve_procedure"]).get("dueDateVariable") == "approval_deadline"
    assert properties(tasks["configure_system"]).get("dueDateVariable") == "configuration_deadline"
    assert "allotment" not in properties(tasks["configure_system"])
    specs = {ts.bpmn_id: ts for ts in task_specs("internal_procedure")}
    assert "days_after(publication_decision_date, approval_days)" in specs["compute_approval_deadline"].script
    assert "days_after(approval_date, 5)" in specs["compute_configuration_deadline"].script
    process = tree("internal_procedure").getroot().find("bpmn:process", NS)
    documentation = process.find("bpmn:documentation", NS).text
    assert "Chậm nhất sau 10 ngày kể từ ngày có quyết định Công bố TTHC" in documentation  # the seed
    assert "dayKind=working" in documentation
    # no claim the seed does not support (it never writes "ngày làm việc" for a deadline)
    assert all("các mục khác của kế hoạch" not in (ts.documentation or "") for ts in specs.values())


@pytest.mark.parametrize("key", PROCESSES)
def test_every_model_states_how_it_counts_days(key):
    """dayKind on the process (the starting pool of a collaboration), and its reading in words."""
    root = tree(key).getroot()
    process = root.find("bpmn:process", NS)
    declared = declarations.day_kind(process)
    documented = " ".join(
        el.text or ""
        for el in root.iter(f"{{{NS['bpmn']}}}documentation")
        if el.getparent().tag.endswith(("process", "collaboration"))
    )
    assert 'Cách tính "ngày"' in documented or "ngày làm việc" in documented, key
    assert declared == "working"


def test_dossier_properties_follow_the_service_conventions():
    by_id = {ts.bpmn_id: properties(ts) for ts in task_specs("dossier")}
    statuses = {element: int(p["dossierStatus"]) for element, p in by_id.items() if "dossierStatus" in p}
    assert statuses == {
        "digitise": 2,
        "end_refused": 3,
        "assign": 4,
        "appraise": 4,
        "await_supplement": 5,
        "await_financial": 6,
        "financial_met": 4,  # the obligation met: back to processing, on to approval
        "return_result": 9,
        "end_returned": 10,
        "hand_back": 7,  # withdrawn as soon as the applicant asks (the hand-back follows)
        "end_withdrawn": 7,
        "stop_notified": 8,
    }
    outcomes = {element: p["dossierOutcome"] for element, p in by_id.items() if "dossierOutcome" in p}
    assert outcomes == {
        "end_guided": "guided",
        "end_refused": "not_received",
        "issue_result": "approved",
        "issue_refusal": "refused",
        "issue_stop_notice": "stopped",
        "hand_back": "withdrawn",
    }
    documents = {element: p["document"] for element, p in by_id.items() if "document" in p}
    assert documents == {
        "digitise": "mau-01",
        "end_guided": "mau-02",
        "supplement_requested": "mau-02",
        "end_refused": "mau-03",
        "apology": "mau-04",
    }
    paused = {element for element, p in by_id.items() if p.get("clock") == "paused"}
    assert paused == {"await_supplement", "await_financial"}


def _condition_values(expression: str) -> tuple[str, set]:
    """`name == "x"`, `name == True` or `name in ("x", "y")` -> (name, values)."""
    node = ast.parse(expression, mode="eval").body
    assert isinstance(node, ast.Compare) and len(node.ops) == 1, expression
    name, (op,), (right,) = node.left.id, node.ops, node.comparators
    if isinstance(op, ast.Eq):
        return name, {ast.literal_eval(right)}
    assert isinstance(op, ast.In), expression
    return name, set(ast.literal_eval(right))


# Decisions on what the service wrote, or computed by the process (postScripts) from what it wrote
# or a form may leave out: booleans, each gateway covering True and False.
COMPUTED_DECISIONS = {
    "fee_due",  # digitise: the catalogue's fee_amount > 0 (the fee step requests it online)
    "financial_payable",  # appraise: the obligation's amount is known (an online payment request)
    "result_signed",  # issue_result: e_result_signed, the service's check of the signed PDF
    "pickup_requested",  # written by the service at reception: the post collects the documents
}


@pytest.mark.parametrize("key", PROCESSES)
def test_decision_enums_and_gateway_conditions_agree(key):
    """Every gateway reads a required enum (or boolean) of a form, or a boolean the process computes,
    and its flows cover exactly its values."""
    root = tree(key).getroot()
    forms = [form_schema(properties(spec)["formKey"]) for spec in user_tasks(key).values()]
    flows = {f.get("id"): f for f in root.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    seen = 0
    for gateway in root.iter(f"{{{NS['bpmn']}}}exclusiveGateway"):
        outgoing = [flows[o.text] for o in gateway.findall("bpmn:outgoing", NS)]
        conditions = [f.find("bpmn:conditionExpression", NS) for f in outgoing]
        if len(outgoing) < 2:
            continue  # a merge
        assert gateway.get("default") is None, "a decision must not fall silently into a default flow"
        assert all(c is not None for c in conditions), gateway.get("id")
        names, values = set(), []
        for condition in conditions:
            name, vals = _condition_values(condition.text)
            names.add(name)
            values.append(vals)
        (variable,) = names
        covered = set().union(*values)
        assert sum(len(v) for v in values) == len(covered), f"{gateway.get('id')}: overlapping conditions"
        seen += 1
        if variable in COMPUTED_DECISIONS:
            assert covered == {True, False}, f"{gateway.get('id')} covers {covered}"
            continue
        defining = [f for f in forms if variable in f["properties"]]
        assert defining, f"no form defines {variable}"
        for schema in defining:
            assert variable in schema["required"], f"{schema['title']}: {variable} must be required"
            prop = schema["properties"][variable]
            expected = {True, False} if prop["type"] == "boolean" else set(prop["enum"])
            assert covered == expected, f"{gateway.get('id')} covers {covered}, the form offers {expected}"
    assert seen == {"dossier": 8, "internal_procedure": 2, "tthc_publication": 1}[key]


def test_forms_require_the_details_a_decision_needs():
    receive = form_validator("dossier_receive")
    assert not receive.is_valid({"reception_decision": "guide"})
    assert receive.is_valid(
        {"reception_decision": "guide", "missing_items": ["Bản sao CCCD"], "guidance": "Nộp bổ sung"}
    )
    assert not receive.is_valid({"reception_decision": "refuse"})
    assert not receive.is_valid({"reception_decision": "maybe"})
    appraise = form_validator("dossier_appraise")
    assert not appraise.is_valid({"appraisal_decision": "consult", "appraisal_opinion": "x"})
    assert not appraise.is_valid(
        {
            "appraisal_decision": "consult",
            "appraisal_opinion": "x",
            "agencies": [],
            "consultation_content": "y",
        }
    )
    assert not appraise.is_valid({"appraisal_decision": "request_financial", "appraisal_opinion": "x"})
    assert appraise.is_valid(
        {
            "appraisal_decision": "request_financial",
            "appraisal_opinion": "x",
            "financial_obligations": ["Lệ phí"],
        }
    )
    approve = form_validator("dossier_approve")
    assert not approve.is_valid({"approval_decision": "refuse"})
    draft = form_validator("internal_procedure_draft")
    base = {"procedure_codes": ["1.001"], "publication_decision_date": "2025-03-03", "draft_text": "x"}
    assert draft.is_valid({**base, "consult_lower_levels": False})
    assert not draft.is_valid({**base, "consult_lower_levels": True})
    assert not draft.is_valid(
        {**base, "consult_lower_levels": False, "publication_decision_date": "03/03/2025"}
    )


# ==================================================================================================
# dossier
# ==================================================================================================

DOSSIER_START = {
    "dossier_id": "5f0c1a9e-0000-4000-8000-000000000001",
    "procedure_code": "1.001234.000.00.00.H01",
    "procedure_name": "Cấp giấy phép xây dựng",
    "processing_days": 15.0,
    "channel": "direct",
    "applicant": {"name": "Nguyễn Văn A", "id_number": "089123456789", "address": "Long Xuyên, An Giang"},
    "components": [{"name": "Đơn đề nghị", "form": "original", "quantity": 1}],
    "apology_at": "9999-12-31T00:00:00+00:00",
    "fee_amount": 0,  # free (the catalogue's fee_amount; the service writes it)
    "pickup_requested": False,  # the documents are at the counter (the service writes it)
    "reception_unit": "TTPVHCC",
    "handling_unit": "SO-XD",
}
SERVICE_VARIABLES = {
    "dossier_code": "000.17.22.H01-250303-0001",
    "due_at": (APOLOGY_AT + timedelta(days=1)).isoformat(),
    "apology_at": APOLOGY_AT.isoformat(),
}
APPRAISAL = {"appraisal_opinion": "Hồ sơ hợp lệ, đủ điều kiện."}


@pytest.fixture
def dossier(engine) -> CompiledDefinition:
    return deploy_library(engine, "dossier")


def start_dossier(engine, definition) -> Run:
    run = Run.start(engine, definition, dict(DOSSIER_START))
    assert run.status == "running"
    assert opened(run.result) == ["receive"]
    return run


def to_appraisal(engine, definition) -> Run:
    """Accept, digitise (the service adds the dossier code, due date and apology moment) and assign."""
    run = start_dossier(engine, definition)
    run.complete("receive", reception_decision="accept")
    run.complete("digitise", injected=SERVICE_VARIABLES, all_components_digitised=True)
    run.complete("assign", specialist="chuyenvien.a", instruction="Thẩm định trong 02 ngày")
    assert run.ready_elements() == ["appraise"]
    return run


def test_dossier_waits_at_reception_with_the_start_variables(engine, dossier):
    run = start_dossier(engine, dossier)
    (task,) = run.result.opened
    assert task.candidate_groups == ("reception",)
    assert task.form_key == "dossier_receive"
    assert task.properties["allotment"] == "0.5"
    assert run.data_of("receive")[0]["applicant"]["name"] == "Nguyễn Văn A"
    assert run.statuses == []  # status 1 (Mới đăng ký) is the service's, before any step


def test_incomplete_dossier_is_guided_once_and_never_registered(engine, dossier):
    run = start_dossier(engine, dossier)
    result = run.complete(
        "receive",
        reception_decision="guide",
        missing_items=["Bản vẽ thiết kế"],
        guidance="Bổ sung bản vẽ thiết kế có chữ ký của đơn vị tư vấn.",
    )
    assert result.status == "completed"
    assert "end_guided" in completed(result)
    assert run.documents == ["mau-02"]
    assert run.statuses == []  # not registered: no code, no clock
    assert result.variables["missing_items"] == ["Bản vẽ thiết kế"]


def test_ineligible_dossier_is_refused_with_status_3_and_mau_03(engine, dossier):
    run = start_dossier(engine, dossier)
    result = run.complete("receive", reception_decision="refuse", refusal_reason="Không thuộc thẩm quyền.")
    assert result.status == "completed"
    assert "end_refused" in completed(result)
    assert run.status_changes() == [3]
    assert run.documents == ["mau-03"]


def test_accepted_dossier_goes_through_every_step_to_returned(engine, dossier):
    run = start_dossier(engine, dossier)
    groups = {}

    def step(element_id, **data):
        task = run.task(element_id)
        groups[element_id] = task.candidate_groups
        return run.complete_task(task, **data)

    step("receive", reception_decision="accept")
    digitise = run.task("digitise")
    assert digitise.properties["document"] == "mau-01"
    step(
        "digitise",
        injected=SERVICE_VARIABLES,
        all_components_digitised=True,
    )
    assert run.documents == []  # mau-01 is issued by the service on digitise's completion (task property)
    step("assign", specialist="chuyenvien.a")
    assert run.task("appraise").properties["assigneeVariable"] == "specialist"
    assert run.data_of("appraise")[0]["specialist"] == "chuyenvien.a"
    step("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    step("approve", approval_decision="approve")
    step("issue_result", result_number="123/GP-SXD", issued_on="2025-03-05")
    assert run.ready_elements() == ["return_result"]
    result = step("return_result", method="counter", recipient="Nguyễn Văn A")
    assert result.status == "completed"
    assert {"end_returned", "dossier_handling", "dossier_closed"} <= set(completed(result))
    assert run.status_changes() == [2, 4, 9, 10]
    assert groups == {
        "receive": ("reception",),
        "digitise": ("reception",),
        "assign": ("unit_heads",),
        "appraise": ("specialists",),
        "approve": ("leaders",),
        "issue_result": ("records",),
        "return_result": ("reception",),
    }
    assert result.variables["method"] == "counter"
    assert result.variables["dossier_code"] == SERVICE_VARIABLES["dossier_code"]


def test_supplement_request_pauses_the_clock_and_the_dossier_comes_back_to_appraisal(engine, dossier):
    run = to_appraisal(engine, dossier)
    result = run.complete(
        "appraise",
        appraisal_decision="request_supplement",
        missing_items=["Giấy chứng nhận quyền sử dụng đất"],
        supplement_reason="Thiếu giấy tờ về quyền sử dụng đất.",
        **APPRAISAL,
    )
    assert "supplement_requested" in completed(result)
    assert run.documents == ["mau-02"]  # issued as the request goes out
    (waiting,) = result.opened
    assert waiting.element_id == "await_supplement"
    assert waiting.candidate_groups == ("reception",)
    assert waiting.properties["clock"] == "paused"
    assert waiting.properties["dossierStatus"] == "5"
    assert "allotment" not in waiting.properties  # the applicant's time, not the agency's
    result = run.complete(
        "await_supplement", supplement_received=True, supplemented_items=["Giấy chứng nhận QSDĐ"]
    )
    assert opened(result) == ["appraise"]
    assert run.status_changes() == [2, 4, 5, 4]
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="7/GP", issued_on="2025-03-10")
    # By post: the delivery is booked with the postal operator (a service task), then returned
    result = run.complete("return_result", method="post", delivery_phone="0912345678")
    (booking,) = result.service_calls
    assert booking["operation"] == "post/book_delivery"
    assert booking["params"]["address"] == {"address": "Long Xuyên, An Giang", "phone": "0912345678"}
    assert booking["params"]["ref"] == SERVICE_VARIABLES["dossier_code"]
    assert run.status_changes() == [2, 4, 5, 4, 9]
    result = run.complete_service(booking, {"ok": True, "tracking_number": "EB123456789VN"})
    assert result.status == "completed"
    assert run.status_changes() == [2, 4, 5, 4, 9, 10]
    assert result.variables["delivery_booking"]["tracking_number"] == "EB123456789VN"


def test_a_financial_obligation_pauses_the_clock_at_6_and_goes_on_to_approval(engine, dossier):
    run = to_appraisal(engine, dossier)
    result = run.complete(
        "appraise",
        appraisal_decision="request_financial",
        financial_obligations=["Tiền sử dụng đất", "Lệ phí trước bạ"],
        financial_amount=12500000,
        **APPRAISAL,
    )
    assert "financial_requested" in completed(result)
    (waiting,) = result.opened
    assert waiting.element_id == "await_financial"
    assert waiting.candidate_groups == ("reception",)
    assert waiting.properties["clock"] == "paused"
    assert waiting.properties["dossierStatus"] == "6"
    assert "allotment" not in waiting.properties  # the applicant's time, not the agency's
    result = run.complete(
        "await_financial",
        obligation_met=True,
        receipt_number="BL-0012345",
        amount_paid=12500000,
        paid_on="2025-03-07",
    )
    assert "financial_met" in completed(result)
    assert opened(result) == ["approve"]  # the appraisal is done: on to the leader
    assert run.status_changes() == [2, 4, 6, 4]
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="7/GCN", issued_on="2025-03-10")
    assert run.complete("return_result", method="counter").status == "completed"
    assert run.status_changes() == [2, 4, 6, 4, 9, 10]


def test_withdrawal_while_awaiting_a_financial_obligation_closes_the_paused_task(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete(
        "appraise", appraisal_decision="request_financial", financial_obligations=["Lệ phí"], **APPRAISAL
    )
    waiting = run.task("await_financial")
    result = run.deliver("withdrawal", {"withdrawal_reason": "Không nộp được tiền sử dụng đất."})
    assert result.closed == [waiting.id]
    assert opened(result) == ["hand_back"]


def test_consultation_opens_one_task_per_agency_and_returns_when_all_have_answered(engine, dossier):
    run = to_appraisal(engine, dossier)
    agencies = ["SO-TNMT", "SO-GTVT"]
    result = run.complete(
        "appraise",
        appraisal_decision="consult",
        agencies=agencies,
        consultation_content="Xin ý kiến.",
        **APPRAISAL,
    )
    assert opened(result) == ["consult", "consult"]
    assert {t.candidate_groups for t in result.opened} == {("coordinators",)}
    assert sorted(d["agency"] for d in run.data_of("consult")) == sorted(agencies)
    by_agency = {run.task_data(t)["agency"]: t for t in run.ready()}
    first, second = by_agency[agencies[0]], by_agency[agencies[1]]
    result = run.complete_task(first, position="agree", content="Thống nhất.")
    assert result.opened == [] and run.ready_elements() == ["consult"]
    result = run.complete_task(second, position="agree_with_conditions", content="Đề nghị bổ sung cam kết.")
    assert opened(result) == ["appraise"]
    opinions = run.data_of("appraise")[0]["opinions"]
    assert opinions == [
        {"agency": agencies[0], "position": "agree", "content": "Thống nhất."},
        {"agency": agencies[1], "position": "agree_with_conditions", "content": "Đề nghị bổ sung cam kết."},
    ]
    # A second round starts afresh (the first round's opinions stay in the task history).
    run.complete(
        "appraise",
        appraisal_decision="consult",
        agencies=["Công an tỉnh"],
        consultation_content="Xin ý kiến lần 2.",
        **APPRAISAL,
    )
    run.complete("consult", position="disagree", content="Không thống nhất.")
    assert run.data_of("appraise")[0]["opinions"] == [
        {"agency": "Công an tỉnh", "position": "disagree", "content": "Không thống nhất."}
    ]
    assert run.status_changes() == [2, 4]


def test_leader_refusal_issues_a_refusal_that_is_returned_like_a_result(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete(
        "appraise", appraisal_decision="propose_refuse", proposed_refusal_reason="Sai quy hoạch.", **APPRAISAL
    )
    result = run.complete(
        "approve", approval_decision="refuse", refusal_reason="Công trình không phù hợp quy hoạch."
    )
    assert opened(result) == ["issue_refusal"]
    assert result.opened[0].candidate_groups == ("records",)
    result = run.complete("issue_refusal", letter_number="45/SXD-QLXD", issued_on="2025-03-06")
    assert opened(result) == ["return_result"]
    assert run.complete("return_result", method="online").status == "completed"
    assert run.status_changes() == [2, 4, 9, 10]
    assert run.result.variables["refusal_reason"] == "Công trình không phù hợp quy hoạch."


def test_withdrawal_during_appraisal_closes_the_open_tasks_and_hands_the_dossier_back(engine, dossier):
    run = to_appraisal(engine, dossier)
    appraise = run.task("appraise")
    assert run.waiting_messages() == ["withdrawal"]
    result = run.deliver("withdrawal", {"withdrawal_reason": "Không còn nhu cầu."})
    assert appraise.id in result.closed
    assert opened(result) == ["hand_back"]
    assert result.opened[0].candidate_groups == ("reception",)
    assert run.data_of("hand_back")[0]["withdrawal_request"] == {"withdrawal_reason": "Không còn nhu cầu."}
    assert run.waiting_messages() == []
    result = run.complete("hand_back", handed_back=True, recipient="Nguyễn Văn A")
    assert result.status == "completed"
    assert "end_withdrawn" in completed(result)
    assert run.status_changes() == [2, 4, 7]


def test_withdrawal_is_possible_before_registration(engine, dossier):
    run = start_dossier(engine, dossier)
    result = run.deliver("withdrawal", {"withdrawal_reason": "Nộp nhầm thủ tục."})
    assert opened(result) == ["hand_back"] and len(result.closed) == 1
    run.complete("hand_back", handed_back=True, recipient="Nguyễn Văn A")
    assert run.status == "completed"
    assert run.status_changes() == [7]


def test_withdrawal_while_awaiting_a_supplement_closes_the_paused_task(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete(
        "appraise",
        appraisal_decision="request_supplement",
        missing_items=["Bản vẽ"],
        supplement_reason="Thiếu.",
        **APPRAISAL,
    )
    waiting = run.task("await_supplement")
    result = run.deliver("withdrawal", {"withdrawal_reason": "Không bổ sung được."})
    assert result.closed == [waiting.id]  # the service resumes the clock for a closed paused task
    assert opened(result) == ["hand_back"]


def test_withdrawal_is_refused_once_the_dossier_is_returned(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="1/GP", issued_on="2025-03-05")
    assert run.waiting_messages() == ["withdrawal"]  # still possible while the result waits at the counter
    run.complete("return_result", method="counter")
    assert run.status == "completed"
    assert run.waiting_messages() == []
    with pytest.raises(EventNotExpected):
        engine.deliver_message(dossier, run.state, "withdrawal", {"withdrawal_reason": "Muộn."}, now=NOW)


def test_apology_timer_is_armed_when_processing_starts_and_does_not_interrupt(engine, dossier):
    run = to_appraisal(engine, dossier)
    early = run.fire_timers(APOLOGY_AT - timedelta(seconds=1))
    assert early.opened == [] and early.closed == []
    result = run.fire_timers(APOLOGY_AT)
    assert "apology_timer" in completed(result)
    (apology,) = result.opened
    assert apology.element_id == "apology"
    assert apology.candidate_groups == ("unit_heads",)
    assert apology.properties["document"] == "mau-04"
    assert result.closed == []
    assert result.next_timer_at is None  # fired once, not a cycle
    assert run.ready_elements() == ["apology", "appraise"]  # non-interrupting: appraisal goes on
    run.complete("apology", new_due_date="2025-03-14", reason="Chờ ý kiến cơ quan phối hợp.")
    assert run.ready_elements() == ["appraise"]
    again = run.fire_timers(APOLOGY_AT + timedelta(days=3))
    assert again.opened == []  # only one apology
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="9/GP", issued_on="2025-03-14")
    assert run.complete("return_result", method="counter").status == "completed"
    assert run.status_changes() == [2, 4, 9, 10]


def test_returning_the_result_closes_an_apology_still_open(engine, dossier):
    """end_returned terminates the handling: no apology left behind, no withdrawal after the return."""
    run = to_appraisal(engine, dossier)
    run.fire_timers(APOLOGY_AT)
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="3/GP", issued_on="2025-03-07")
    apology = run.task("apology")
    assert run.waiting_messages() == ["withdrawal"]
    result = run.complete("return_result", method="counter")
    assert result.status == "completed"
    assert apology.id in result.closed
    assert run.status_changes() == [2, 4, 9, 10]
    assert run.waiting_messages() == []


def test_apology_timer_is_cancelled_once_the_result_is_issued(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="2/GP", issued_on="2025-03-04")
    assert run.result.next_timer_at is None
    late = run.fire_timers(APOLOGY_AT + timedelta(days=1))
    assert late.opened == [] and run.ready_elements() == ["return_result"]
    workflow = load_state(run.state, dossier.spec, dossier.subprocess_specs)
    assert [e for e in workflow.waiting_events() if "Message" not in e.event_type] == []


def test_withdrawal_also_closes_an_open_apology(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.fire_timers(APOLOGY_AT)
    before = {t.id for t in run.ready()}
    result = run.deliver("withdrawal", {"withdrawal_reason": "Quá lâu."})
    assert set(result.closed) == before
    assert opened(result) == ["hand_back"]


def test_apology_timer_waits_for_the_apology_moment_given_on_digitise(engine, dossier):
    run = to_appraisal(engine, dossier)
    workflow = load_state(run.state, dossier.spec, dossier.subprocess_specs)
    timers = [e for e in workflow.waiting_events() if e.event_type == "TimeDateEventDefinition"]
    assert [datetime.fromisoformat(e.value) for e in timers] == [APOLOGY_AT]


def test_next_timer_at_announces_the_apology_moment(engine, dossier):
    """The service fires an instance's timers when next_timer_at is due: the timeDate timer must be in it."""
    run = start_dossier(engine, dossier)
    run.complete("receive", reception_decision="accept")
    result = run.complete("digitise", injected=SERVICE_VARIABLES, all_components_digitised=True)
    assert result.next_timer_at == APOLOGY_AT


# ==================================================================================================
# internal procedure
# ==================================================================================================

PUBLISHED = date(2025, 3, 3)
DRAFT = {
    "procedure_codes": ["1.001234.000.00.00.H01", "1.004567.000.00.00.H01"],
    "publication_decision_number": "512/QĐ-UBND",
    "publication_decision_date": PUBLISHED.isoformat(),
    "draft_text": "Bước 1: Bộ phận Một cửa tiếp nhận (0,5 ngày). Bước 2: ...",
}


@pytest.fixture
def internal(engine) -> CompiledDefinition:
    return deploy_library(engine, "internal_procedure")


def approve_and_configure(run: Run, approved_on: date, deadline: str) -> None:
    result = run.complete(
        "approve_procedure",
        approval_decision="approve",
        approval_decision_number="620/QĐ-UBND",
        approval_date=approved_on.isoformat(),
    )
    (task,) = result.opened
    assert task.element_id == "configure_system"
    assert task.candidate_groups == ("it_department",)
    # "Chậm nhất sau 05 ngày", read as working days (dayKind): the 5th working day after approval
    assert task.properties["dueDateVariable"] == "configuration_deadline"
    assert run.data_of("configure_system")[0]["configuration_deadline"] == deadline
    assert result.variables["configuration_deadline"] == deadline
    result = run.complete(
        "configure_system", configured_on=approved_on.isoformat(), electronic_process_code="QT-SXD-01"
    )
    assert result.status == "completed"


def test_internal_procedure_without_consultation_is_due_10_days_after_publication(engine, internal):
    run = Run.start(engine, internal, {}, calendar=OFFICE)
    (task,) = run.result.opened
    assert (task.element_id, task.candidate_groups) == ("draft", ("departments",))
    result = run.complete("draft", consult_lower_levels=False, **DRAFT)
    assert opened(result) == ["submit"]
    result = run.complete("submit", consolidated_text="Dự thảo hoàn thiện", submission_number="15/TTr-SXD")
    (approve,) = result.opened
    assert (approve.element_id, approve.candidate_groups) == ("approve_procedure", ("chairman",))
    assert approve.properties["dueDateVariable"] == "approval_deadline"
    # the 10th working day after Monday 3/3/2025 (not 13/3, ten calendar days)
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-17"
    assert (
        result.variables["approval_deadline"] == "2025-03-17"
    )  # what the service can read the due date from
    approve_and_configure(run, date(2025, 3, 12), "2025-03-19")  # Wed 12/3: 13, 14, 17, 18, 19


def test_internal_procedure_with_lower_level_consultation_is_due_15_days_after_publication(engine, internal):
    run = Run.start(engine, internal, {}, calendar=OFFICE)
    lower_levels = ["UBND thành phố Long Xuyên", "UBND phường Mỹ Bình", "UBND xã Mỹ Khánh"]
    result = run.complete("draft", consult_lower_levels=True, lower_levels=lower_levels, **DRAFT)
    assert opened(result) == ["lower_level_opinion"] * 3
    assert {t.candidate_groups for t in result.opened} == {("lower_levels",)}
    for task in run.ready()[:-1]:
        assert run.complete_task(task, position="agree", comments="").opened == []
    (last,) = run.ready()
    result = run.complete_task(last, position="agree_with_comments", comments="Đề nghị rút ngắn bước 2.")
    assert opened(result) == ["submit"]
    opinions = run.data_of("submit")[0]["lower_level_opinions"]
    assert sorted(o["lower_level"] for o in opinions) == sorted(lower_levels)
    assert opinions[-1]["comments"] == "Đề nghị rút ngắn bước 2."
    run.complete(
        "submit", consolidated_text="Dự thảo đã tiếp thu ý kiến", opinions_summary="Tiếp thu 1 ý kiến"
    )
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-24"  # 15 working days
    approve_and_configure(run, date(2025, 3, 17), "2025-03-24")


def test_internal_procedure_returned_for_revision_is_drafted_again(engine, internal):
    run = Run.start(engine, internal, {}, calendar=OFFICE)
    run.complete("draft", consult_lower_levels=True, lower_levels=["UBND xã Mỹ Khánh"], **DRAFT)
    run.complete("lower_level_opinion", position="disagree", comments="Thời gian quá ngắn.")
    run.complete("submit", consolidated_text="Dự thảo lần 1")
    result = run.complete(
        "approve_procedure",
        approval_decision="return_for_revision",
        revision_notes="Bổ sung bước thẩm định thực địa.",
    )
    assert opened(result) == ["draft"]
    # The second draft consults again: a fresh round of opinions.
    run.complete(
        "draft", consult_lower_levels=True, lower_levels=["UBND xã Mỹ Khánh", "UBND xã Mỹ Hòa Hưng"], **DRAFT
    )
    for task in run.ready():
        run.complete_task(task, position="agree", comments="")
    assert len(run.data_of("submit")[0]["lower_level_opinions"]) == 2
    run.complete("submit", consolidated_text="Dự thảo lần 2")
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-24"
    result = run.complete(
        "approve_procedure", approval_decision="return_for_revision", revision_notes="Sửa lần 2."
    )
    run.complete("draft", consult_lower_levels=False, **DRAFT)
    run.complete("submit", consolidated_text="Dự thảo lần 3")
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-17"
    approve_and_configure(run, date(2025, 3, 13), "2025-03-20")


def test_internal_procedure_counting_calendar_days_is_due_10_days_after_publication(engine, internal):
    """The same model read with dayKind=calendar (a procedure's choice): ten calendar days, and a
    last day that is not worked moves to the next working day."""
    run = Run.start(engine, replace(internal, day_kind="calendar"), {}, calendar=OFFICE)
    run.complete("draft", consult_lower_levels=False, **DRAFT)
    run.complete("submit", consolidated_text="Dự thảo hoàn thiện")
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-13"
    # approved on Thursday 13/3: five calendar days later is Tuesday 18/3
    approve_and_configure(run, date(2025, 3, 13), "2025-03-18")
    run = Run.start(engine, replace(internal, day_kind="calendar"), {}, calendar=OFFICE)
    run.complete("draft", consult_lower_levels=False, **{**DRAFT, "publication_decision_date": "2025-03-05"})
    run.complete("submit", consolidated_text="Dự thảo hoàn thiện")
    assert run.data_of("approve_procedure")[0]["approval_deadline"] == "2025-03-17"  # Sat 15/3 → Mon


# ==================================================================================================
# TTHC publication
# ==================================================================================================

UNITS = ["Sở Xây dựng", "UBND thành phố Long Xuyên", "UBND thành phố Châu Đốc"]


@pytest.fixture
def publication(engine) -> CompiledDefinition:
    return deploy_library(engine, "tthc_publication")


NATIONAL_RECORD = {
    "MaTTHC": "AG-XD-09",
    "TenTTHC": "Cấp giấy phép xây dựng",
    "TrangThai": "CongBo",
    "NgayCapNhat": "2025-03-05T00:00:00+00:00",
    "ThoiHanGiaiQuyet": 15,
}


def test_publication_chain_runs_from_the_ministry_decision_to_every_unit(engine, publication):
    start = {"ministry_decision": {"number": "1234/QĐ-BXD", "date": "2025-02-28"}, "units": UNITS}
    run = Run.start(engine, publication, start)
    assert opened(run.result) == ["submit_catalogue_decision", "submit_publication_decision"]
    allotments = {t.element_id: t.properties["allotment"] for t in run.result.opened}
    assert allotments == {"submit_publication_decision": "1", "submit_catalogue_decision": "3"}
    assert {t.candidate_groups for t in run.result.opened} == {("departments",)}
    result = run.complete(
        "submit_catalogue_decision",
        submission_number="20/TTr-SXD",
        levels=["province", "commune"],
        submitted_on="2025-03-03",
    )
    assert result.opened == []  # the join waits for both submissions
    result = run.complete(
        "submit_publication_decision",
        submission_number="19/TTr-SXD",
        procedures=["Cấp giấy phép xây dựng"],
        change_types=["amended"],
        submitted_on="2025-03-03",
    )
    assert [(t.element_id, t.candidate_groups) for t in result.opened] == [("sign_decision", ("chairman",))]
    result = run.complete("sign_decision", decision_number="512/QĐ-UBND", signed_on="2025-03-04")
    assert result.opened == []
    (call,) = result.service_calls  # the national database: the decision made public
    assert (call["element_id"], call["operation"]) == ("publish_national", "csdl_tthc/publish_decision")
    assert call["params"] == {"SoQuyetDinh": "512/QĐ-UBND", "NgayKy": "2025-03-04"}
    published = {"ok": True, "reference": "csdl_tthc-1", "NgayCongKhai": "2025-03-05T01:00:00+00:00"}
    (call,) = run.serve(call, published).service_calls  # localise: the published procedures
    assert call["operation"] == "csdl_tthc/list_procedures"
    listed = {"ok": True, "ThoiDiem": "2025-03-05T02:00:00+00:00", "DanhSach": [NATIONAL_RECORD]}
    (review,) = run.serve(call, listed).opened
    assert (review.element_id, review.candidate_groups) == ("approve_localisation", ("it_department",))
    assert review.properties["catalogueChange"] == "national"
    (again,) = run.complete("approve_localisation", catalogue_decision="refuse").service_calls
    assert again["operation"] == "csdl_tthc/list_procedures"  # refused: listed again
    run.serve(again, listed)
    (provincial,) = run.complete("approve_localisation", catalogue_decision="approve").service_calls
    assert provincial["params"] == {
        "portal": "province",
        "decision": "512/QĐ-UBND",
        "procedures": [{"code": "AG-XD-09", "active": True}],
    }
    units = run.serve(provincial, {"ok": True, "reference": "portal_sync-1"}).service_calls
    assert sorted(c["params"]["portal"] for c in units) == sorted(UNITS)
    for number, unit_call in enumerate(units):
        result = run.serve(unit_call, {"ok": True, "reference": f"portal_sync-{number + 2}"})
    assert result.status == "completed"
    assert len(result.variables["unit_publications"]) == 3
