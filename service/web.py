"""Pieces every API blueprint shares: paging, If-Match, the page envelope."""

from __future__ import annotations

import re

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


class RequestSchema(ma.Schema):
    """Base of every request schema: refuses NUL characters anywhere in the input."""

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        source = data.to_dict(flat=False) if hasattr(data, "to_dict") else data
        bad = sorted(set(_nul_paths(source)))
        if bad:
            raise ma.ValidationError({name: ["NUL characters are not allowed."] for name in bad})
        return data


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
