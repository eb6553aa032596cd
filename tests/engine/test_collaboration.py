"""Collaborations: pools that exchange messages run as one instance (bpmn/lien_thong_birth.bpmn, the
commune, the police and the social insurance office), each pool's tasks scoped to its agency's unit,
messages crossing pools inside the engine and never from outside; files whose pools exchange no
message keep one definition per pool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from service.engine import BpmnInvalid, EventNotExpected, parse_definition, parse_file

from .conftest import NOW, Instance, bpmn_bytes

ROOT = Path(__file__).resolve().parents[2]
MODEL = (ROOT / "bpmn" / "lien_thong_birth.bpmn").read_bytes()
UNITS = frozenset({"UBND-XA", "CA-XA", "BHXH-KV", "CA-TINH"})
APPLICATION = {
    "child_name": "Nguyễn Gia Bảo",
    "child_birth_date": "2026-11-20",
    "child_sex": "nam",
    "mother_name": "Trần Thị Hạnh",
    "residence_address": "Ấp Mỹ Hòa, xã Mỹ Hòa Hưng, tỉnh An Giang",
}


def _valid(form_key: str, data: dict) -> dict:
    schema = json.loads((ROOT / "forms" / f"{form_key}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(data)
    return data


@pytest.fixture
def collaboration(engine):
    return engine.compile(parse_definition(MODEL, filename="lien_thong_birth.bpmn").spec_blob)


def _open(run: Instance) -> list:
    """The open tasks as the service projects them (with their unit), checked against the state."""
    run.ready()
    return sorted(run.worklist.values(), key=lambda task: task.element_id)


def _complete(run: Instance, element_id: str, **data) -> None:
    task = run.task(element_id)
    run.result = run.engine.complete_task(
        run.definition, run.state, task.id, _valid(task.form_key, data), now=NOW, units=UNITS
    )
    run._record(run.result)
    assert run.status == "running" or element_id == "return_result", run.result.error


def test_the_pools_deploy_as_one_definition_keyed_by_the_collaboration():
    parsed = parse_file(MODEL, filename="lien_thong_birth.bpmn")
    (definition,) = parsed.definitions
    assert definition.key == "lien_thong_birth"
    assert [(p.process_id, p.starts, p.unit) for p in definition.pools] == [
        ("lt_commune", "start", "UBND-XA"),
        ("lt_police", "message", "CA-XA"),
        ("lt_insurance", "message", "BHXH-KV"),
    ]
    declared = definition.declarations
    assert declared.start_form == "lien_thong_birth_apply"  # the starting pool's
    assert declared.starter_groups == ("specialists",)
    # what the other pools answer is the process's, never a caller's
    assert {"residence", "insurance", "request"} <= set(declared.protected_variables)
    (line,) = parsed.report
    assert line.element_id == "lien_thong_birth" and "one definition 'lien_thong_birth'" in line.message
    assert "'lt_police' (Công an xã: starts when a message reaches it; tasks for unit CA-XA)" in line.message


def test_messages_cross_the_pools_inside_one_instance_end_to_end(engine, collaboration):
    run = Instance(engine, collaboration, engine.start(collaboration, APPLICATION, now=NOW, units=UNITS))
    run._record(run.result)
    assert [(t.element_id, t.unit, t.candidate_groups) for t in _open(run)] == [
        ("register_birth", "UBND-XA", ("specialists",))
    ]
    _complete(run, "register_birth", birth_certificate_no="15/2026", personal_id="089226000123")
    _complete(run, "sign_birth", signed_on="2026-11-23")
    # the commune's messages started the police's and the insurance office's pools
    opened = {t.element_id: t for t in _open(run)}
    assert set(opened) == {"register_residence", "issue_card"}
    assert (opened["register_residence"].unit, opened["register_residence"].candidate_groups) == (
        "CA-XA",
        ("police_officers",),
    )
    assert (opened["issue_card"].unit, opened["issue_card"].candidate_groups) == (
        "BHXH-KV",
        ("insurance_officers",),
    )
    # what crosses between pools is a message: nobody outside may send it, nor sees it as awaited
    assert engine.waiting_messages(collaboration, run.state) == []
    with pytest.raises(EventNotExpected, match="between the pools"):
        engine.deliver_message(collaboration, run.state, "lt_residence_done", {"registered": True}, now=NOW)
    _complete(
        run,
        "register_residence",
        residence_registered=True,
        residence_registered_on="2026-11-24",
        residence_note="Đăng ký vào hộ của mẹ",
    )
    assert run.ready_elements() == ["issue_card"]  # the commune still waits for the insurance card
    _complete(run, "issue_card", card_number="TE1898922600123", card_valid_from="2026-11-20")
    (returning,) = _open(run)
    assert (returning.element_id, returning.unit) == ("return_result", "UBND-XA")
    _complete(run, "return_result", returned_on="2026-11-25", returned_to="Trần Thị Hạnh")
    assert run.status == "completed"
    assert run.variables["residence"] == {
        "registered": True,
        "registered_on": "2026-11-24",
        "note": "Đăng ký vào hộ của mẹ",
    }
    assert run.variables["insurance"] == {"card_number": "TE1898922600123", "valid_from": "2026-11-20"}
    assert run.variables["birth_certificate_no"] == "15/2026"


def test_a_pool_whose_unit_is_not_a_known_unit_opens_no_task(engine, collaboration):
    result = engine.start(collaboration, APPLICATION, now=NOW, units=frozenset({"CA-XA"}))
    assert result.status == "error" and not result.opened
    assert "UBND-XA" in result.error["message"]


def _without(fragment: bytes, replacement: bytes = b"") -> bytes:
    assert fragment in MODEL
    return MODEL.replace(fragment, replacement)


def test_a_pool_without_a_unit_is_refused_naming_its_task():
    model = _without(b'<spiffworkflow:property name="unit" value="CA-XA" />')
    with pytest.raises(BpmnInvalid, match="'register_residence' of pool 'lt_police' is not scoped"):
        parse_file(model)


def test_a_pool_unit_may_be_a_variable_or_a_camunda_property_and_a_task_keeps_its_own():
    model = _without(
        b'<spiffworkflow:properties>\n        <spiffworkflow:property name="unit" value="CA-XA" />\n'
        b"      </spiffworkflow:properties>",
        b'<camunda:properties><camunda:property name="unitVariable" value="police_unit" />'
        b"</camunda:properties>",
    ).replace(
        b'<spiffworkflow:property name="candidateGroups" value="insurance_officers" />',
        b'<spiffworkflow:property name="candidateGroups" value="insurance_officers" />'
        b'<spiffworkflow:property name="unit" value="CA-TINH" />',
    )
    (definition,) = parse_file(model).definitions
    police = next(p for p in definition.pools if p.process_id == "lt_police")
    assert (police.unit, police.unit_variable) == (None, "police_unit")
    assert "police_unit" in definition.declarations.protected_variables


def test_a_collaboration_starts_at_exactly_one_pool():
    model = _without(
        b'<bpmn:messageEventDefinition id="med_start_police" messageRef="msg_residence_request">\n'
        b"        <bpmn:extensionElements>\n"
        b"          <spiffworkflow:messageVariable>request</spiffworkflow:messageVariable>\n"
        b"        </bpmn:extensionElements>\n"
        b"      </bpmn:messageEventDefinition>\n"
    )
    with pytest.raises(
        BpmnInvalid, match=r"exactly one pool with a plain start event .*; it has 2 \(lt_commune, lt_police\)"
    ):
        parse_file(model)


def test_a_message_payload_that_does_not_compile_is_refused():
    model = _without(b'{"card_number": card_number,', b'{"card_number": card_number.__class__,')
    with pytest.raises(BpmnInvalid, match="message payload of element 'end_insurance'"):
        parse_file(model)


def test_pools_that_exchange_no_message_keep_one_definition_each():
    parsed = parse_file(bpmn_bytes("camunda/camunda_two_agencies.bpmn"))
    assert [d.key for d in parsed.definitions] == ["commune_intake", "district_review"]
    assert all(d.pools == () for d in parsed.definitions)


def test_terminating_a_collaboration_closes_every_pools_tasks(engine, collaboration):
    run = Instance(engine, collaboration, engine.start(collaboration, APPLICATION, now=NOW, units=UNITS))
    run._record(run.result)
    _complete(run, "register_birth", birth_certificate_no="15/2026", personal_id="089226000123")
    _complete(run, "sign_birth", signed_on="2026-11-23")
    open_ids = {t.id for t in _open(run)}
    assert len(open_ids) == 2  # the police's and the insurance office's
    ended = engine.terminate(collaboration, run.state, now=NOW)
    assert ended.status == "terminated" and set(ended.closed) == open_ids
    assert engine.ready_tasks(collaboration, ended.state, now=NOW) == []


SINGLE = b"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="alone" isExecutable="true">
    <bpmn:extensionElements>
      <camunda:properties><camunda:property name="unit" value="CA-XA" /></camunda:properties>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="work" camunda:candidateGroups="police_officers" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_pool_unit_scopes_the_tasks_of_a_process_deployed_on_its_own(engine):
    definition = engine.compile(parse_definition(SINGLE).spec_blob)
    assert definition.scoped
    (task,) = engine.start(definition, {}, now=NOW, units=UNITS).opened
    assert (task.element_id, task.unit, task.candidate_groups) == ("work", "CA-XA", ("police_officers",))
