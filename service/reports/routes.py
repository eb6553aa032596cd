"""/api/v1/reports: the late list of a period, the register (Mẫu 06), the bundles, the heatmap.

Each table answers as JSON (the schemas below), CSV or XLSX (`?format=` or the Accept header;
reports/exports.py). Who may read what: reports/permissions.py. The old
`/api/v1/reports/late-dossiers?month=` (jobs/routes.py) stays for administrators.
"""

from __future__ import annotations

import base64

from flask import request, send_file, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from ..calendar.periods import Period, PeriodError, parse
from ..errors import Unprocessable
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..models_base import utcnow
from . import exports, permissions, queries, register
from . import operations as late
from .bundles import path_of
from .heatmap import heatmap
from .schemas import (
    BundleListSchema,
    BundleSchema,
    HeatmapArgs,
    HeatmapSchema,
    LateArgs,
    LateListSchema,
    RegisterArgs,
    RegisterPageSchema,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports")


def tables(schema):
    """The 200 answer's formats in the OpenAPI document: the schema's JSON, CSV and XLSX."""
    return blp.doc(
        responses={
            "200": {
                "description": "JSON (the schema), CSV (UTF-8 with a BOM) or XLSX, by ?format= or Accept",
                "content": {
                    "application/json": {"schema": schema},
                    "text/csv": {"schema": {"type": "string"}},
                    exports.MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    )


def period_from(text: str | None, field: str = "period") -> Period:
    """A period from the request, or 422 naming the field."""
    try:
        return parse(text or "", late.zone())
    except PeriodError as error:
        raise Unprocessable(
            str(error), code="invalid_period", details={"fields": {field: [str(error)]}}
        ) from None


def format_of(args: dict) -> str:
    try:
        return exports.choose(args.get("format"), request.accept_mimetypes)
    except ValueError as error:
        raise Unprocessable(
            str(error), code="invalid_format", details={"fields": {"format": [str(error)]}}
        ) from None


def late_list(user, args: dict) -> dict:
    """The late list asked for: the published month's, or (administrators) worked out now."""
    if args.get("month") and not args.get("period"):
        period = period_from(f"month:{args['month']}", "month")
    else:
        period = period_from(args.get("period"))
    month = period.value if period.kind == "month" else None
    stored = queries.published(month) if month and not args.get("refresh") else None
    if stored is not None:
        rows, generated_at, published = stored.rows, stored.generated_at, True
    else:
        permissions.require_live_late(user, month=month if not args.get("refresh") else None)
        rows, generated_at, published = late.late_rows(period), utcnow(), False
    return {
        "period": period.key,
        "label": period.label,
        "judged_at": late.judged_at(period, generated_at),
        "published": published,
        "generated_at": generated_at,
        "rows": rows,
    }


@blp.route("/late")
@blp.arguments(LateArgs, location="query")
@blp.response(200, LateListSchema)
@tables(LateListSchema)
def late_dossiers(args):
    """The late dossiers of a period and the units and officers responsible, judged at the
    period's end (JSON, CSV or XLSX).

    A calendar month's list is published on the 5th of the next month: every officer reads it.
    The list worked out now (a month not published yet: 404 `not_published` for officers;
    `refresh=true`; other periods) is for administrators.
    """
    answer = late_list(current_user(), args)
    fmt = format_of(args)
    if fmt == "json":
        return answer
    return exports.response(
        fmt,
        late.COLUMNS,
        late.table_rows(answer["rows"]),
        late.zone(),
        filename=f"danh-sach-tre-han-{answer['period'].replace(':', '-')}",
        title=f"Danh sách hồ sơ trễ hạn: {answer['label']}",
    )


@blp.route("/register")
@authorise(lambda user, **_: permissions.require_register_reader(user))
@blp.arguments(RegisterArgs, location="query")
@blp.response(200, RegisterPageSchema)
@tables(RegisterPageSchema)
def register_book(args):
    """Mẫu 06 "Sổ theo dõi hồ sơ": the dossiers a unit received in a period, in order.

    Officers read their own unit's register, administrators any unit's (or every unit's, with no
    `unit`). JSON is paged (`page`, `per_page`); CSV and XLSX hold the whole period, streamed.
    """
    unit = permissions.register_unit(current_user(), args.get("unit"))
    period = period_from(args["period"])
    fmt = format_of(args)
    if fmt == "json":
        offset = (args["page"] - 1) * args["per_page"]
        items = list(register.rows(period.start, period.end, unit, offset=offset, limit=args["per_page"]))
        return {
            "period": period.key,
            "label": period.label,
            "unit": unit,
            "items": items,
            "page": args["page"],
            "per_page": args["per_page"],
            "total": register.count(period.start, period.end, unit),
        }
    rows = register.table_rows(period.start, period.end, unit)
    return exports.response(
        fmt,
        register.COLUMNS,
        stream_with_context(rows) if fmt == "csv" else rows,
        late.zone(),
        filename=f"so-theo-doi-ho-so-{(unit or 'tat-ca').replace('.', '-')}-{period.key.replace(':', '-')}",
        title=f"Sổ theo dõi hồ sơ: {period.label}",
    )


def _bundles_rule(user, **_):
    permissions.require_bundles(user)


@blp.route("/bundles")
class Bundles(MethodView):
    @authorise(_bundles_rule)
    @blp.response(200, BundleListSchema)
    def get(self):
        """The monthly and quarterly bundles the workers generated (administrators, group `reports`)."""
        return {"items": queries.bundles()}


@blp.route("/bundles/<int(max=2147483647):bundle_id>")
@authorise(_bundles_rule)
@blp.response(200, BundleSchema)
def bundle(bundle_id):
    """One bundle's record: its period, size and SHA-256."""
    return queries.bundle(bundle_id)


@blp.route("/bundles/<int(max=2147483647):bundle_id>/file")
@authorise(_bundles_rule)
@blp.response(200, description="The bundle (a ZIP); Repr-Digest and Digest carry its SHA-256")
def bundle_file(bundle_id):
    """Download a bundle. `Repr-Digest: sha-256=:<base64>:` (RFC 9530) and the older
    `Digest: sha-256=<base64>` carry the checksum recorded when it was generated."""
    found = queries.bundle(bundle_id)
    answer = send_file(
        path_of(found), mimetype="application/zip", as_attachment=True, download_name=found.filename
    )
    encoded = base64.b64encode(bytes.fromhex(found.sha256)).decode()
    answer.headers["Repr-Digest"] = f"sha-256=:{encoded}:"
    answer.headers["Digest"] = f"sha-256={encoded}"
    answer.headers["ETag"] = f'"{found.sha256}"'
    return answer


@blp.route("/heatmap")
@blp.arguments(HeatmapArgs, location="query")
@blp.response(200, HeatmapSchema)
def process_heatmap(args):
    """Per BPMN element of a procedure's process: the dossiers that passed there in a period (Mẫu 05
    steps ended in it), the median and 90th percentile of the working days used, the share late.

    Administrators and the group `reports` for any unit (or all); officers for their own unit.
    """
    unit = permissions.heatmap_unit(current_user(), args.get("unit"))
    return heatmap(args["procedure"], period_from(args["period"]), unit)
