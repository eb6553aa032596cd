"""The messages' templates, as data (templates.json, or the file MOTCUA_NOTIFICATION_TEMPLATES
names): per template its title, audience, the SMS text and the Zalo (ZNS) template id with the
values its parameters take. Checked when first read: an unknown value name is an error.

An SMS text names values as `$name`; `[[ ... ]]` is a part left out when a value it names is empty
(no public address, no reason given). Values are cleaned before they are put in (control
characters dropped, whitespace folded, each cut to its limit), never read as template text; the
SMS is held to MOTCUA_SMS_MAX_SEGMENTS segments (UCS-2: 70 characters, 67 per joined segment;
without diacritics, MOTCUA_SMS_UNICODE=false: 160 / 153), the longest values shortened first.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from string import Template

SHIPPED = Path(__file__).resolve().parent / "templates.json"
# What a template may name, and the most characters each value keeps.
VALUES = {
    "code": 64,
    "procedure": 120,
    "appointment": 20,
    "lookup_url": 200,
    "pin": 12,
    "reason": 160,
    "task": 120,
    "group": 64,
    "due": 20,
    "url": 200,
}
# Values that are shortened first when an SMS is too long (free text, not codes or links).
SHORTENED = ("reason", "procedure", "task", "group")
ZNS_VALUE_MAX = 100  # a ZNS parameter's usual limit; the template's approval fixes the real one
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)
_NAME = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class TemplateError(ValueError):
    """A templates file that does not fit what this module reads."""


@dataclass(frozen=True)
class MessageTemplate:
    id: str
    title: str
    audience: str
    sms: str
    zalo_template_id: str
    zalo_params: dict

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "audience": self.audience,
            "sms": self.sms,
            "zalo": {"template_id": self.zalo_template_id, "params": dict(self.zalo_params)},
        }


@functools.cache
def load(path: str | None = None) -> dict[str, MessageTemplate]:
    """The templates of `path` (the shipped file when None), checked."""
    source = Path(path) if path else SHIPPED
    try:
        data = json.loads(source.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateError(f"{source}: {exc}") from None
    found = {}
    for ident, spec in data.items():
        try:
            zalo = spec["zalo"]
            template = MessageTemplate(
                ident, spec["title"], spec["audience"], spec["sms"], zalo["template_id"], dict(zalo["params"])
            )
        except (KeyError, TypeError) as exc:
            raise TemplateError(f"{source}: template {ident!r} lacks {exc}") from None
        names = {a or b for a, b in _NAME.findall(template.sms)} | set(template.zalo_params.values())
        if unknown := sorted(names - set(VALUES)):
            raise TemplateError(f"{source}: template {ident!r} names unknown values {unknown}")
        if template.audience not in ("applicant", "officer"):
            raise TemplateError(f"{source}: template {ident!r}: audience is applicant or officer")
        found[ident] = template
    return found


def clean(value, limit: int) -> str:
    """A value as it may go into a message: text, no control characters, one line, at most
    `limit` characters (cut with an ellipsis)."""
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str) -> str:
    """Vietnamese without diacritics (for gateways that only take GSM 7-bit text)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("…", "...")


def max_length(segments: int, unicode: bool) -> int:
    single, joined = (70, 67) if unicode else (160, 153)
    return single if segments <= 1 else joined * segments


def _fill(text: str, values: dict[str, str]) -> str:
    def optional(match: re.Match) -> str:
        part = match.group(1)
        needed = [a or b for a, b in _NAME.findall(part)]
        return part if all(values.get(name) for name in needed) else ""

    return Template(_OPTIONAL.sub(optional, text)).safe_substitute(values)


def render_sms(template: MessageTemplate, values: dict, *, segments: int, unicode: bool) -> str:
    """The SMS text with the values put in, within `segments` segments."""
    cleaned = {name: clean(values.get(name), limit) for name, limit in VALUES.items()}
    limit = max_length(segments, unicode)
    text = _fill(template.sms, cleaned)
    text = text if unicode else plain(text)
    for name in SHORTENED:  # too long: shorten the free-text values, longest first
        while len(text) > limit and len(cleaned[name]) > 12:
            cleaned[name] = clean(cleaned[name], max(12, len(cleaned[name]) - (len(text) - limit) - 1))
            text = _fill(template.sms, cleaned)
            text = text if unicode else plain(text)
    return text if len(text) <= limit else text[: limit - 1] + ("…" if unicode else ".")


def render_zalo(template: MessageTemplate, values: dict) -> dict:
    """The ZNS template_data: each parameter of the template with its cleaned value."""
    return {
        param: clean(values.get(name), min(VALUES[name], ZNS_VALUE_MAX))
        for param, name in template.zalo_params.items()
    }
