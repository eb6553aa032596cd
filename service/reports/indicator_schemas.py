"""The QĐ 766 indicators' request and answer (GET /api/v1/reports/indicators)."""

import marshmallow as ma

from ..web import RequestSchema
from .exports import FORMATS


class IndicatorArgs(RequestSchema):
    unit = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "An org unit's code (its sub-units included); none: the province"},
    )
    period = ma.fields.String(
        validate=ma.validate.Length(min=1, max=32),
        metadata={
            "description": "<kind>:<value>: day:2026-11-20, week:2026-W48, month:2026-11, "
            "reporting-month:2026-11 (21/10-20/11), quarter:2026-Q4, "
            "reporting-quarter:2026-Q4 (15/09-14/12), year:2026; none: this month"
        },
    )
    procedure = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    format = ma.fields.String(
        validate=ma.validate.OneOf(FORMATS), metadata={"description": "json, csv, xlsx"}
    )


class _Named(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class _Period(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime(metadata={"description": "Exclusive"})


class IndicatorSchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    numerator = ma.fields.Integer(allow_none=True)
    denominator = ma.fields.Integer(allow_none=True)
    rate = ma.fields.Float(allow_none=True, metadata={"description": "0 to 1; null without data or dossiers"})
    threshold = ma.fields.Float(allow_none=True, metadata={"description": "Full points from this rate"})
    max_points = ma.fields.Float()
    points = ma.fields.Float(
        allow_none=True, metadata={"description": "Below the threshold: rate x max / threshold"}
    )
    status = ma.fields.String(metadata={"enum": ["ok", "no_data"]})
    target = ma.fields.Float(allow_none=True)
    dossiers = ma.fields.String(
        allow_none=True, metadata={"description": "The dossier list behind the numerator"}
    )
    denominator_dossiers = ma.fields.String(allow_none=True)


class IndicatorGroupSchema(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String()
    max_points = ma.fields.Float()
    points = ma.fields.Float(allow_none=True)
    indicators = ma.fields.List(ma.fields.Nested(IndicatorSchema))


class IndicatorTotalSchema(ma.Schema):
    points = ma.fields.Float()
    max_points = ma.fields.Float()
    scored_max = ma.fields.Float(metadata={"description": "The points the indicators with data can give"})
    scaled = ma.fields.Float(allow_none=True, metadata={"description": "points x 100 / scored_max"})
    rating = ma.fields.String(allow_none=True, metadata={"description": "Of the scaled points"})
    provisional = ma.fields.Boolean(metadata={"description": "Not every indicator has data"})
    target = ma.fields.Float()


class ProcedureIndicatorsSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    counted = ma.fields.Integer()
    received = ma.fields.Integer()
    finished = ma.fields.Integer()
    early = ma.fields.Integer()
    on_time = ma.fields.Integer()
    late = ma.fields.Integer(metadata={"description": "Finished late, or open and late at the period's end"})
    average_days = ma.fields.Float(allow_none=True, metadata={"description": "Working days, pauses excluded"})
    dossiers = ma.fields.String()
    late_dossiers = ma.fields.String()


class LateStepSchema(ma.Schema):
    procedure = ma.fields.String()
    element_id = ma.fields.String()
    name = ma.fields.String()
    done = ma.fields.Integer()
    late = ma.fields.Integer()
    average_days = ma.fields.Float(allow_none=True)
    dossiers = ma.fields.String()
    late_dossiers = ma.fields.String()


class IndicatorsSchema(ma.Schema):
    unit = ma.fields.Nested(_Named, allow_none=True, metadata={"description": "null: the province"})
    period = ma.fields.Nested(_Period)
    procedure = ma.fields.Nested(_Named, allow_none=True)
    judged_at = ma.fields.AwareDateTime(metadata={"description": "The period's end, or now while it runs"})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    links = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    groups = ma.fields.List(ma.fields.Nested(IndicatorGroupSchema))
    total = ma.fields.Nested(IndicatorTotalSchema)
    procedures = ma.fields.List(ma.fields.Nested(ProcedureIndicatorsSchema))
    steps = ma.fields.List(ma.fields.Nested(LateStepSchema))
