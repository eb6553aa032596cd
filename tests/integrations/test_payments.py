"""Online payment (issue 14): the fee step requests the payment from the payment platform (a service
call over real HTTP to the simulator), the platform's signed callback (sent by the simulator to the
app served over real HTTP) records the receipt and moves the process on, once however often it
comes; the result is not issued before the fee is paid unless the procedure is free; a financial
obligation (status 6) paid online ends the wait at the counter."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.codes import SIGNATURE_HEADER
from integrations.webhooks import sign
from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal
from tests.dossiers.test_dossier_flow import office as office  # the fixture
from tests.integrations.remote import (
    PAYMENT_SECRET,
    connect,
    journal,
    point_callbacks,
    run_calls,
    simulator_fixture,
)

remote_simulator = simulator_fixture()
FEE = 200000
RESULT = {"result_number": "45/PLLTP", "issued_on": "2026-12-04"}


@pytest.fixture
def remote(office, remote_simulator, live_server):
    """The catalogue's AG-LLTP-01 collects its fee (200.000 đồng) through the process; the app's
    connectors call the simulator, whose callbacks reach the app over HTTP."""
    _fee(office, FEE)
    connect(office.app, remote_simulator)
    point_callbacks(remote_simulator, live_server)
    office.simulator = remote_simulator
    return office


def _fee(office, amount):
    """Set AG-LLTP-01's fee in the catalogue (PATCH /api/v1/procedures/...)."""
    answer = office.admin.client.patch(
        "/api/v1/procedures/AG-LLTP-01", json={"fee_amount": amount}, headers=office.admin.headers
    )
    assert answer.status_code == 200, answer.json
    return answer


def _pay(simulator, payment_id: str, **spec) -> dict:
    answer = requests.post(f"{simulator.url}/payment/_pay/{payment_id}", json=spec, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _variables(office, dossier) -> dict:
    return office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json["variables"]


def _open(office, dossier) -> list[str]:
    return [
        s["element_id"] for s in office.admin.get(f"/api/v1/dossiers/{dossier['id']}").json["current_steps"]
    ]


def _at_approval(office):
    dossier = appraise(office, to_appraisal(office, receive(office)), "propose_approve")
    return do(office.leader, dossier, "approve", {"approval_decision": "approve"})


def test_the_fee_is_requested_paid_once_through_a_doubled_callback_and_recorded(remote):
    dossier = to_appraisal(remote, receive(remote))
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("request_fee_payment", "payment/create_request", "done")]
    (effect,) = journal(remote.simulator)
    assert effect["params"]["amount"] == FEE and effect["params"]["purpose"] == "fee"
    assert effect["params"]["ref"] == dossier["code"]
    request = _variables(remote, dossier)["fee_request"]
    assert request["payment_id"] == "PAY-000001" and request["amount"] == FEE

    paid = _pay(remote.simulator, "PAY-000001", outcome="paid", times=2)  # delivered twice
    assert [a["status"] for a in paid["answers"]] == [200, 200], paid
    assert [a["body"]["outcome"] for a in paid["answers"]] == ["delivered", "duplicate"]
    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    (payment,) = dossier["payments"]
    assert payment["receipt_number"] == "BL-000001" and payment["amount"] == FEE
    assert (payment["state"], payment["channel"], payment["callbacks"]) == ("paid", "online", 2)
    assert dossier["fee_paid"] is True
    variables = _variables(remote, dossier)
    assert variables["fee_receipt"]["receipt_number"] == "BL-000001"
    history = remote.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json["history"]
    assert [e["type"] for e in history].count("message_delivered") == 1  # never twice
    assert [e["type"] for e in history].count("payment_recorded") == 1

    page = remote.clerk.get(f"/ui/dossiers/{dossier['code']}").get_data(as_text=True)
    assert 'data-testid="payments"' in page and "BL-000001" in page and "200.000" in page
    dossier = appraise(remote, dossier, "propose_approve")
    dossier = do(remote.leader, dossier, "approve", {"approval_decision": "approve"})
    dossier = do(remote.records, dossier, "issue_result", RESULT)
    assert dossier["status"] == 9
    slip = remote.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    text = slip.get_data(as_text=True)
    assert "Phí, lệ phí" in text and "BL-000001" in text and "200.000 đồng" in text


def test_the_result_is_not_issued_before_the_fee_is_paid(remote):
    dossier = _at_approval(remote)
    run_calls(remote.app)
    tasks = remote.records.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    issue = next(t for t in tasks["items"] if t["element_id"] == "issue_result")
    refused = remote.records.complete(issue["id"], RESULT)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "fee_not_paid"
    assert refused.json["error"]["details"] == {"code": dossier["code"], "fee_amount": FEE}
    assert "issue_result" in _open(remote, dossier)  # nothing applied

    # The bank refuses: recorded, still not paid; the payer tries again and pays
    answer = _pay(remote.simulator, "PAY-000001", outcome="refused")["answers"][0]
    assert answer["body"]["outcome"] == "recorded"
    assert remote.records.complete(issue["id"], RESULT).status_code == 409
    answer = _pay(remote.simulator, "PAY-000001", outcome="paid")["answers"][0]
    assert answer["body"]["outcome"] == "delivered"
    done = remote.records.complete(issue["id"], RESULT)
    assert done.status_code == 200, done.json
    assert remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["status"] == 9


