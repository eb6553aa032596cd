"""The SMS brandname gateway (contract integrations/contracts/sms.json): a message id numbered per
system and the number of segments the text takes (UCS-2 for a Unicode text, else GSM 7-bit)."""

from __future__ import annotations


def segments(message: str, unicode: bool) -> int:
    single, joined = (70, 67) if unicode else (160, 153)
    return 1 if len(message) <= single else -(-len(message) // joined)


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    text = str(params.get("message", ""))
    return {
        "ok": True,
        "message_id": f"sms-{number}",
        "segments": segments(text, bool(params.get("unicode", True))),
    }
