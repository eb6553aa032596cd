"""The pickers of a task's form on its page: the server's options (pickers.queries, the same as
`GET /api/v1/tasks/<id>/pickers/<field>`) written into the schema json-editor draws, so a field
becomes a list to choose from (a select, or checkboxes for a list of values). A picker without
options leaves its field as typed text; the server judges what is submitted either way."""

from __future__ import annotations

from flask_babel import gettext as _

from ..pickers import queries as pickers

__all__ = ["apply", "for_task", "label"]


def label(kind: str, item: dict) -> str:
    """What an option reads: a specialist with their workload, a component with its form."""
    if kind == "specialist":
        return _("%(name)s (%(count)d việc đang xử lý)", name=item["label"], count=item.get("open_tasks", 0))
    if kind == "components":
        detail = ", ".join(str(part) for part in (item.get("form"), _quantity(item.get("quantity"))) if part)
        return f"{item['label']} ({detail})" if detail else item["label"]
    return item["label"]


def _quantity(value) -> str | None:
    if not value or value == 1:
        return None
    return _("%(count)s bộ", count=value)


def for_task(form: dict | None, *, task, user) -> dict[str, dict]:
    """field -> {"kind", "multiple", "items"} for the pickers of a task's form."""
    return pickers.for_form((form or {}).get("schema"), task=task, user=user) if form else {}


def apply(schema: dict | None, choices: dict[str, dict]) -> dict | None:
    """The editor's schema with each picker field's options (in place; returned for chaining)."""
    if not schema:
        return schema
    properties = schema.get("properties") or {}
    for name, picker in choices.items():
        prop = properties.get(name)
        items = picker.get("items") or []
        if not isinstance(prop, dict) or not items:
            continue
        values = [item["value"] for item in items]
        titles = [label(picker["kind"], item) for item in items]
        if picker.get("multiple"):
            inner = prop.get("items") if isinstance(prop.get("items"), dict) else {}
            inner = {**inner, "type": "string", "enum": values}
            inner.setdefault("options", {})["enum_titles"] = titles
            prop["items"] = inner
            prop["uniqueItems"] = True
            prop["format"] = "checkbox"
        else:
            prop["enum"] = ["", *values]
            prop.setdefault("options", {})["enum_titles"] = [_("— Chọn —"), *titles]
            prop["format"] = "select"
        prop.setdefault("options", {})["picker"] = picker["kind"]
    return schema
