"""Zalo's ZNS (contract integrations/contracts/zalo.json): answers as ZNS does, {"error": 0,
"message": "Success", "data": {"msg_id", "sent_time"}} (ZNS also answers its own errors with HTTP
200 and a negative "error"; service/notifications/mapping.py reads them)."""

from __future__ import annotations

import time


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    sent = str(int(time.time() * 1000))
    return {"error": 0, "message": "Success", "data": {"msg_id": f"zns-{number}", "sent_time": sent}}
