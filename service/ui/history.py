"""What the earlier steps of an instance decided: each completed task with the data its officer
submitted, named with the labels and option words of the task's form (from the audit trail, whose
`task_completed` facts keep the submitted variables)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _

from .. import forms
from ..tasks import queries as tasks
from . import display, formschema

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIMIT = 200  # steps shown; an instance with more is a loop, and the latest matter most


def _value(value, options: dict | None) -> str:
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, list):
        return "; ".join(_value(item, options) for item in value if item not in (None, ""))
    if isinstance(value, dict):
        return "; ".join(
            f"{key}: {_value(item, None)}" for key, item in value.items() if item not in (None, "")
        )
    if options and isinstance(value, str | int | float) and str(value) in options:
        return str(options[str(value)])
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def _fields(form: dict | None, variables: dict) -> list[tuple[str, str]]:
    """(label, words) of the submitted fields, in the form's order; empty answers left out."""
    if not isinstance(variables, dict):
        return []
    ui = (form or {}).get("ui") or {}
    labels = formschema.labels(form)
    order = [name for name in ui.get("order") or [] if name in variables]
    order += [name for name in variables if name not in order]
    options = ui.get("options") or {}
    shown = []
    for name in order:
        value = variables[name]
        if value in (None, "", [], {}):
            continue
        words = _value(value, options.get(name) if isinstance(options.get(name), dict) else None)
        if words:
            shown.append((labels.get(name, name), words))
    return shown


def decisions(instance_id, *, exclude_task=None) -> list[dict]:
    """The completed steps of an instance, latest first: name, officer, moment and fields."""
    rows = tasks.completions(instance_id, limit=LIMIT)
    described: dict[str | None, dict | None] = {}
    steps = []
    for task_id, at, data, name, form_key, user in rows:
        if exclude_task is not None and task_id == exclude_task:
            continue
        if form_key not in described:
            described[form_key] = forms.describe(form_key)
        steps.append(
            {
                "name": name or _("Bước đã xử lý"),
                "actor": (user.display_name or user.username) if user is not None else None,
                "at": display.local_datetime(at),
                "fields": _fields(described[form_key], (data or {}).get("variables") or {}),
            }
        )
    return steps
