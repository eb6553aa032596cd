"""JSON Schema forms for user tasks: looked up by a task's formKey in the forms folder.

A form is `forms/<key>.schema.json` (JSON Schema 2020-12) with an optional
`forms/<key>.ui.json` of UI hints. A form is also the list of variables a caller may set: a
completion (or a start, with the start event's form) takes only the fields the form declares,
never a variable the service or the process computes, and answers 422 with one entry per
failing field, in the caller's language (service/form_messages.py).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from datetime import date
from pathlib import Path

from flask import current_app
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from . import form_messages
from .errors import Unprocessable

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# path -> (its mtime, the schema, its validator, the fields it declares): read again when it changes
_cache: dict[Path, tuple[float, dict, Draft202012Validator, frozenset[str]]] = {}
_lock = threading.Lock()


def _folders() -> tuple[Path, ...]:
    """The forms folders, in order (MOTCUA_FORMS_DIR: one folder, or several separated by os.pathsep)."""
    return _resolved(str(current_app.config["MOTCUA_FORMS_DIR"]))


@functools.lru_cache(maxsize=8)
def _resolved(value: str) -> tuple[Path, ...]:
    """The folders of a MOTCUA_FORMS_DIR value, resolved once (not on every task completion)."""
    return tuple(Path(part).resolve() for part in value.split(os.pathsep) if part)


def _paths(form_key: str) -> tuple[Path, Path] | None:
    """The schema and UI files of a form: in the first folder that has the schema."""
    if not form_key or not _KEY.match(form_key):
        return None
    stem = form_key.removesuffix(".json").removesuffix(".schema")
    folders = _folders()
    for base in folders:
        if (base / f"{stem}.schema.json").is_file():
            break
    else:
        base = folders[0]
    return base / f"{stem}.schema.json", base / f"{stem}.ui.json"


# Formats Motcua checks (JSON Schema's own formats stay annotations, as the browser shows them):
# "username" - an active user of this service, so a task handed to someone by name (the
# `assigneeVariable` of a later task) cannot go to a mistyped name; "org_unit" - the code of an
# org unit, so a task scoped by `unitVariable` reaches that unit's officers; "date" - a calendar
# date written YYYY-MM-DD (what a date input sends), so no later step reads "31/02/2026".
FORMATS = FormatChecker(formats=())
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@FORMATS.checks("date")
def _is_date(value) -> bool:
    if not isinstance(value, str):
        return True
    if not FULL_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@FORMATS.checks("username")
def _is_active_username(value) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword judges other values
    from .identity.queries import active_user  # read once per unit: the step may assign them

    return active_user(value.strip()) is not None


@FORMATS.checks("org_unit")
def _is_org_unit(value) -> bool:
    if not isinstance(value, str):
        return True
    from .identity.operations import units  # kept per process while they do not change

    return value.strip() in units()


def _load(path: Path) -> tuple[dict, Draft202012Validator, frozenset[str]] | None:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1], cached[2], cached[3]
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, SchemaError) as exc:
        current_app.logger.error("form schema %s is unusable: %s", path, exc)
        return None
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    fields = declared_fields(schema)
    with _lock:
        _cache[path] = (mtime, schema, validator, fields)
    return schema, validator, fields


def describe(form_key: str | None) -> dict | None:
    """{"key", "schema", "ui"} for a task's form, or None when it has none."""
    paths = _paths(form_key) if form_key else None
    if paths is None:
        return None
    loaded = _load(paths[0])
    if loaded is None:
        return None
    ui = None
    if paths[1].is_file():
        try:
            ui = json.loads(paths[1].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            ui = None
    return {"key": form_key, "schema": loaded[0], "ui": ui}


_APPLICATORS = ("allOf", "anyOf", "oneOf")
_BRANCHES = ("if", "then", "else")


def declared_fields(schema: dict) -> frozenset[str]:
    """The top-level variables a form declares: the names under `properties` of the schema and of
    its applicators (allOf/anyOf/oneOf, if/then/else, dependentSchemas, local $refs)."""
    names: set[str] = set()
    seen: set[int] = set()
    defs = schema.get("$defs") or {}

    def walk(node) -> None:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        properties = node.get("properties")
        if isinstance(properties, dict):
            names.update(key for key in properties if isinstance(key, str))
        for key in _APPLICATORS:
            for item in node.get(key) or ():
                walk(item)
        for key in _BRANCHES:
            walk(node.get(key))
        for item in (node.get("dependentSchemas") or {}).values():
            walk(item)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            walk(defs.get(ref.removeprefix("#/$defs/")))

    walk(schema)
    return frozenset(names)


def declared(form_key: str | None) -> frozenset[str] | None:
    """The variables form_key declares, or None when it names no usable form."""
    paths = _paths(form_key) if form_key else None
    loaded = _load(paths[0]) if paths else None
    return loaded[2] if loaded else None


def check_submission(form_key: str | None, data: dict, *, protected=frozenset(), what: str = "task") -> None:
    """Refuse (422, one entry per field) data a caller may not submit to a form.

    Only what the form declares is accepted, whatever the form says about other properties
    (additionalProperties: false is the server's rule); variables the service or the process
    computes (`protected`) are never accepted, even if a form declared them; without a form,
    nothing is accepted (`what` names the thing in the messages: "task", "process start"). Then
    the values must fit the form's JSON Schema.
    """
    paths = _paths(form_key) if form_key else None
    loaded = _load(paths[0]) if paths else None
    fields = refused_fields(data, protected)
    allowed = loaded[2] if loaded else frozenset()
    for name in data:
        if name not in fields and name not in allowed:
            fields[name] = [form_messages.not_a_field(form_key) if loaded else form_messages.no_form(what)]
    if fields:
        raise Unprocessable(
            form_messages.not_accepted(what, fields),
            code="fields_not_accepted",
            details={"fields": fields},
        )
    if loaded is not None:
        _validate(loaded[1], data)


def refused_fields(data: dict, protected) -> dict[str, list[str]]:
    """{name: [message]} for the names in data that the service or the process computes."""
    return {name: [form_messages.protected()] for name in data if name in protected}


def _validate(validator: Draft202012Validator, data: dict) -> None:
    """Raise Unprocessable listing every failing field when data does not fit the form's schema."""
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    fields: dict[str, list[str]] = {}
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [p for p in error.validator_value if p not in error.instance]
            for name in missing:
                messages = fields.setdefault("/".join(map(str, [*path, name])), [])
                if form_messages.required() not in messages:
                    messages.append(form_messages.required())
            continue
        fields.setdefault("/".join(map(str, path)) or "_schema", []).append(form_messages.explain(error))
    raise Unprocessable(
        form_messages.form_invalid(fields),
        code="form_invalid",
        details={"fields": fields},
    )


def exists(form_key: str | None) -> bool:
    """Whether form_key names a usable form (forms/<key>.schema.json, a valid JSON Schema)."""
    paths = _paths(form_key) if form_key else None
    return paths is not None and _load(paths[0]) is not None


def keys() -> list[str]:
    """The keys of the usable forms in the forms folders, sorted (what a user task may name)."""
    found = set()
    for base in _folders():
        for path in base.glob("*.schema.json"):
            key = path.name.removesuffix(".schema.json")
            if key not in found and _KEY.match(key) and _paths(key)[0] == path and _load(path) is not None:
                found.add(key)
    return sorted(found)
