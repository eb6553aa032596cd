"""How the Camunda API reads a request: its filters (from the query string of a GET or the JSON body
of a POST query, as Camunda takes both), firstResult/maxResults and JSON bodies.

A list or count takes the filters its route names; a filter it does not apply is refused (400
InvalidRequestException naming it), never silently dropped (an answer wider than asked for could
send a worker to the wrong task). Only what changes nothing in Motcua (sorting, which is always
by creation; deserialising values, which are JSON; tenant flags, as Motcua has no tenants) is
ignored. A known field with a value of the wrong kind is a 400. No text may hold a NUL character.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, request

from ..errors import BadRequest
from ..web import JSONBody
from .queries import Window

MAX_TEXT = 255
MAX_FIRST = 1_000_000_000
STR, INT, BOOL, LIST = "str", "int", "bool", "list"
WINDOW = frozenset({"firstResult", "maxResults"})
# Parameters that change nothing in Motcua: accepted and ignored.
IGNORED = frozenset(
    {
        "sortBy",
        "sortOrder",
        "sorting",
        "deserializeValues",
        "deserializeValue",
        "withoutTenantId",
        "includeProcessDefinitionsWithoutTenantId",
        "includeDeploymentsWithoutTenantId",
        "withoutSource",
    }
)


def _nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul(k) or _nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul(item) for item in value)
    return False


def _invalid(name: str, message: str) -> BadRequest:
    return BadRequest(
        f"Invalid value for '{name}': {message}", code="invalid_parameter", details={"field": name}
    )


def body() -> dict:
    """The JSON object of the request, {} when it has no body."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json()
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", code="invalid_json")
    if _nul(data):
        raise BadRequest("NUL characters are not allowed.", code="invalid_parameter")
    return data


def _text(name: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(name, "text expected.")
    value = str(value)
    if "\x00" in value or len(value) > MAX_TEXT:
        raise _invalid(name, f"text of at most {MAX_TEXT} characters without NUL expected.")
    return value


def _convert(name: str, kind: str, value, *, from_query: bool):
    if kind == STR:
        return _text(name, value)
    if kind == INT:
        if from_query and isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 12:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIRST:
            raise _invalid(name, f"an integer from 0 to {MAX_FIRST} expected.")
        return value
    if kind == BOOL:
        if from_query and isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise _invalid(name, "true or false expected.")
        return value
    items = value.split(",") if from_query and isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > 1000:
        raise _invalid(name, "a list (comma-separated in a query string) of at most 1000 items expected.")
    return [_text(name, item) for item in items]


def filters(spec: dict[str, str]) -> dict:
    """The known filters of this request (spec: name -> STR, INT, BOOL or LIST), those with a value."""
    from_query = request.method == "GET"
    source = request.args if from_query else body()
    unknown = sorted(set(source) - set(spec) - WINDOW - IGNORED)
    if unknown:
        names = ", ".join(name[:60] for name in unknown[:10])
        raise BadRequest(
            f"Motcua's Camunda API does not apply the parameter(s) {names}; this path takes "
            + ", ".join(sorted(spec))
            + " (docs/camunda-compatibility.md).",
            code="parameter_not_supported",
            details={"unsupported": unknown[:10], "supported": sorted(spec)},
        )
    found = {}
    for name, kind in spec.items():
        value = source.get(name)
        if value is None or (from_query and value == "" and kind != STR):
            continue
        found[name] = _convert(name, kind, value, from_query=from_query)
    return found


def window() -> Window:
    """firstResult (default 0) and maxResults (default and cap: MOTCUA_MAX_PAGE_SIZE), from the
    query string (Camunda takes them there for GET and POST queries alike)."""
    cap = current_app.config["MOTCUA_MAX_PAGE_SIZE"]
    first, size = 0, cap
    for name in ("firstResult", "maxResults"):
        value = request.args.get(name)
        if value is None or value == "":
            continue
        number = _convert(name, INT, value, from_query=True)
        if name == "firstResult":
            first = number
        else:
            size = min(number, cap)
    return Window(first, size)


def load(schema: ma.Schema, data: dict, names: dict[str, str]) -> dict:
    """Camunda's fields, translated into a native request, loaded with the native route's own schema
    (its bounds and kinds: one rule for both APIs); a refusal is a 400 naming the Camunda fields
    (`names`: native name -> Camunda's)."""
    try:
        return schema.load(JSONBody(data))
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        fields = {names.get(key, key): value for key, value in messages.items()}
        raise BadRequest(
            "The request is not valid: " + ", ".join(sorted(fields)) + ".",
            code="validation_failed",
            details={"fields": fields},
        ) from None


def refuse_unless_empty(data: dict, names) -> None:
    """400 for fields Motcua cannot honour when they say something (tenants, local variables,
    filters on what it does not keep); empty or null values are accepted."""
    for name in names:
        if data.get(name) not in (None, {}, [], False, ""):
            raise BadRequest(
                f"Motcua's Camunda API does not support '{name}' (docs/camunda-compatibility.md).",
                code="parameter_not_supported",
                details={"unsupported": [name]},
            )
