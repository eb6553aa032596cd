"""How the service reads a request: strict JSON, a URL in UTF-8, one webargs parser for every blueprint.

The one place JSON is decoded is `MotcuaJSONProvider.loads` (the app's `app.json`): `request.get_json()`
and every `@blp.arguments` JSON body (through `MotcuaParser`) call it. It refuses, with 400 and a
message naming the problem, what Python's `json` would accept or crash on: bytes that are not UTF-8,
nesting deeper than MOTCUA_JSON_MAX_DEPTH, integers longer than Python converts (4,300 digits),
NaN / Infinity / -Infinity and numbers that overflow a double (1e400), and lone surrogates ("\\ud800",
which no database or encoder accepts) in any string or key.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any
from urllib.parse import unquote_to_bytes

import flask
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser

from .errors import BadRequest, UnsupportedMediaType
from .web import JSONBody

_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONRejected(ValueError):
    """A document that is JSON to Python's decoder but not to the service (or not JSON at all)."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


def _constant(name: str):
    raise JSONRejected(f"{name} is not a JSON number; send numbers as finite decimals.", {"value": name})


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONRejected(
            f"The number {text[:40]} is too large for a double (it overflows to infinity).",
            {"value": text[:40]},
        )
    return value


# A lone surrogate can only come from a \uD800-\uDFFF escape (UTF-8 cannot carry one), and no
# container can be deeper than the brackets in the text: most bodies skip the walk through them.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _pointer(path: list) -> str:
    """The JSON Pointer (RFC 6901) of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _check_structure(value: Any, max_depth: int, surrogates: bool) -> None:
    """Refuse nesting deeper than max_depth and (if `surrogates`) lone surrogates in strings and keys."""
    stack: list[tuple[Any, int, tuple]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise _surrogate(path)
            continue
        if depth > max_depth:
            raise _too_deep(max_depth)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in items:
            if surrogates and isinstance(key, str) and _SURROGATE.search(key):
                raise _surrogate([*path, key.encode("utf-8", "backslashreplace").decode()])
            if isinstance(item, dict | list) or (surrogates and isinstance(item, str)):
                stack.append((item, depth + 1, (*path, key) if surrogates else ()))


def _surrogate(path) -> JSONRejected:
    where = _pointer(list(path)) or "/"
    return JSONRejected(
        f"The text at {where} holds a lone surrogate (\\ud800-\\udfff), which is not a character.",
        {"path": where},
    )


def _too_deep(max_depth: int) -> JSONRejected:
    return JSONRejected(f"The JSON is nested more than {max_depth} levels deep.", {"max_depth": max_depth})


def strict_loads(data: str | bytes, *, max_depth: int) -> Any:
    """Decode a JSON document as the service accepts it, or raise JSONRejected."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONRejected(
                f"The JSON is not valid UTF-8 (byte {exc.start}).", {"position": exc.start}
            ) from None
    else:
        text = data
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float)
    except JSONRejected:
        raise
    except RecursionError:
        raise _too_deep(max_depth) from None
    except json.JSONDecodeError as exc:
        raise JSONRejected(
            f"The JSON is not valid: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            {"line": exc.lineno, "column": exc.colno},
        ) from None
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        raise JSONRejected(
            f"An integer in the JSON has more than {limit} digits.", {"max_digits": limit}
        ) from None
    surrogates = bool(_SURROGATE.search(text) or _MAYBE_SURROGATE.search(text))
    if surrogates or text.count("[") + text.count("{") > max_depth:
        _check_structure(value, max_depth, surrogates)
    return value


class MotcuaJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with strict decoding (the limit from MOTCUA_JSON_MAX_DEPTH)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s, max_depth=self._app.config["MOTCUA_JSON_MAX_DEPTH"])


class MotcuaRequest(flask.Request):
    """A request whose JSON failures are the service's errors (400 naming the problem, 415)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise UnsupportedMediaType(
                "The body must be JSON, sent with 'Content-Type: application/json'.",
                details={"content_type": self.mimetype or None},
            )
        if isinstance(e, JSONRejected):
            raise BadRequest(e.message, code="invalid_json", details=e.details)
        raise BadRequest(f"The body is not valid JSON: {e}", code="invalid_json")


class MotcuaParser(FlaskParser):
    """The webargs parser behind every @blp.arguments: JSON bodies through the app's strict decoder.

    A JSON body is required wherever an operation declares one (the OpenAPI document says so):
    none at all is a 400, a body in another media type a 415.
    """

    def load_json(self, req: flask.Request, schema) -> Any:
        if not req.get_data(cache=True):
            raise BadRequest(
                "This operation needs a JSON body (Content-Type: application/json).", code="body_required"
            )
        if not core.is_json(req.mimetype):
            req.on_json_loading_failed(None)
        body = req.get_json()
        return JSONBody(body) if isinstance(body, dict) else body


def refuse_malformed_url() -> None:
    """before_request: a path or query string that is not UTF-8 (e.g. %ED%A0%80, a lone surrogate)
    is refused, rather than read with replacement characters."""
    environ = flask.request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""  # as sent, where servers keep it
    parts = (
        ("path", environ.get("PATH_INFO", "").encode("latin-1", "replace")),
        ("path", unquote_to_bytes(raw_uri.partition("?")[0])),
        ("query string", unquote_to_bytes(environ.get("QUERY_STRING", ""))),
    )
    for part, raw in parts:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"The {part} of the URL is not valid UTF-8 (byte {exc.start} after decoding %-escapes).",
                code="invalid_url",
                details={"part": part},
            ) from None
