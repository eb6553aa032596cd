"""The dossier model's steps that call other systems (issue 14), driven through the Engine API as
the service drives them: the fee requested beside the handling and paid by a message, a pending
fee wait ended by the handling's end, the financial obligation paid online, the signed result
filed in the documents system, the result booked with the post."""

from __future__ import annotations

import pytest

from .conftest import NOW
from .test_process_library import (
    APPRAISAL,
    DOSSIER_START,
    SERVICE_VARIABLES,
    Run,
    completed,
    deploy_library,
    opened,
    to_appraisal,
)

PAYMENT = {"payment_id": "PAY-000001", "receipt_number": "BL-1", "amount": 200000, "paid_via": "online"}


@pytest.fixture
def dossier(engine):
    return deploy_library(engine, "dossier")


def _with_fee(engine, definition) -> Run:
    run = Run.start(engine, definition, {**DOSSIER_START, "fee_amount": 200000})
    run.complete("receive", reception_decision="accept")
    return run


def test_a_fee_is_requested_beside_the_handling_and_paid_by_its_message(engine, dossier):
    run = _with_fee(engine, dossier)
    result = run.complete("digitise", injected=SERVICE_VARIABLES, all_components_digitised=True)
    (call,) = result.service_calls
    assert call["operation"] == "payment/create_request" and call["element_id"] == "request_fee_payment"
    assert call["params"] == {
        "ref": SERVICE_VARIABLES["dossier_code"],
        "purpose": "fee",
        "amount": 200000,
        "description": DOSSIER_START["procedure_name"],
        "payer": DOSSIER_START["applicant"],
    }
    assert opened(result) == ["assign"]  # the handling does not wait for the payment
    result = run.complete_service(call, {"ok": True, "payment_id": "PAY-000001", "amount": 200000})
    assert "fee_paid" in result.waiting_messages
    result = run.deliver("fee_paid", PAYMENT)
    assert {"fee_paid", "fee_settled"} <= set(completed(result))
    assert "fee_paid" not in result.waiting_messages
    run.complete("assign", specialist="chuyenvien.a")
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    run.complete("issue_result", result_number="1/GP", issued_on="2025-03-05")
    assert run.complete("return_result", method="counter").status == "completed"


def test_a_refused_dossier_does_not_wait_for_its_fee(engine, dossier):
    run = _with_fee(engine, dossier)
    result = run.complete("digitise", injected=SERVICE_VARIABLES, all_components_digitised=True)
    (call,) = result.service_calls
    run.complete_service(call, {"ok": True, "payment_id": "PAY-000001", "amount": 200000})
    run.complete("assign", specialist="chuyenvien.a")
    run.complete(
        "appraise", appraisal_decision="propose_refuse", proposed_refusal_reason="Thiếu.", **APPRAISAL
    )
    run.complete("approve", approval_decision="refuse", refusal_reason="Không đủ điều kiện.")
    result = run.complete("issue_refusal", letter_number="9/TB", issued_on="2025-03-05")
    assert "processing_end" in completed(result)  # the handling ends: the fee wait with it
    assert "fee_paid" not in result.waiting_messages
    assert opened(result) == ["return_result"]


def test_the_financial_obligation_paid_online_ends_the_wait_at_the_counter(engine, dossier):
    run = to_appraisal(engine, dossier)
    result = run.complete(
        "appraise",
        appraisal_decision="request_financial",
        financial_obligations=["Lệ phí trước bạ"],
        financial_amount=12500000,
        **APPRAISAL,
    )
    waiting = run.task("await_financial")
    (call,) = result.service_calls
    assert (call["element_id"], call["params"]["purpose"], call["params"]["amount"]) == (
        "request_financial_payment",
        "financial",
        12500000,
    )
    result = run.complete_service(call, {"ok": True, "payment_id": "PAY-000002", "amount": 12500000})
    assert "financial_request_sent" in completed(result)
    assert "financial_paid" in result.waiting_messages
    result = run.deliver("financial_paid", {**PAYMENT, "amount": 12500000})
    assert result.closed == [waiting.id]  # the counter's wait ends (its clock restarts)
    assert "financial_met" in completed(result)
    assert opened(result) == ["approve"]
    assert run.status_changes() == [2, 4, 6, 4]


def test_the_signed_result_is_filed_before_it_goes_to_the_counter(engine, dossier):
    run = to_appraisal(engine, dossier)
    run.complete("appraise", appraisal_decision="propose_approve", **APPRAISAL)
    run.complete("approve", approval_decision="approve")
    signed = {
        "e_result_signed": True,
        "signed_result": {"attachment": "7b1f0c7e-0000-4000-8000-000000000001"},
    }
    result = run.complete("issue_result", injected=signed, result_number="1/GP", issued_on="2025-03-05")
    (call,) = result.service_calls
    assert call["operation"] == "edms/file_result"
    assert call["params"]["document"] == signed["signed_result"]
    assert call["params"]["result_number"] == "1/GP" and call["params"]["unit"] == "SO-XD"
    assert opened(result) == []  # the result reaches the counter once it is filed
    result = run.complete_service(call, {"ok": True, "document_number": "12/2025/VB"})
    assert opened(result) == ["return_result"]
    assert result.variables["edms_filing"]["document_number"] == "12/2025/VB"


def test_a_pickup_by_the_post_comes_before_the_check_at_the_counter(engine, dossier):
    address = {"address": "Ấp 3, xã Mỹ Hòa Hưng", "phone": "0913000111"}
    start = {**DOSSIER_START, "channel": "post", "pickup_requested": True, "pickup_address": address}
    run = Run(engine, dossier, engine.start(dossier, start, now=NOW))
    run._record(run.result)
    assert opened(run.result) == []
    (call,) = run.result.service_calls
    assert (call["operation"], call["params"]["address"]) == ("post/book_pickup", address)
    assert call["params"]["ref"] == DOSSIER_START["dossier_id"]
    result = run.complete_service(call, {"ok": True, "tracking_number": "EB000000001VN"})
    assert "documents_arrived" in result.waiting_messages
    result = run.deliver("documents_arrived", {"tracking_number": "EB000000001VN"})
    assert opened(result) == ["receive"]
