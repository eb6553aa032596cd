"""The hardened BPMN parser (service.engine.parser).

Untrusted bytes in; a compiled definition, or an error that says what is wrong and where, out.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from lxml import etree

from service.engine import BpmnInvalid, BpmnTooLarge, Engine, parse_definition

from .conftest import NOW, bpmn_bytes, line_of

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "bpmn").glob("*.bpmn"))
SECRET = "MOTCUA-SECRET-FILE-CONTENT-4711"

# A valid model whose documentation and a name are the places the XML attacks put their entities.
MODEL = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_attack" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="attack" isExecutable="true">
    <bpmn:startEvent id="start" name="{name}">
      <bpmn:documentation>{text}</bpmn:documentation>
    </bpmn:startEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def document(doctype: str = "", *, text: str = "plain", name: str = "plain") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{MODEL.format(text=text, name=name)}'.encode()


def refusal(data: bytes, **kwargs) -> BpmnInvalid:
    with pytest.raises(BpmnInvalid) as info:
        parse_definition(data, **kwargs)
    return info.value


def everything_said(exc: Exception) -> str:
    """All the text an error carries to a client or a log."""
    return " ".join([str(exc), repr(exc), exc.message, repr(exc.details()), str(exc.__cause__ or "")])


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def evil_dtd(tmp_path) -> Path:
    path = tmp_path / "evil.dtd"
    path.write_text(f'<!ENTITY leak "{SECRET}">')
    return path


def external_entity(secret_file: Path, evil_dtd: Path) -> bytes:
    return document(f'<!DOCTYPE bpmn:definitions [<!ENTITY x SYSTEM "file://{secret_file}">]>', text="&x;")


def external_dtd(secret_file: Path, evil_dtd: Path) -> bytes:
    return document(f'<!DOCTYPE bpmn:definitions SYSTEM "file://{evil_dtd}">', text="&leak;")


def parameter_entity(secret_file: Path, evil_dtd: Path) -> bytes:
    doctype = f'<!DOCTYPE bpmn:definitions [<!ENTITY % p SYSTEM "file://{evil_dtd}"> %p;]>'
    return document(doctype, text="&leak;")


LEAKY = [external_entity, external_dtd, parameter_entity]


def test_the_attack_template_itself_is_a_valid_model():
    assert parse_definition(document()).key == "attack"


# --- XML attacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", LEAKY, ids=lambda f: f.__name__)
def test_the_file_reading_payloads_do_leak_through_a_naive_parser(payload, secret_file, evil_dtd):
    naive = etree.XMLParser(resolve_entities=True, load_dtd=True)
    assert SECRET in etree.tostring(etree.fromstring(payload(secret_file, evil_dtd), naive)).decode()


def test_external_entity_is_refused_not_resolved(secret_file, evil_dtd):
    exc = refusal(external_entity(secret_file, evil_dtd))
    assert SECRET not in everything_said(exc)


def test_external_entity_in_an_attribute_is_refused_not_resolved(secret_file):
    doctype = f'<!DOCTYPE bpmn:definitions [<!ENTITY x SYSTEM "file://{secret_file}">]>'
    exc = refusal(document(doctype, name="&x;"))
    assert SECRET not in everything_said(exc)


def test_external_entity_to_etc_passwd_never_shows_the_file_in_the_error():
    doctype = '<!DOCTYPE bpmn:definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    for data in (document(doctype, text="&x;"), document(doctype, name="&x;")):
        said = everything_said(refusal(data))
        assert "root:" not in said
        assert "/bin/" not in said


@pytest.mark.parametrize("where", ["text", "name"])
def test_entity_expansion_bomb_is_refused_quickly(where):
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = f"<!DOCTYPE bpmn:definitions [{''.join(entities)}]>"
    started = time.perf_counter()
    exc = refusal(document(doctype, **{where: "&lol9;"}))
    assert time.perf_counter() - started < 2.0  # 10**9 "lol"s would take minutes and gigabytes
    assert "lol" * 100 not in everything_said(exc)


def test_parameter_entity_is_refused(secret_file, evil_dtd):
    exc = refusal(parameter_entity(secret_file, evil_dtd))
    assert "DOCTYPE" in exc.message
    assert SECRET not in everything_said(exc)


def test_external_dtd_reference_is_refused_and_not_loaded(secret_file, evil_dtd):
    exc = refusal(external_dtd(secret_file, evil_dtd))
    assert SECRET not in everything_said(exc)


def test_network_dtd_reference_is_refused():
    exc = refusal(document('<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/evil.dtd">'))
    assert "DOCTYPE" in exc.message


def test_internal_doctype_without_entities_is_refused_too():
    exc = refusal(document('<!DOCTYPE bpmn:definitions [<!ENTITY org "Motcua">]>', text="&org;"))
    assert "DOCTYPE" in exc.message
    assert exc.line == 1


# --- size and shape ---------------------------------------------------------------------------


def test_file_over_max_bytes_is_too_large():
    data = bpmn_bytes("engine_loop.bpmn")
    with pytest.raises(BpmnTooLarge) as info:
        parse_definition(data, max_bytes=len(data) - 1)
    assert str(len(data) - 1) in info.value.message


def test_file_of_exactly_max_bytes_is_accepted():
    data = bpmn_bytes("engine_loop.bpmn")
    assert parse_definition(data, max_bytes=len(data)).key == "engine_loop"


def test_default_limit_refuses_a_huge_file_before_parsing_it():
    padding = b"<!--" + b" " * (3 * 1024 * 1024) + b"-->\n"
    data = document().replace(b"<bpmn:definitions", padding + b"<bpmn:definitions")
    with pytest.raises(BpmnTooLarge):
        parse_definition(data)


@pytest.mark.parametrize("data", [b"", b"   \n\t  "], ids=["empty", "whitespace"])
def test_empty_input_is_invalid(data):
    assert "empty" in refusal(data).message


@pytest.mark.parametrize(
    "data",
    [b"hello, world", b"<bpmn:definitions", b'{"json": "not xml"}', b"\xff\xfe\x00garbage"],
    ids=["text", "truncated", "json", "binary"],
)
def test_non_xml_is_invalid_with_a_line(data):
    exc = refusal(data)
    assert "not well-formed XML" in exc.message
    assert exc.line == 1


@pytest.mark.parametrize(
    "data",
    [
        b"<definitions/>",
        b'<definitions xmlns="http://example.com/not-bpmn"/>',
        b'<bpmn:process xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="p"/>',
    ],
    ids=["no-namespace", "other-namespace", "process-root"],
)
def test_xml_that_is_not_bpmn_definitions_is_invalid(data):
    assert "bpmn:definitions" in refusal(data).message


def test_file_without_an_executable_process_is_invalid():
    exc = refusal(bpmn_bytes("parser_no_executable.bpmn"))
    assert "exactly one executable process" in exc.message
    assert "declares 0" in exc.message


def test_file_with_two_executable_processes_is_invalid_naming_both():
    exc = refusal(bpmn_bytes("parser_two_executable.bpmn"))
    assert "exactly one executable process" in exc.message
    assert "parser_two_executable" in exc.message and "second_process" in exc.message
    assert exc.line == line_of("parser_two_executable.bpmn", 'id="second_process"')


def test_xsd_violation_names_its_line():
    exc = refusal(bpmn_bytes("parser_xsd_violation.bpmn"))
    assert "notAnElement" in exc.message
    assert exc.line == line_of("parser_xsd_violation.bpmn", "<bpmn:notAnElement")


def test_sequence_flow_to_a_missing_element_names_that_element():
    exc = refusal(bpmn_bytes("parser_missing_target.bpmn"))
    assert "nowhere" in exc.message
    assert exc.line is not None


def test_sequence_flow_from_a_missing_element_names_that_element():
    exc = refusal(bpmn_bytes("parser_missing_source.bpmn"))
    assert "nowhere" in exc.message


# --- scripts and conditions are compiled at deploy ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "element_id", "says"),
    [
        ("parser_script_syntax_error.bpmn", "cap_fee", "SyntaxError"),
        ("parser_script_dunder.bpmn", "escape", "__class__"),
    ],
    ids=["syntax-error", "dunder-escape"],
)
def test_bad_script_is_refused_at_deploy_naming_element_and_line(name, element_id, says):
    exc = refusal(bpmn_bytes(name))
    assert says in exc.message
    assert exc.element_id == element_id
    assert f"'{element_id}'" in exc.message
    assert exc.line == line_of(name, f'<bpmn:scriptTask id="{element_id}"')
    assert exc.details() == {"element_id": element_id, "line": exc.line}


def test_script_syntax_error_message_gives_the_line_inside_the_script():
    assert "(line 2)" in refusal(bpmn_bytes("parser_script_syntax_error.bpmn")).message


def test_gateway_condition_that_does_not_compile_is_refused_at_deploy():
    exc = refusal(bpmn_bytes("parser_bad_condition.bpmn"))
    assert exc.element_id == "done"
    assert "condition" in exc.message


# --- what a deploy stores ---------------------------------------------------------------------


def test_identical_bytes_give_identical_checksum_and_spec():
    data = bpmn_bytes("engine_basic.bpmn")
    first, second = parse_definition(data), parse_definition(bytes(data))
    assert first.checksum == second.checksum == hashlib.sha256(data).hexdigest()
    assert first.spec_blob == second.spec_blob


def test_any_change_to_the_bytes_changes_the_checksum():
    data = bpmn_bytes("engine_basic.bpmn")
    changed = data.replace(b"Check the papers", b"Check the paper ")
    assert parse_definition(data).checksum != parse_definition(changed).checksum


def test_parsed_definition_names_the_process():
    parsed = parse_definition(bpmn_bytes("engine_basic.bpmn"))
    assert (parsed.key, parsed.name) == ("engine_basic", "Fee and routing")
    assert parse_definition(bpmn_bytes("engine_loop.bpmn")).name == "Review until done"


def test_spec_blob_round_trips_into_a_runnable_definition():
    engine = Engine()
    parsed = parse_definition(bpmn_bytes("engine_basic.bpmn"))
    definition = engine.compile(parsed.spec_blob)
    result = engine.start(definition, {"base_fee": 1, "threshold": 0}, now=NOW)
    assert result.status == "running"
    assert [t.element_id for t in result.opened] == ["receive"]


def test_spec_blob_keeps_the_called_process_of_a_call_activity():
    engine = Engine()
    definition = engine.compile(parse_definition(bpmn_bytes("engine_call_activity_loop.bpmn")).spec_blob)
    assert "consultation" in definition.subprocess_specs


def test_call_activity_to_a_non_executable_process_of_the_same_file_deploys():
    parsed = parse_definition(bpmn_bytes("parser_call_non_executable.bpmn"))
    assert parsed.key == "parser_call_non_executable"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_bpmn_files_all_parse_and_compile(path):
    parsed = parse_definition(path.read_bytes(), filename=path.name)
    assert parsed.key
    Engine().compile(parsed.spec_blob)


def test_there_are_shipped_bpmn_files():
    assert SHIPPED
