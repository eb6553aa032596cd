"""What the earlier steps of an instance decided: each completed task with the data its officer
submitted, named with the labels and option words of the task's form (from the audit trail, whose
`task_completed` facts keep the submitted variables). Only the fields the step's form declares are
shown: a variable the service or the process adds (a dossier's code, due and apology moments) is
never an officer's decision; dates and moments are shown in the offices' time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask_babel import gettext as _

from .. import forms
from ..identity import queries as identity
from ..tasks import queries as tasks
from . import display, formschema, words

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
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
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return display.local_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return str(value)


def _fields(form: dict | None, variables: dict) -> list[tuple[str, str]]:
    """(label, words) of the submitted fields the form declares, in the form's order; empty
    answers left out. A step without a usable form shows no field."""
    if not isinstance(variables, dict) or not form:
        return []
    declared = forms.declared_fields(form.get("schema") or {})
    ui = form.get("ui") or {}
    labels = formschema.labels(form)
    order = [name for name in ui.get("order") or [] if name in variables and name in declared]
    order += [name for name in variables if name not in order and name in declared]
    options = formschema.option_titles(form)
    properties = (form.get("schema") or {}).get("properties") or {}
    people = [
        n for n in order if isinstance(properties.get(n), dict) and properties[n].get("format") == "username"
    ]
    names = identity.display_names(variables[n] for n in people if isinstance(variables[n], str))
    shown = []
    for name in order:
        value = variables[name]
        if value in (None, "", [], {}):
            continue
        if name in people and isinstance(value, str):
            words = display.person(names.get(value, value), value)
        else:
            words = _value(value, options.get(name))
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
            described[form_key] = words.translated_form(forms.describe(form_key))
        steps.append(
            {
                "name": name or _("Bước đã xử lý"),
                "actor": user,
                "at": display.local_datetime(at),
                "fields": _fields(described[form_key], (data or {}).get("variables") or {}),
            }
        )
    return steps
