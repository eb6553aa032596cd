"""JSON Schema forms for user tasks: looked up by a task's formKey in the forms folder.

A form is `forms/<key>.schema.json` (JSON Schema 2020-12) with an optional
`forms/<key>.ui.json` of UI hints. Completion validates submitted variables against
the schema and answers 422 with one entry per failing field.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from .errors import Unprocessable

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_cache: dict[Path, tuple[float, dict, Draft202012Validator]] = {}
_lock = threading.Lock()


def _paths(form_key: str) -> tuple[Path, Path] | None:
    if not form_key or not _KEY.match(form_key):
        return None
    base = Path(current_app.config["MOTCUA_FORMS_DIR"]).resolve()
    stem = form_key.removesuffix(".json").removesuffix(".schema")
    return base / f"{stem}.schema.json", base / f"{stem}.ui.json"


# Formats Motcua checks (JSON Schema's own formats stay annotations, as the browser shows them):
# "username" - an active user of this service, so a task handed to someone by name (the
# `assigneeVariable` of a later task) cannot go to a mistyped name; "org_unit" - the code of an
# org unit, so a task scoped by `unitVariable` reaches that unit's officers.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("username")
def _is_active_username(value) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword judges other values
    from .extensions import db
    from .identity.models import User

    return bool(
        db.session.scalar(
            sa.select(sa.exists().where(User.username == value.strip(), User.is_active.is_(True)))
        )
    )


@FORMATS.checks("org_unit")
def _is_org_unit(value) -> bool:
    if not isinstance(value, str):
        return True
    from .extensions import db
    from .identity.models import OrgUnit

    return bool(db.session.scalar(sa.select(sa.exists().where(OrgUnit.code == value.strip()))))


def _message(error) -> str:
    if error.validator == "format" and error.validator_value == "username":
        return f"There is no active user {error.instance!r}."
    if error.validator == "format" and error.validator_value == "org_unit":
        return f"There is no org unit {error.instance!r}."
    return error.message


def _load(path: Path) -> tuple[dict, Draft202012Validator] | None:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1], cached[2]
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, SchemaError) as exc:
        current_app.logger.error("form schema %s is unusable: %s", path, exc)
        return None
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    with _lock:
        _cache[path] = (mtime, schema, validator)
    return schema, validator


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


def validate(form_key: str | None, data: dict) -> None:
    """Raise Unprocessable listing every failing field when data does not fit the task's form."""
    paths = _paths(form_key) if form_key else None
    loaded = _load(paths[0]) if paths else None
    if loaded is None:
        return
    errors = sorted(loaded[1].iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    fields: dict[str, list[str]] = {}
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [p for p in error.validator_value if p not in error.instance]
            for name in missing:
                messages = fields.setdefault("/".join(map(str, [*path, name])), [])
                if "This field is required." not in messages:
                    messages.append("This field is required.")
            continue
        fields.setdefault("/".join(map(str, path)) or "_schema", []).append(_message(error))
    raise Unprocessable(
        "The submitted data does not fit the task's form: " + ", ".join(sorted(fields)) + ".",
        code="form_invalid",
        details={"fields": fields},
    )


def exists(form_key: str | None) -> bool:
    """Whether form_key names a usable form (forms/<key>.schema.json, a valid JSON Schema)."""
    paths = _paths(form_key) if form_key else None
    return paths is not None and _load(paths[0]) is not None


def keys() -> list[str]:
    """The keys of the usable forms in the forms folder, sorted (what a user task may name)."""
    base = Path(current_app.config["MOTCUA_FORMS_DIR"]).resolve()
    found = []
    for path in sorted(base.glob("*.schema.json")):
        key = path.name.removesuffix(".schema.json")
        if _KEY.match(key) and _load(path) is not None:
            found.append(key)
    return found
