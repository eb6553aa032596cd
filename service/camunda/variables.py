"""Camunda's typed variables, to and from Motcua's plain JSON variables (pure functions).

Camunda sends and answers `{"name": {"value": ..., "type": "String", "valueInfo": {...}}}`. Motcua
keeps variables as JSON values, so a typed value is read into the JSON value it stands for and a
stored value is answered with the type its JSON kind has (docs/camunda-compatibility.md):

| Camunda type | read as | answered for |
|---|---|---|
| String | a string | a string |
| Integer, Short, Long | an integer (a string of digits too) | an integer (Long past 32 bits) |
| Double | a number | a float |
| Boolean | true/false (the strings "true"/"false" too) | a boolean |
| Null, or no type and a null value | null | null |
| Json; Object as application/json | the JSON its text holds | an object or a list (as its JSON text) |
| Date | an ISO 8601 / Camunda date string, kept as that string | never (dates are strings in Motcua) |
| no type | the value as sent | |

Bytes, File and Java-serialized Objects have no JSON form: they are refused (400).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from ..errors import BadRequest

INT32 = 2**31 - 1
_DIGITS = re.compile(r"^[+-]?\d{1,19}$")
_JSON_FORMATS = {"application/json", "json"}
MAX_NAME = 255


class VariableRefused(BadRequest):
    """A typed variable Motcua cannot read (Camunda answers these with 400 InvalidRequestException)."""


def _refuse(name: str, message: str) -> VariableRefused:
    return VariableRefused(
        f"Cannot read variable '{name[:80]}': {message}",
        code="invalid_variable",
        details={"variable": name[:80]},
    )


def _integer(name: str, value, kind: str) -> int:
    if isinstance(value, bool):
        raise _refuse(name, f"a {kind} must be an integer, not a boolean.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise _refuse(name, f"a {kind} must be an integer.")
    limit = INT32 if kind in {"Integer", "Short"} else 2**63 - 1
    if kind == "Short":
        limit = 2**15 - 1
    if not -limit - 1 <= number <= limit:
        raise _refuse(name, f"{number} is out of the range of a {kind}.")
    return number


def _json_text(name: str, value):
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        raise _refuse(name, "a Json value must be a JSON text (a string) or an object or a list.")
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise _refuse(name, "its value is not valid JSON.") from None


def _date(name: str, value) -> str:
    if not isinstance(value, str):
        raise _refuse(name, "a Date must be a string such as 2024-01-31T09:30:00.000+0700.")
    text = value.strip()
    for form in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            datetime.strptime(text, form)
            return text
        except ValueError:
            pass
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise _refuse(name, f"{text[:40]!r} is not a date such as 2024-01-31T09:30:00.000+0700.") from None
    return text


def read_value(name: str, typed) -> object:
    """The JSON value one typed variable stands for (VariableRefused otherwise)."""
    if not isinstance(typed, dict):
        raise _refuse(name, 'send {"value": ..., "type": ...}.')
    value = typed.get("value")
    kind = typed.get("type")
    info = typed.get("valueInfo") or {}
    if kind is None:
        return value
    if not isinstance(kind, str):
        raise _refuse(name, "its type must be a string such as String or Integer.")
    kind = kind[:1].upper() + kind[1:]
    if value is None or kind == "Null":
        return None
    if kind == "String":
        if isinstance(value, dict | list):
            raise _refuse(name, "a String must be text.")
        return value if isinstance(value, str) else json.dumps(value)
    if kind in {"Integer", "Short", "Long"}:
        return _integer(name, value, kind)
    if kind == "Double":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _refuse(name, "a Double must be a number.")
        try:
            number = float(value)
        except ValueError:
            raise _refuse(name, "a Double must be a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _refuse(name, "a Double must be a finite number.")
        return number
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise _refuse(name, "a Boolean must be true or false.")
    if kind == "Json":
        return _json_text(name, value)
    if kind == "Object":
        fmt = info.get("serializationDataFormat") if isinstance(info, dict) else None
        if fmt in _JSON_FORMATS:
            return _json_text(name, value)
        raise _refuse(
            name, "only Objects serialized as application/json are accepted (no Java serialization)."
        )
    if kind == "Date":
        return _date(name, value)
    raise _refuse(name, f"the type {kind[:40]!r} is not supported (Bytes and File have no JSON form).")


def read(typed) -> dict:
    """{name: typed variable} (None: no variables) as {name: JSON value}, or VariableRefused (400)."""
    if typed is None:
        return {}
    if not isinstance(typed, dict):
        raise BadRequest(
            'variables must be an object of {"name": {"value": ..., "type": ...}}.', code="invalid_variable"
        )
    values = {}
    for name, each in typed.items():
        if not name or len(name) > MAX_NAME:
            raise _refuse(name, f"a variable name has 1 to {MAX_NAME} characters.")
        values[name] = read_value(name, each)
    return values


def kind_of(value) -> str:
    """The Camunda type a stored JSON value is answered with."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if -INT32 - 1 <= value <= INT32 else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return "Json"


def typed(value) -> dict:
    """One stored value as Camunda's typed variable."""
    kind = kind_of(value)
    if kind == "Json":
        return {"type": "Json", "value": json.dumps(value, ensure_ascii=False), "valueInfo": {}}
    return {"type": kind, "value": value, "valueInfo": {}}


def typed_all(values: dict, names=None) -> dict:
    """{name: typed variable} of stored values (only `names` when given, those that are set)."""
    wanted = values if names is None else {n: values[n] for n in names if n in values}
    return {name: typed(value) for name, value in wanted.items()}
