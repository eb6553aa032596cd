"""A task's JSON Schema form, prepared for @json-editor/json-editor in the browser.

The server stays the judge: the browser does not validate, conditionals (allOf/if/then,
dependentSchemas) are left out of the copy it draws, and the 422 of /complete is shown per field.
A branch "if P is V (const, or one of an enum) then F is required (or F is one of then's
properties)" becomes a json-editor dependency: F is shown only when P is V, and the page's script
sends nothing of a hidden field, so the server neither sees nor judges it. dependentSchemas
{P: {required/properties: F}}: F is shown once P has a value.
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
    "time": "time",
    "select": "select",
}
SERVER_FORMATS = {"username", "org_unit"}
_DROPPED = ("$schema", "$id", "$defs", "allOf", "anyOf", "oneOf", "if", "then", "else", "not")


def _branch(clause) -> tuple[str, list, list[str]] | None:
    """(P, [V...], [F...]) of {"if": {"properties": {P: {"const": V} or {"enum": [V...]}}},
    "then": {"required": [F...], "properties": {F: ...}}}: the fields F apply when P is one of V."""
    if not isinstance(clause, dict) or set(clause) != {"if", "then"}:
        return None
    condition, then = clause["if"] or {}, clause["then"] or {}
    if not isinstance(condition, dict) or not isinstance(then, dict):
        return None
    tested = condition.get("properties") or {}
    if set(condition) - {"properties", "required"} or len(tested) != 1:
        return None
    if not then or set(then) - {"required", "properties"}:
        return None
    ((name, test),) = tested.items()
    if not isinstance(test, dict) or set(test) not in ({"const"}, {"enum"}):
        return None
    values = [test["const"]] if "const" in test else list(test["enum"] or [])
    fields = [f for f in then.get("required") or [] if isinstance(f, str)]
    fields += [f for f in then.get("properties") or {} if isinstance(f, str) and f not in fields]
    return name, values, fields


def _branches(schema: dict):
    """(P, [V...] or True, [F...]) of the form's conditionals: allOf's if/then (and a lone
    if/then), and dependentSchemas (F apply once P has a value)."""
    clauses = list(schema.get("allOf") or [])
    if "if" in schema and "then" in schema and "else" not in schema:
        clauses.append({"if": schema["if"], "then": schema["then"]})
    for clause in clauses:
        branch = _branch(clause)
        if branch is not None:
            yield branch
    for name, sub in (schema.get("dependentSchemas") or {}).items():
        if isinstance(sub, dict) and not set(sub) - {"required", "properties"}:
            fields = [f for f in sub.get("required") or [] if isinstance(f, str)]
            fields += [f for f in sub.get("properties") or {} if isinstance(f, str) and f not in fields]
            yield name, True, fields


def dependencies(schema: dict) -> dict[str, dict]:
    """Field -> json-editor `dependencies` for the fields that apply only in some branches: shown
    (and sent) only when the branch's condition holds."""
    found: dict[str, tuple[str, list | bool]] = {}
    ambiguous: set[str] = set(schema.get("required") or [])
    for name, values, fields in _branches(schema):
        for field in fields:
            if field == name:
                continue
            if field in found and (found[field][0] != name or values is True or found[field][1] is True):
                ambiguous.add(field)
                continue
            if values is True:
                found[field] = (name, True)
            else:
                found.setdefault(field, (name, []))[1].extend(v for v in values if v not in found[field][1])
    return {
        field: {name: values if values is True or len(values) != 1 else values[0]}
        for field, (name, values) in found.items()
        if field not in ambiguous
    }


def _branch_properties(schema: dict) -> dict:
    """The properties the branches declare that the top level does not (drawn like the others)."""
    extra: dict = {}
    sources = [c.get("then") for c in schema.get("allOf") or [] if isinstance(c, dict)]
    sources += [schema.get("then"), *(schema.get("dependentSchemas") or {}).values()]
    for source in sources:
        if isinstance(source, dict):
            for name, prop in (source.get("properties") or {}).items():
                if isinstance(prop, dict) and prop and name not in (schema.get("properties") or {}):
                    extra.setdefault(name, copy.deepcopy(prop))
    return extra


def editor_schema(form: dict) -> dict:
    """The schema json-editor draws: titles, order and option labels from the form's ui.json."""
    schema = copy.deepcopy(form.get("schema") or {})
    ui = form.get("ui") or {}
    conditional = dependencies(schema)
    extra = _branch_properties(schema)
    for keyword in (*_DROPPED, "dependentSchemas", "dependentRequired"):
        schema.pop(keyword, None)
    schema["type"] = "object"
    properties = schema.setdefault("properties", {})
    properties.update(extra)
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
