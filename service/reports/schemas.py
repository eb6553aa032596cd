"""The reports' request and response schemas (the OpenAPI document shows them)."""

from __future__ import annotations

import marshmallow as ma

from ..web import PageArgs, RequestSchema
from . import exports

FORMAT = ma.fields.String(
    load_default=None,
    validate=ma.validate.OneOf(exports.FORMATS),
    metadata={"description": "json, csv or xlsx (else the Accept header decides; JSON by default)"},
)
PERIOD_HELP = (
    "<kind>:<value>: day:2026-11-20, week:2026-W48, month:2026-11, reporting-month:2026-11 "
    "(21/10 to 20/11), quarter:2026-Q4, reporting-quarter:2026-Q4 (15/09 to 14/12), year:2026"
)


def _doc(text: str, **more) -> dict:
    return {"metadata": {"description": text, **more}}


class LateArgs(RequestSchema):
    period = ma.fields.String(
        load_default=None, metadata={"description": PERIOD_HELP, "example": "month:2026-11"}
    )
    month = ma.fields.String(
        load_default=None,
        metadata={"description": "Shorthand for period=month:<YYYY-MM>", "example": "2026-11"},
    )
    refresh = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Work the list out now, not the published one (administrators)"},
    )
    format = FORMAT


class RegisterArgs(PageArgs):
    period = ma.fields.String(
        required=True, metadata={"description": PERIOD_HELP, "example": "month:2026-11"}
    )
    unit = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        metadata={"description": "The receiving unit's national code (default: your own unit)"},
    )
    format = FORMAT


class ResponsibleSchema(ma.Schema):
    officer = ma.fields.String(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    step = ma.fields.String(allow_none=True)
    element_id = ma.fields.String(allow_none=True)
    allotted_days = ma.fields.Float(allow_none=True)
    used_days = ma.fields.Float(allow_none=True)
    reason = ma.fields.String(metadata={"description": "late_step, open_at_due or last_before_due"})


class LateRowSchema(ma.Schema):
    code = ma.fields.String()
    procedure = ma.fields.String(metadata={"description": "The procedure's code"})
    procedure_name = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String()
    unit_name = ma.fields.String(allow_none=True)
    due_at = ma.fields.String(
        allow_none=True, metadata={"description": "ISO 8601: the due moment at the period's end"}
    )
    finished_at = ma.fields.String(
        allow_none=True, metadata={"description": "ISO 8601, if finished by the period's end"}
    )
    standing = ma.fields.String(
        allow_none=True, metadata={"description": "late (finished late) or open_late"}
    )
    responsible = ma.fields.List(ma.fields.Nested(ResponsibleSchema))


class LateListSchema(ma.Schema):
    period = ma.fields.String()
    label = ma.fields.String()
    judged_at = ma.fields.AwareDateTime(metadata={"description": "The moment the dossiers are judged at"})
    published = ma.fields.Boolean(
        metadata={"description": "The list published on the 5th (else worked out now)"}
    )
    generated_at = ma.fields.AwareDateTime()
    rows = ma.fields.List(ma.fields.Nested(LateRowSchema))


class RegisterRowSchema(ma.Schema):
    no = ma.fields.Integer(metadata={"description": "The line in this register"})
    code = ma.fields.String()
    procedure_code = ma.fields.String()
    procedure_name = ma.fields.String()
    sets = ma.fields.Integer()
    applicant_name = ma.fields.String(allow_none=True)
    applicant_address = ma.fields.String(allow_none=True)
    applicant_phone = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String()
    lead_agency = ma.fields.String(allow_none=True)
    received_at = ma.fields.AwareDateTime()
    appointed_at = ma.fields.AwareDateTime(allow_none=True)
    due_at = ma.fields.AwareDateTime(allow_none=True)
    transferred_at = ma.fields.AwareDateTime(allow_none=True)
    returned_at = ma.fields.AwareDateTime(allow_none=True)
    return_method = ma.fields.String(allow_none=True, metadata={"description": "counter, post or online"})
    tracking_number = ma.fields.String(
        allow_none=True, metadata={"description": "The postal item's tracking number (by post)"}
    )
    register_number = ma.fields.String(allow_none=True, metadata={"description": "Mẫu 01's book/number"})
    notes = ma.fields.String(allow_none=True)


class RegisterPageSchema(ma.Schema):
    period = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(RegisterRowSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class BundleSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "monthly or quarterly"})
    period = ma.fields.String()
    filename = ma.fields.String()
    sha256 = ma.fields.String(metadata={"description": "hex; the download's Repr-Digest"})
    size = ma.fields.Integer()
    parts = ma.fields.List(ma.fields.Dict())
    generated_at = ma.fields.AwareDateTime()


class BundleListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BundleSchema))


class HeatmapArgs(RequestSchema):
    procedure = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    period = ma.fields.String(required=True, **_doc(PERIOD_HELP, example="month:2026-11"))
    unit = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        **_doc("The receiving unit's national code (officers: their own; default all for administrators)"),
    )


class HeatmapElementSchema(ma.Schema):
    element_id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    dossiers = ma.fields.Integer(**_doc("Dossiers that passed there (a step ended in the period)"))
    steps = ma.fields.Integer(**_doc("Rounds of the step (reopened steps count again)"))
    median_days = ma.fields.Float(allow_none=True, **_doc("Median working days used (percentile_cont)"))
    p90_days = ma.fields.Float(allow_none=True, **_doc("90th percentile of the working days used"))
    late = ma.fields.Integer()
    judged = ma.fields.Integer(**_doc("Rounds with an allotment (judged early, on time or late)"))
    late_share = ma.fields.Float(allow_none=True, **_doc("late / judged"))


class HeatmapSchema(ma.Schema):
    procedure = ma.fields.String()
    procedure_name = ma.fields.String()
    period = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String(allow_none=True)
    definition_key = ma.fields.String()
    definition_version = ma.fields.Integer(allow_none=True)
    elements = ma.fields.List(ma.fields.Nested(HeatmapElementSchema))
