"""The payment platform: a payment request per call, paid (or refused, or expired) when told.

`create_request` answers a payment id (PAY-000001...), the amount and where to pay. The applicant's
act is a route of the simulator: `POST /payment/_pay/<payment_id>` with {"outcome": "paid" |
"refused" | "expired", "times": 1 | 2, "amount": N} records the outcome and sends the signed
callback to Motcua `times` times (2: the platform delivers it twice); "paid" gives a receipt
number. `GET /payment/_payments` lists the requests and `GET /payment/_callbacks` what was sent
and what Motcua answered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

OUTCOMES = ("paid", "refused", "expired")


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    if operation != "create_request":
        return {"ok": True, "reference": f"payment-{number}", "echo": params}
    payment_id = f"PAY-{number:06d}"
    now = datetime.now(UTC)
    state.setdefault("payments", {})[payment_id] = {
        "ref": params.get("ref"),
        "purpose": params.get("purpose"),
        "amount": params.get("amount"),
        "status": "pending",
    }
    return {
        "ok": True,
        "payment_id": payment_id,
        "amount": params.get("amount"),
        "pay_url": f"/payment/pay/{payment_id}",
        "expires_at": (now + timedelta(days=3)).isoformat(timespec="seconds"),
    }


def _pay(simulator, request, payment_id: str) -> Response:
    spec = request.get_json(silent=True) or {}
    outcome, times = spec.get("outcome", "paid"), spec.get("times", 1)
    if outcome not in OUTCOMES or type(times) is not int or not 1 <= times <= 5:
        return _json({"error": f'"outcome" is one of {", ".join(OUTCOMES)}; 1 <= "times" <= 5'}, 400)
    with simulator.lock:
        own = simulator.state.setdefault("systems", {}).setdefault("payment", {})
        payment = own.get("payments", {}).get(payment_id)
        if payment is None:
            return _json({"error": f"no payment {payment_id}"}, 404)
        receipts = own["receipts"] = own.get("receipts", 0) + (outcome == "paid")
        payment["status"] = outcome
        amount = spec.get("amount", payment["amount"])
        payload = {
            "payment_id": payment_id,
            "ref": payment["ref"],
            "purpose": payment["purpose"],
            "status": outcome,
            "amount": amount,
            "receipt_number": f"BL-{receipts:06d}" if outcome == "paid" else None,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        simulator._save()
    sent = [simulator.send_callback("payment", payload) for _ in range(times)]
    with simulator.lock:
        own.setdefault("callbacks", []).append({"payload": payload, "answers": sent})
        simulator._save()
    return _json({"ok": True, "callback": payload, "answers": sent})


def _payments(simulator, request) -> Response:
    with simulator.lock:
        return _json(simulator.state.get("systems", {}).get("payment", {}).get("payments", {}))


def _callbacks(simulator, request) -> Response:
    with simulator.lock:
        return _json(simulator.state.get("systems", {}).get("payment", {}).get("callbacks", []))


def routes(simulator) -> list:
    return [
        (Rule("/payment/_pay/<payment_id>", endpoint="payment_pay", methods=["POST"]), _pay),
        (Rule("/payment/_payments", endpoint="payment_payments", methods=["GET"]), _payments),
        (Rule("/payment/_callbacks", endpoint="payment_callbacks", methods=["GET"]), _callbacks),
    ]
