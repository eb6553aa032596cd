"""A task's JSON Schema form, prepared for @json-editor/json-editor in the browser.

The server stays the judge: the browser does not validate, conditionals (allOf/if/then) are left
out of the copy it draws, and the 422 of /complete is shown per field. A branch of the simple form
"if P is V then F is required" becomes a json-editor dependency: F is shown only when P is V.
The form's `<key>.ui.json` gives the labels, the order, the words of enum options and widgets.
"""

from __future__ import annotations

import copy

# ui.json widget -> json-editor format of the property.
WIDGET_FORMATS = {
    "textarea": "textarea",
    "radio": "radio",
    "checkbox": "checkbox",
    "date": "date",
    "select": "select",
}
SERVER_FORMATS = {"username", "org_unit"}
_DROPPED = ("$schema", "$id", "$defs", "allOf", "anyOf", "oneOf", "if", "then", "else", "not")


def _branch(clause) -> tuple[str, object, list[str]] | None:
    """(P, V, [F...]) of {"if": {"properties": {P: {"const": V}}}, "then": {"required": [F...]}}."""
    if not isinstance(clause, dict) or set(clause) != {"if", "then"}:
        return None
    condition = (clause["if"] or {}).get("properties") or {}
    required = (clause["then"] or {}).get("required")
    if len(condition) != 1 or set(clause["then"]) != {"required"} or not isinstance(required, list):
        return None
    ((name, test),) = condition.items()
    if not isinstance(test, dict) or set(test) != {"const"}:
        return None
    return name, test["const"], [field for field in required if isinstance(field, str)]


def dependencies(schema: dict) -> dict[str, dict]:
    """Field -> json-editor `dependencies` for the fields only some branches of allOf require."""
    found: dict[str, tuple[str, list]] = {}
    ambiguous: set[str] = set(schema.get("required") or [])
    for clause in schema.get("allOf") or []:
        branch = _branch(clause)
        if branch is None:
            continue
        name, value, fields = branch
        for field in fields:
            if field in found and found[field][0] != name:
                ambiguous.add(field)
            found.setdefault(field, (name, []))[1].append(value)
    return {
        field: {name: values[0] if len(values) == 1 else values}
        for field, (name, values) in found.items()
        if field not in ambiguous
    }


def editor_schema(form: dict) -> dict:
    """The schema json-editor draws: titles, order and option labels from the form's ui.json."""
    schema = copy.deepcopy(form.get("schema") or {})
    ui = form.get("ui") or {}
    conditional = dependencies(schema)
    for keyword in _DROPPED:
        schema.pop(keyword, None)
    schema["type"] = "object"
    properties = schema.setdefault("properties", {})
    order = [name for name in ui.get("order") or [] if name in properties]
    order += [name for name in properties if name not in order]
    for position, name in enumerate(order, start=1):
        prop = properties[name]
        if not isinstance(prop, dict):
            continue
        prop["propertyOrder"] = position
        for keyword in _DROPPED:
            prop.pop(keyword, None)
        label = (ui.get("labels") or {}).get(name)
        if label:
            prop["title"] = label
        prop.setdefault("title", name)
        for part in (prop, prop.get("items")):
            if isinstance(part, dict) and part.get("format") in SERVER_FORMATS:
                part.pop("format")  # checked by the server only; the editor would take it for an input type
        widget = WIDGET_FORMATS.get((ui.get("widgets") or {}).get(name, ""))
        if widget and not (widget == "checkbox" and prop.get("type") != "boolean"):
            prop["format"] = widget
        options = (ui.get("options") or {}).get(name)
        if isinstance(options, dict) and isinstance(prop.get("enum"), list):
            prop.setdefault("options", {})["enum_titles"] = [str(options.get(v, v)) for v in prop["enum"]]
        if name in conditional:
            prop.setdefault("options", {})["dependencies"] = conditional[name]
    schema.pop("title", None)  # the page shows the form's title and description itself
    schema.pop("description", None)
    schema["options"] = {**schema.get("options", {}), "disable_collapse": True, "titleHidden": True}
    return schema


def labels(form: dict | None) -> dict[str, str]:
    """Field path -> label, to name the fields in the list of errors."""
    if not form:
        return {}
    properties = (form.get("schema") or {}).get("properties") or {}
    names = {
        name: (prop.get("title") if isinstance(prop, dict) else None) for name, prop in properties.items()
    }
    names.update((form.get("ui") or {}).get("labels") or {})
    return {name: label or name for name, label in names.items()}


def _titled_options(prop) -> dict[str, str]:
    """value -> title of a property's `oneOf`/`anyOf` of {"const", "title"} (or of its items')."""
    found: dict[str, str] = {}
    for part in (prop, prop.get("items") if isinstance(prop, dict) else None):
        if not isinstance(part, dict):
            continue
        for key in ("oneOf", "anyOf"):
            for choice in part.get(key) or ():
                if isinstance(choice, dict) and "const" in choice and choice.get("title"):
                    found[str(choice["const"])] = str(choice["title"])
    return found


def option_titles(form: dict | None) -> dict[str, dict[str, str]]:
    """Field -> {option value: its words}: the ui.json's `options`, else the schema's titled consts."""
    if not form:
        return {}
    properties = (form.get("schema") or {}).get("properties") or {}
    titles = {name: _titled_options(prop) for name, prop in properties.items() if isinstance(prop, dict)}
    for name, options in ((form.get("ui") or {}).get("options") or {}).items():
        if isinstance(options, dict):
            titles[name] = {**titles.get(name, {}), **{str(k): str(v) for k, v in options.items()}}
    return {name: words for name, words in titles.items() if words}