def test_a_free_procedure_requests_no_payment_and_issues_at_once(remote):
    _fee(remote, 0)
    dossier = _at_approval(remote)
    assert run_calls(remote.app) == []  # no payment request
    dossier = do(remote.records, dossier, "issue_result", RESULT)
    assert dossier["status"] == 9 and dossier["fee_paid"] is True and dossier["payments"] == []


def test_the_fee_paid_at_the_counter_is_recorded_once(remote):
    dossier = _at_approval(remote)
    run_calls(remote.app)
    url = f"/api/v1/dossiers/{dossier['code']}/payments"
    wrong = remote.clerk.post(url, json={"receipt_number": "Q-1", "amount": FEE - 1})
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "amount_mismatch"
    assert remote.specialist.post(url, json={"receipt_number": "Q-1", "amount": FEE}).status_code == 403
    for _ in range(2):
        paid = remote.clerk.post(url, json={"receipt_number": "Q-1", "amount": FEE})
        assert paid.status_code == 200, paid.json
    assert paid.json["fee_paid"] is True
    (payment,) = paid.json["items"]
    assert (payment["channel"], payment["receipt_number"], payment["callbacks"]) == ("counter", "Q-1", 2)
    assert "fee_paid" not in _variables(remote, dossier).get("waiting", [])
    assert do(remote.records, dossier, "issue_result", RESULT)["status"] == 9
    # the online request left unpaid: a later online payment is recorded, delivered to nobody
    late = _pay(remote.simulator, "PAY-000001", outcome="paid")["answers"][0]
    assert late["body"]["outcome"] == "recorded", late


def test_callbacks_are_signed_and_must_match_a_request(remote, live_server):
    dossier = to_appraisal(remote, receive(remote))
    run_calls(remote.app)
    payload = {
        "payment_id": "PAY-000001",
        "ref": dossier["code"],
        "purpose": "fee",
        "status": "paid",
        "amount": FEE,
        "receipt_number": "BL-9",
    }

    def send(body: dict, secret: str = PAYMENT_SECRET) -> requests.Response:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, data)}
        return requests.post(
            f"{live_server}/api/v1/payments/callback", data=data, headers=headers, timeout=10
        )

    unsigned = requests.post(f"{live_server}/api/v1/payments/callback", json=payload, timeout=10)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"]
    assert send(payload, secret="guessed").status_code == 401
    unknown = send({**payload, "payment_id": "PAY-999999"})
    assert unknown.status_code == 409 and unknown.json()["error"]["code"] == "payment_not_requested"
    short = send({**payload, "amount": FEE - 1000})
    assert short.status_code == 422 and short.json()["error"]["code"] == "amount_mismatch"
    no_receipt = send({**payload, "receipt_number": None})
    assert no_receipt.status_code == 422 and "receipt_number" in json.dumps(no_receipt.json())
    assert remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["payments"] == []
    assert send(payload).json()["outcome"] == "delivered"


def test_a_financial_obligation_paid_online_ends_the_wait_at_the_counter(remote):
    _fee(remote, 0)
    dossier = appraise(
        remote,
        to_appraisal(remote, receive(remote)),
        "request_financial",
        financial_obligations=["Lệ phí trước bạ"],
        financial_amount=12500000,
    )
    assert dossier["status"] == 6 and dossier["paused"] is True
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("request_financial_payment", "payment/create_request", "done")]
    assert journal(remote.simulator)[0]["params"]["amount"] == 12500000
    answer = _pay(remote.simulator, "PAY-000001", outcome="paid", times=2)["answers"]
    assert [a["body"]["outcome"] for a in answer] == ["delivered", "duplicate"]
    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert dossier["status"] == 4 and dossier["paused"] is False
    assert [s["element_id"] for s in dossier["current_steps"]] == ["approve"]
    (payment,) = dossier["payments"]
    assert (payment["purpose"], payment["amount"]) == ("financial", 12500000)
    waited = next(s for s in dossier["steps"] if s["element_id"] == "await_financial")
    assert waited["outcome"] == "cancelled"  # paid online: no receipt to record at the counter
    slip = remote.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    assert "Nghĩa vụ tài chính" in slip.get_data(as_text=True)


def test_without_a_known_amount_the_obligation_is_paid_at_the_counter(remote):
    _fee(remote, 0)
    dossier = appraise(
        remote, to_appraisal(remote, receive(remote)), "request_financial", financial_obligations=["Thuế"]
    )
    assert dossier["status"] == 6
    assert run_calls(remote.app) == []  # no amount yet: no online payment request
    instance = remote.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json
    assert instance["state"] == "running" and instance["error"] is None
    assert instance["variables"]["financial_payable"] is False


def test_racing_copies_of_one_callback_record_and_deliver_it_once(remote, live_server):
    dossier = to_appraisal(remote, receive(remote))
    run_calls(remote.app)
    body = json.dumps(
        {
            "payment_id": "PAY-000001",
            "ref": dossier["code"],
            "purpose": "fee",
            "status": "paid",
            "amount": FEE,
            "receipt_number": "BL-7",
        }
    ).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(PAYMENT_SECRET, body)}
    start = threading.Barrier(4)

    def send(_):
        start.wait(10)
        url = f"{live_server}/api/v1/payments/callback"
        return requests.post(url, data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["delivered", "duplicate", "duplicate", "duplicate"], [a.json() for a in answers]
    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    (payment,) = dossier["payments"]
    assert payment["callbacks"] == 4
    history = remote.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json["history"]
    assert [e["type"] for e in history].count("message_delivered") == 1
