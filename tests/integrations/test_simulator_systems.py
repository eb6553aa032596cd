"""The simulator's payment platform, post and documents system (in process, werkzeug's client):
their answers fit the connectors' contracts, and their control routes refuse what they cannot do."""

from __future__ import annotations

import base64
import hashlib

from werkzeug.test import Client

from integrations import contracts
from integrations.simulator import Simulator

CONTRACTS = contracts.load()


def _call(client, system, operation, params, key):
    answer = client.post(f"/{system}/{operation}", json={"params": params}, headers={"Idempotency-Key": key})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert CONTRACTS[system].operations[operation].result_problems(body) == []
    return body


def test_each_system_answers_within_its_contract_and_once_per_key():
    client = Client(Simulator())
    paid = {"ref": "H56-1", "purpose": "fee", "amount": 200000}
    assert CONTRACTS["payment"].operations["create_request"].param_problems(paid) == []
    first = _call(client, "payment", "create_request", paid, "k1")
    assert first["payment_id"] == "PAY-000001" and first["amount"] == 200000
    assert _call(client, "payment", "create_request", paid, "k1") == first  # replayed, no new request
    booking = {"ref": "H56-1", "address": {"address": "Số 5 Lê Lợi"}}
    assert _call(client, "post", "book_delivery", booking, "k2")["tracking_number"] == "EB000000001VN"
    assert _call(client, "post", "book_pickup", booking, "k3")["tracking_number"] == "EB000000002VN"
    pdf = b"%PDF-1.7 signed"
    document = {
        "name": "kq.pdf",
        "content_type": "application/pdf",
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "content_base64": base64.b64encode(pdf).decode(),
    }
    filing = {"ref": "H56-1", "result_number": "1/GP", "document": document}
    assert CONTRACTS["edms"].operations["file_result"].param_problems(filing) == []
    number = _call(client, "edms", "file_result", filing, "k4")["document_number"]
    documents = client.get("/edms/_documents").get_json()
    assert documents[number] == {
        "ref": "H56-1",
        "result_number": "1/GP",
        "name": "kq.pdf",
        "size": len(pdf),
        "sha256_ok": True,
        "pdf": True,
    }
    stats = client.get("/_control/stats").get_json()
    assert stats["effects"] == 4 and set(stats["effects_per_key"].values()) == {1}


def test_the_payer_and_the_post_are_told_only_what_they_can_do():
    client = Client(Simulator())
    assert client.post("/payment/_pay/PAY-000404", json={"outcome": "paid"}).status_code == 404
    _call(client, "payment", "create_request", {"ref": "H", "purpose": "fee", "amount": 1}, "k")
    assert client.post("/payment/_pay/PAY-000001", json={"outcome": "stolen"}).status_code == 400
    assert client.post("/payment/_pay/PAY-000001", json={"times": 9}).status_code == 400
    assert client.post("/post/_status/EB000000001VN", json={"status": "delivered"}).status_code == 404
    _call(client, "post", "book_delivery", {"ref": "H", "address": {"address": "x"}}, "k2")
    assert client.post("/post/_status/EB000000001VN", json={"status": "lost"}).status_code == 400
    # No callback URL yet: the outcome is kept, the callback reports why it was not sent
    paid = client.post("/payment/_pay/PAY-000001", json={"outcome": "paid"}).get_json()
    assert paid["callback"]["receipt_number"] == "BL-000001"
    assert paid["answers"] == [{"status": None, "error": paid["answers"][0]["error"]}]
    assert "no callback URL" in paid["answers"][0]["error"]
    bad = client.post("/_control/callbacks", json={"system": "nowhere", "url": "http://x", "secret": "s"})
    assert bad.status_code == 400
    good = client.post("/_control/callbacks", json={"system": "payment", "url": "http://x", "secret": "s"})
    assert good.status_code == 200
