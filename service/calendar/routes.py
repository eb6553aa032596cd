"""/api/v1/calendar: the working-day calendar, its overrides and deadline computation."""

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import Unprocessable
from ..identity.auth import current_user
from ..identity.permissions import admin_only
from ..web import EARLIEST_YEAR, LATEST_YEAR, YEAR_PATTERN
from . import operations
from .schemas import (
    CalendarArgs,
    CalendarSchema,
    DayInfoSchema,
    DeadlineArgs,
    DeadlineSchema,
    OverrideArgs,
    OverrideSchema,
)

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/v1/calendar",
    description="Working-day calendar (lịch làm việc): holidays, overrides, deadlines",
)


def _hhmm(moment) -> str:
    return moment.strftime("%H:%M")


@blp.route("")
class Calendar(MethodView):
    @blp.arguments(CalendarArgs, location="query")
    @blp.response(200, CalendarSchema)
    def get(self, args):
        """The calendar settings, the public holidays of a year and the administrator's overrides."""
        calendar = operations.calendar()
        year = args.get("year") or operations.today().year
        makeup = calendar.makeup_working_days(year)
        return {
            "year": year,
            "settings": {
                "timezone": calendar.timezone,
                "office_hours": [{"start": _hhmm(s), "end": _hhmm(e)} for s, e in calendar.periods],
                "hours_per_working_day": calendar.day_length.total_seconds() / 3600,
                "reception_cutoff": _hhmm(calendar.reception_cutoff) if calendar.reception_cutoff else None,
                "holiday_country": calendar.country,
            },
            "holidays": calendar.public_holidays(year),
            "makeup_working_days": [info.day for info in makeup],
            "makeup_days": makeup,
            "announced": year in calendar.schedules,
            "overrides": operations.list_overrides(year),
        }


@blp.route("/overrides")
class Overrides(MethodView):
    @admin_only
    @blp.arguments(OverrideArgs)
    @blp.response(201, OverrideSchema)
    def post(self, data):
        """Make a day an extra day off or an extra working day (administrators; 409 if already set)."""
        return operations.add_override(data["day"], data["kind"], data["note"], actor=current_user())


@blp.route(
    "/overrides/<string:day>",
    parameters=[
        {
            "in": "path",
            "name": "day",
            "description": "YYYY-MM-DD",
            "schema": {"type": "string", "format": "date", "pattern": YEAR_PATTERN},
        }
    ],
)
class Override(MethodView):
    @admin_only
    @blp.response(204)
    def delete(self, day):
        """Remove the override of a day (administrators; 404 if it has none)."""
        operations.remove_override(_day(day), actor=current_user())


@blp.route(
    "/days/<string:day>",
    parameters=[
        {
            "in": "path",
            "name": "day",
            "description": "YYYY-MM-DD",
            "schema": {"type": "string", "format": "date", "pattern": YEAR_PATTERN},
        }
    ],
)
class Day(MethodView):
    @blp.response(200, DayInfoSchema)
    def get(self, day):
        """Whether a day is a working day, and why: an administrator's override (with its note), the
        year's announced schedule (with the announcing document), the holidays package's suggestion
        (provisional: no schedule announced for that year), or a plain weekday or weekend."""
        return operations.calendar().explain(_day(day))


def _day(text: str) -> date:
    try:
        parsed = date.fromisoformat(text)
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValueError(text)
    except ValueError:
        raise Unprocessable(
            f"The day must be a date of the years {EARLIEST_YEAR} to {LATEST_YEAR}, as in 2026-02-16.",
            code="validation_failed",
            details={"fields": {"day": ["Not a valid date."]}},
        ) from None
    return parsed


@blp.route("/deadline")
class Deadline(MethodView):
    @blp.arguments(DeadlineArgs, location="query")
    @blp.response(200, DeadlineSchema)
    def get(self, args):
        """The due moment of a dossier received at `start` with `working_days` working days.

        The clock starts at reception during office hours before the cut-off, else at the next
        office period (next working day after the cut-off, after hours or on a day off). A
        statutory time of half a day or less is due at the close of the day the clock starts;
        `day_kind=calendar` counts calendar days (docs/time.md).
        """
        calendar = operations.calendar()
        try:
            clock_start = calendar.reception_start(args["start"])
            due_at = calendar.statutory_due(clock_start, args["working_days"], args["day_kind"])
        except OverflowError:
            raise Unprocessable(
                "The deadline falls outside the dates the calendar can count.",
                code="validation_failed",
                details={"fields": {"start": ["Too close to the end of the calendar."]}},
            ) from None
        return {
            "start": args["start"],
            "clock_start": clock_start,
            "working_days": args["working_days"],
            "day_kind": args["day_kind"],
            "due_at": due_at,
        }
