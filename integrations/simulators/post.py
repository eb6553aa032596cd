"""The postal operator (bưu chính công ích): bookings with a tracking number, and their tracking.

`book_delivery` (a result to the applicant) and `book_pickup` (the applicant's documents to the
one-stop shop) answer a tracking number (EB000000001VN...) with status "booked"; `deliver` (the
older operation) answers a numbered reference. `POST /post/_status/<tracking_number>` with
{"status": "picked_up" | "in_transit" | "delivered" | "failed" | "returned", "times": 1 | 2} moves
the item and sends the signed tracking callback to Motcua; `GET /post/_items` lists the items.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from integrations.codes import POST_STATUSES

from . import echo

_plain = echo("post")


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    if operation not in ("book_delivery", "book_pickup"):
        return _plain(operation, params, state, number)
    tracking = f"EB{number:09d}VN"
    state.setdefault("items", {})[tracking] = {
        "ref": params.get("ref"),
        "kind": "delivery" if operation == "book_delivery" else "pickup",
        "address": params.get("address"),
        "status": "booked",
    }
    return {"ok": True, "tracking_number": tracking, "status": "booked"}


def _status(simulator, request, tracking_number: str) -> Response:
    spec = request.get_json(silent=True) or {}
    status, times = spec.get("status"), spec.get("times", 1)
    if status not in POST_STATUSES or type(times) is not int or not 1 <= times <= 5:
        return _json({"error": f'"status" is one of {", ".join(POST_STATUSES)}; 1 <= "times" <= 5'}, 400)
    with simulator.lock:
        own = simulator.state.setdefault("systems", {}).setdefault("post", {})
        item = own.get("items", {}).get(tracking_number)
        if item is None:
            return _json({"error": f"no item {tracking_number}"}, 404)
        item["status"] = status
        payload = {
            "tracking_number": tracking_number,
            "ref": item["ref"],
            "kind": item["kind"],
            "status": status,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "note": spec.get("note"),
        }
        simulator._save()
    sent = [simulator.send_callback("post", payload) for _ in range(times)]
    return _json({"ok": True, "callback": payload, "answers": sent})


def _items(simulator, request) -> Response:
    with simulator.lock:
        return _json(simulator.state.get("systems", {}).get("post", {}).get("items", {}))


def routes(simulator) -> list:
    return [
        (Rule("/post/_status/<tracking_number>", endpoint="post_status", methods=["POST"]), _status),
        (Rule("/post/_items", endpoint="post_items", methods=["GET"]), _items),
    ]
