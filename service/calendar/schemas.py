import re

import marshmallow as ma

from ..web import RequestSchema
from .models import OVERRIDE_KINDS
from .workcal import DAY_KINDS, WORKING

# A '+' of an unencoded query string arrives as a space: "2026-02-13T16:00:00 07:00".
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+) (\d\d(?::?\d\d)?)$")


class CalendarArgs(RequestSchema):
    year = ma.fields.Integer(
        validate=ma.validate.Range(min=1900, max=2200),
        metadata={"description": "The year to list (default: this year in the office time zone)"},
    )


class OverrideArgs(RequestSchema):
    day = ma.fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})
    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(OVERRIDE_KINDS),
        metadata={"description": "off: an extra day off; working: an extra working day (làm bù)"},
    )
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))


class DeadlineArgs(RequestSchema):
    start = ma.fields.AwareDateTime(
        required=True,
        metadata={"description": "Reception moment, ISO 8601 with its UTC offset (URL-encode the '+')"},
    )
    working_days = ma.fields.Float(
        required=True,
        allow_nan=False,
        validate=ma.validate.Range(min=0, min_inclusive=False, max=365),
        metadata={"description": "Allotted working days; fractions allowed (0.25, 0.5, 1.5)"},
    )
    day_kind = ma.fields.String(
        load_default=WORKING,
        validate=ma.validate.OneOf(DAY_KINDS),
        metadata={"description": "How the days count: working (office time) or calendar days"},
    )

    @ma.pre_load
    def _restore_plus(self, data, **kwargs):
        start = data.get("start") if hasattr(data, "get") else None
        if isinstance(start, str) and _SPACED_OFFSET.match(start):
            data = {**data, "start": _SPACED_OFFSET.sub(r"\1+\2", start)}
        return data


class PeriodSchema(ma.Schema):
    start = ma.fields.String(metadata={"description": "HH:MM"})
    end = ma.fields.String(metadata={"description": "HH:MM"})


class SettingsSchema(ma.Schema):
    timezone = ma.fields.String()
    office_hours = ma.fields.List(ma.fields.Nested(PeriodSchema))
    hours_per_working_day = ma.fields.Float()
    reception_cutoff = ma.fields.String(allow_none=True, metadata={"description": "HH:MM, or null"})
    holiday_country = ma.fields.String(allow_none=True)


class HolidaySchema(ma.Schema):
    date = ma.fields.Date(attribute="day")
    name = ma.fields.String(allow_none=True)
    source = ma.fields.String(
        allow_none=True, metadata={"description": "The document that announced it (an announced schedule)"}
    )
    provisional = ma.fields.Boolean(
        metadata={"description": "Suggested by the holidays package: no announced schedule for the year"}
    )


class DayInfoSchema(HolidaySchema):
    working = ma.fields.Boolean()
    basis = ma.fields.String(
        metadata={
            "description": "What decided it: override (an administrator), schedule (the year's announced "
            "schedule), package (the holidays package's suggestion, provisional), weekend or weekday"
        }
    )


class OverrideSchema(ma.Schema):
    day = ma.fields.Date()
    kind = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    created_by_id = ma.fields.Integer(allow_none=True)


class CalendarSchema(ma.Schema):
    year = ma.fields.Integer()
    settings = ma.fields.Nested(SettingsSchema)
    holidays = ma.fields.List(
        ma.fields.Nested(HolidaySchema),
        metadata={"description": "Public holidays and substituted days off (overrides not applied)"},
    )
    makeup_working_days = ma.fields.List(
        ma.fields.Date(), metadata={"description": "Weekend days that are working days (làm bù)"}
    )
    makeup_days = ma.fields.List(
        ma.fields.Nested(HolidaySchema), metadata={"description": "The same, with their names and sources"}
    )
    announced = ma.fields.Boolean(
        metadata={"description": "Whether the year has an announced schedule (else the days are provisional)"}
    )
    overrides = ma.fields.List(ma.fields.Nested(OverrideSchema))


class DeadlineSchema(ma.Schema):
    start = ma.fields.AwareDateTime(metadata={"description": "As given"})
    clock_start = ma.fields.AwareDateTime(
        metadata={"description": "When the clock starts (office hours, the reception cut-off)"}
    )
    working_days = ma.fields.Float()
    day_kind = ma.fields.String()
    due_at = ma.fields.AwareDateTime(metadata={"description": "Due moment, in the office time zone"})
