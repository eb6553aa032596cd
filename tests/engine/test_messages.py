"""Messages in the engine adapter: what an instance waits for after every step, a process that
starts on a message, and where a message's payload lands."""

from __future__ import annotations

import pytest

from service.engine import EventNotExpected, parse_file

from .conftest import NOW, Instance, bpmn_bytes, deploy


@pytest.fixture
def online(engine):
    return deploy(engine, "engine_message_start.bpmn")


def _started_on_message(engine, definition, variables) -> Instance:
    result = engine.start_by_message(definition, "application_submitted", variables, now=NOW)
    instance = Instance(engine, definition, result)
    instance._record(result)
    return instance


def test_a_process_names_the_messages_that_start_it(engine, online):
    assert engine.start_messages(online) == ["application_submitted"]
    assert engine.start_messages(deploy(engine, "svc_message_wait.bpmn")) == []


def test_the_deploy_declares_the_start_messages():
    parsed_file = parse_file(bpmn_bytes("engine_message_start.bpmn"), filename="x.bpmn", max_bytes=10**6)
    (parsed,) = parsed_file.definitions
    assert parsed.declarations.start_messages == ("application_submitted",)


def test_starting_on_a_message_runs_past_the_start_event_with_the_variables(engine, online):
    instance = _started_on_message(engine, online, {"applicant_name": "Lê Văn Tám"})
    assert instance.status == "running"
    assert instance.ready_elements() == ["review"]
    assert instance.variables["applicant_name"] == "Lê Văn Tám"
    assert instance.result.waiting_messages == []


def test_starting_on_a_message_the_process_does_not_start_on_is_refused(engine, online):
    with pytest.raises(EventNotExpected):
        engine.start_by_message(online, "documents_received", {}, now=NOW)
    with pytest.raises(EventNotExpected):
        engine.start_by_message(deploy(engine, "svc_message_wait.bpmn"), "payment_received", {}, now=NOW)


def test_a_receive_task_waits_for_its_message_and_takes_its_payload_as_variables(engine, online):
    instance = _started_on_message(engine, online, {"applicant_name": "A"})
    instance.complete("review")
    assert instance.result.waiting_messages == ["documents_received"]
    result = engine.deliver_message(online, instance.state, "documents_received", {"pages": 3}, now=NOW)
    assert result.status == "completed"
    assert result.variables == {"applicant_name": "A", "pages": 3}
    assert result.waiting_messages == []


def test_every_step_reports_the_messages_the_instance_waits_for(engine):
    definition = deploy(engine, "svc_message_wait.bpmn")
    instance = Instance.start(engine, definition, {"case_number": "7"})
    assert instance.result.waiting_messages == ["payment_received"]
    result = engine.deliver_message(definition, instance.state, "payment_received", {"paid": 5}, now=NOW)
    assert result.waiting_messages == []
    assert result.variables["paid"] == 5 and result.variables["invoice_number"] == "HD-7"
    assert [t.element_id for t in result.opened] == ["confirm_payment"]


def test_a_boundary_message_interrupts_its_task_with_the_payload_in_its_variable(engine):
    definition = deploy(engine, "svc_message_boundary.bpmn")
    instance = Instance.start(engine, definition, {"case_number": "9"})
    (review,) = instance.result.opened
    assert instance.result.waiting_messages == ["application_withdrawn"]
    result = engine.deliver_message(
        definition, instance.state, "application_withdrawn", {"reason": "moved"}, now=NOW
    )
    assert result.closed == [review.id]
    assert [t.element_id for t in result.opened] == ["hand_back"]
    assert result.variables["withdrawal"] == {"reason": "moved"}
    assert result.waiting_messages == []


def test_a_terminated_instance_waits_for_nothing(engine, online):
    instance = Instance.start(engine, online, {})
    assert instance.result.waiting_messages == ["application_submitted"]  # started without it
    assert engine.terminate(online, instance.state, now=NOW).waiting_messages == []
