"""Pieces every API blueprint shares: paging, If-Match, the page envelope."""

from __future__ import annotations

import re

import marshmallow as ma
from flask import current_app, request

from .errors import BadRequest


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
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
