"""Pieces every API blueprint shares: the base of request schemas, paging, If-Match, the page envelope."""

from __future__ import annotations

import re
from datetime import date

import marshmallow as ma
from flask import current_app, request

from .errors import BadRequest


def _nul_paths(value, path=""):
    """Where a NUL character hides in a JSON-like value (no database stores it in text)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "_schema"
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield f"{path}/{key!r}".lstrip("/")
            yield from _nul_paths(item, f"{path}/{key}".lstrip("/"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}/{index}".lstrip("/"))


# Dates and moments a request may name: wide enough for any dossier, birth date or deadline, far
# enough from datetime's limits (years 1 and 9999) that time zones and calendar arithmetic never overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def _dates_out_of_range(value, path=""):
    """Where a date or datetime outside EARLIEST_YEAR..LATEST_YEAR hides in loaded data."""
    if isinstance(value, date):  # datetimes too
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            yield path or "_schema"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _dates_out_of_range(item, f"{path}/{key}".lstrip("/"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _dates_out_of_range(item, f"{path}/{index}".lstrip("/"))


class JSONBody(dict):
    """A request's JSON object as the parser hands it to a schema (service/parsing.py): its values
    must have the JSON types the document declares. Query strings and forms are text, and files
    such as the procedure catalogue are read with their own rules."""


def _json_type_error(field: ma.fields.Field, value):
    """Why a JSON value is not of the field's JSON type (marshmallow alone would take "1" or 0 for
    a boolean, "7" or true for an integer), or None. Nested schemas, lists and dicts are followed."""
    if value is None:
        return None  # allow_none decides
    if isinstance(field, ma.fields.Boolean):
        return None if isinstance(value, bool) else ["Not a valid boolean."]
    if isinstance(field, ma.fields.Integer):
        return None if isinstance(value, int) and not isinstance(value, bool) else ["Not a valid integer."]
    if isinstance(field, ma.fields.Number):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else ["Not a valid number."]
    if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
        if field.many and isinstance(value, list):
            items = {i: _json_type_errors(field.schema, item) for i, item in enumerate(value)}
            return {i: error for i, error in items.items() if error} or None
        return _json_type_errors(field.schema, value) or None
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        items = {i: _json_type_error(field.inner, item) for i, item in enumerate(value)}
        return {i: error for i, error in items.items() if error} or None
    if isinstance(field, ma.fields.Dict) and field.value_field is not None and isinstance(value, dict):
        items = {key: _json_type_error(field.value_field, item) for key, item in value.items()}
        return {key: error for key, error in items.items() if error} or None
    return None


def _json_type_errors(schema: ma.Schema, data) -> dict:
    if not isinstance(data, dict):
        return {}
    errors = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in data and (error := _json_type_error(field, data[key])):
            errors[key] = error
    return errors


class RequestSchema(ma.Schema):
    """Base of every request schema: refuses NUL characters anywhere in the input, values of another
    JSON type than the document declares in a JSON body, and dates outside the years EARLIEST_YEAR to
    LATEST_YEAR in any of its fields (nested ones included)."""

    @ma.pre_load
    def _json_types(self, data, **kwargs):
        if isinstance(data, JSONBody) and (errors := _json_type_errors(self, data)):
            raise ma.ValidationError(errors)
        return data

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        if hasattr(data, "to_dict"):  # a query string or form: each name has a list of values
            bad = sorted({path.split("/")[0] for path in _nul_paths(data.to_dict(flat=False))})
        else:
            bad = sorted(set(_nul_paths(data)))
        if bad:
            raise ma.ValidationError({name: ["NUL characters are not allowed."] for name in bad})
        return data

    @ma.post_load
    def _dates_in_range(self, data, **kwargs):
        bad = sorted(set(_dates_out_of_range(data)))
        if bad:
            message = f"Dates must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}."
            raise ma.ValidationError({name: [message] for name in bad})
        return data


# The years EARLIEST_YEAR..LATEST_YEAR (1900..2999), as the OpenAPI document states them.
YEAR_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-"
assert (EARLIEST_YEAR, LATEST_YEAR) == (1900, 2999), "keep YEAR_PATTERN in step"


def openapi_attributes(converter, field: ma.fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: what RequestSchema enforces, in the OpenAPI document (the years
    of dates a request may name), and the exclusive bounds of Range validators, which apispec omits."""
    extra: dict = {}
    root = field.root
    if (
        isinstance(field, ma.fields.Date | ma.fields.DateTime)
        and isinstance(root, RequestSchema)
        and not field.dump_only
    ):
        extra["pattern"] = YEAR_PATTERN
    for validator in field.validators:
        if isinstance(validator, ma.validate.Range):
            if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
                extra["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
                extra["exclusiveMaximum"] = True
    return extra


class PageArgs(RequestSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=1000))

    @ma.post_load
    def _cap(self, data, **kwargs):
        data["per_page"] = min(data["per_page"], current_app.config["MOTCUA_MAX_PAGE_SIZE"])
        return data


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A response envelope {"items", "page", "per_page", "total"} around item_schema."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
        },
    )


def page(items, total: int, args: dict) -> dict:
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def if_match() -> int | None:
    """The instance version named by the If-Match header, if any ('*' means any)."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value)
    if not match:
        raise BadRequest('If-Match must be an instance version, as in If-Match: "3".')
    return int(match.group(1))


def etag(version: int) -> dict:
    return {"ETag": f'"{version}"'}
