"""The one place Motcua's messages meet the remote systems' fields (contracts sms.json and
zalo.json): the phone number as both take it, the parameters of each channel's `send`, and what an
answer says (ZNS answers its own errors with HTTP 200 and a non-zero "error")."""

from __future__ import annotations

import re

from .templates import MessageTemplate, render_sms, render_zalo

_DIGITS = re.compile(r"\D")
# A Vietnamese mobile number: 0 or 84 then nine digits starting 3, 5, 7, 8 or 9.
_MOBILE = re.compile(r"(?:84|0)([35789]\d{8})")
# ZNS codes worth trying again (its servers, quotas and rate limits); others are final.
ZNS_RETRYABLE = frozenset({-100, -108, -124, -1000})


class Refused(Exception):
    """The remote system answered, and says the message will not go (do not retry)."""


def phone(value) -> str | None:
    """A phone number as the gateways take it (84xxxxxxxxx), or None when it is not a Vietnamese
    mobile number."""
    if not isinstance(value, str):
        return None
    digits = _DIGITS.sub("", value)
    match = _MOBILE.fullmatch(digits)
    return f"84{match.group(1)}" if match else None


def params(
    channel: str, template: MessageTemplate, values: dict, *, to: str, reference: str, sms: dict
) -> dict:
    """The parameters of `<channel>/send` for one message (`sms`: brandname, segments, unicode)."""
    if channel == "sms":
        found = {
            "phone": to,
            "message": render_sms(template, values, segments=sms["segments"], unicode=sms["unicode"]),
            "unicode": sms["unicode"],
            "template": template.id,
            "reference": reference,
        }
        if sms.get("brandname"):
            found["brandname"] = sms["brandname"]
        return found
    return {
        "phone": to,
        "template_id": template.zalo_template_id,
        "template_data": render_zalo(template, values),
        "tracking_id": reference,
    }


def reference(channel: str, answer: dict) -> str | None:
    """The remote's id of the message sent; raises Refused (or RuntimeError, to retry) when the
    answer says it was not sent."""
    if channel == "sms":
        return str(answer.get("message_id") or "") or None
    code = answer.get("error", 0)
    if code != 0:
        text = f"ZNS error {code}: {answer.get('message') or 'no message'}"
        if code in ZNS_RETRYABLE:
            raise RuntimeError(text)
        raise Refused(text)
    return str((answer.get("data") or {}).get("msg_id") or "") or None
