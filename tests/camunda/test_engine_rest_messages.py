"""/engine-rest/message: Camunda's message correlation on Motcua's own (messages.operations.correlate):
by business key and typed correlation keys, to one named instance, or starting a process; Camunda's
400 when nothing or too much matches; a scoped token needs messages:<name>. And pycamunda's
CorrelateSingle over real HTTP."""

from __future__ import annotations

import pycamunda.message
import pytest
import requests

from tests.camunda.conftest import PASSWORD
from tests.support import bpmn_path

PAID = "payment_received"


@pytest.fixture
def cashier(people, make_user):
    for name in ("svc_message_wait.bpmn", "engine_message_start.bpmn"):
        assert people["admin"].deploy(bpmn_path(name)).status_code == 201
    make_user("cashier", groups=["cashiers"])
    make_user("portal", groups=["portal"])
    return "cashier"


def _case(engine, business_key: str, number: str) -> str:
    answer = engine("cashier").post(
        "/process-definition/key/fee_payment/start",
        json={"businessKey": business_key, "variables": {"case_number": {"value": number, "type": "String"}}},
    )
    assert answer.status_code == 200, answer.json
    return answer.json["id"]


def _waits(engine, instance_id: str) -> bool:
    return engine("cashier").get("/task", query_string={"processInstanceId": instance_id}).json == []


def test_a_message_by_business_key_resumes_the_right_instance(engine, cashier):
    cases = [_case(engine, f"HS-{n}", f"C-{n}") for n in range(3)]
    body = {
        "messageName": PAID,
        "businessKey": "HS-1",
        "processVariables": {"paid_amount": {"value": 150000, "type": "Long"}},
        "resultEnabled": True,
        "variablesInResultEnabled": True,
    }
    answer = engine("cashier").post("/message", json=body)
    assert answer.status_code == 200, answer.json
    [result] = answer.json
    assert result["resultType"] == "Execution" and result["execution"]["processInstanceId"] == cases[1]
    assert result["variables"]["paid_amount"] == {"type": "Integer", "value": 150000, "valueInfo": {}}
    assert not _waits(engine, cases[1]) and _waits(engine, cases[0]) and _waits(engine, cases[2])


def test_correlation_keys_are_typed_and_without_a_result_the_answer_is_204(engine, cashier):
    first, second = _case(engine, "A", "A-1"), _case(engine, "B", "A-2")
    keys = {"case_number": {"value": "A-2", "type": "String"}}
    answer = engine("cashier").post("/message", json={"messageName": PAID, "correlationKeys": keys})
    assert answer.status_code == 204
    assert _waits(engine, first) and not _waits(engine, second)


def test_a_message_to_a_named_instance(engine, cashier):
    first, second = _case(engine, "A", "A-1"), _case(engine, "B", "A-2")
    answer = engine("cashier").post("/message", json={"messageName": PAID, "processInstanceId": first})
    assert answer.status_code == 204
    assert not _waits(engine, first) and _waits(engine, second)
    other = engine("pat").post("/message", json={"messageName": PAID, "processInstanceId": second})
    assert other.status_code == 403


def test_nothing_or_too_much_matching_is_camundas_400(engine, cashier):
    _case(engine, "A", "A-1")
    _case(engine, "B", "A-2")
    several = engine("cashier").post("/message", json={"messageName": PAID})
    assert several.status_code == 400 and several.json["type"] == "MismatchingMessageCorrelationException"
    none = engine("cashier").post("/message", json={"messageName": "never_sent"})
    assert none.status_code == 400 and none.json["type"] == "MismatchingMessageCorrelationException"
    both = engine("cashier").post("/message", json={"messageName": PAID, "all": True, "resultEnabled": True})
    assert both.status_code == 200 and len(both.json) == 2
    # Someone who started none of them reaches none of them.
    assert engine("pat").post("/message", json={"messageName": PAID, "all": True}).status_code == 400


def test_a_message_start_event_starts_a_process(engine, cashier):
    body = {
        "messageName": "application_submitted",
        "businessKey": "WEB-1",
        "processVariables": {"applicant_name": {"value": "Lê Văn Tám", "type": "String"}},
        "resultEnabled": True,
    }
    answer = engine("portal").post("/message", json=body)
    assert answer.status_code == 200, answer.json
    [result] = answer.json
    assert result["resultType"] == "ProcessDefinition"
    assert result["processInstance"]["businessKey"] == "WEB-1"
    forged = {**body, "processVariables": {"approved": {"value": True, "type": "Boolean"}}}
    refused = engine("portal").post("/message", json=forged)
    assert refused.status_code == 400 and refused.json["type"] == "InvalidRequestException"
    assert engine("pat").post("/message", json=body).status_code == 403  # not a starter


def test_malformed_or_unsupported_messages_are_400(engine, cashier):
    for body in (
        {},
        {"messageName": ""},
        {"messageName": 7},
        {"messageName": PAID, "all": "yes"},
        {"messageName": PAID, "correlationKeys": {"a": "b"}},
        {"messageName": PAID, "localCorrelationKeys": {"a": {"value": 1}}},
        {"messageName": PAID, "tenantId": "t1"},
    ):
        answer = engine("cashier").post("/message", json=body)
        assert answer.status_code == 400, (body, answer.json)
        assert answer.json["type"] == "InvalidRequestException"


def test_a_scoped_token_needs_the_messages_scope(client, people, engine, cashier):
    _case(engine, "HS-1", "C-1")

    def token(*scopes):
        answer = people["admin"].post("/api/v1/tokens", json={"user": "cashier", "scopes": list(scopes)})
        return {"Authorization": f"Bearer {answer.json['token']}"}

    body = {"messageName": PAID, "businessKey": "HS-1"}
    refused = client.post("/engine-rest/message", json=body, headers=token("messages:other"))
    assert refused.status_code == 403
    assert (
        client.post("/engine-rest/message", json=body, headers=token(f"messages:{PAID}")).status_code == 204
    )


def test_pycamunda_correlates_a_message_over_http(live_server, engine, cashier):
    instance = _case(engine, "HS-9", "C-9")
    correlate = pycamunda.message.CorrelateSingle(
        live_server + "/engine-rest", message_name=PAID, business_key="HS-9", result_enabled=True
    )
    correlate.auth = requests.auth.HTTPBasicAuth("cashier", PASSWORD)
    correlate.add_process_variable("paid_amount", 150000, "Integer")
    [result] = correlate()
    assert result.execution.process_instance_id == instance
    assert not _waits(engine, instance)
