"""The working-day calendar (lịch làm việc): office hours, public holidays and deadlines.

Pure: the standard library, zoneinfo and the `holidays` package; no Flask, no database.

Conventions:
- Methods accept timezone-aware datetimes in any zone (a naive one raises ValueError) and
  return aware datetimes in the office time zone (`calendar.tz`).
- Office-period boundaries are wall-clock times in the office zone, turned into instants with
  zoneinfo (no fixed offset is assumed); office time is elapsed time inside those periods.
- One working day is the sum of the configured periods (8 h for 07:00-11:30,13:30-17:00).
- A deadline is the *earliest* moment at which its office time has elapsed: Mon 07:00 + 1 day
  is Mon 17:00 (not Tue 07:00), so the due working day is Monday. Going backwards, the
  *latest* such moment: Tue 17:00 - 1 day is Tue 07:00.
- Which days are worked, first rule that answers: the administrator's overrides (extra days off,
  extra working days); for a year with an announced schedule (`Schedule`, the government's
  days off, swapped days and make-up days, each with its source: calendar/schedules/), that
  schedule and the weekends; for any other year, the `holidays` package's suggestion, which is
  provisional. `explain(day)` says which rule answered and why.
- A statutory time of half a day or less ("trong ngày") is due at the close of the day the clock
  started (statutory_due); a procedure that counts calendar days ends at the close of the last
  day, moved to the next working day when that day is not worked (add_calendar_days). See
  docs/time.md for the rules and their sources.
- Spans are bounded: counting more than `max_span_days` working days (MOTCUA_MAX_CALENDAR_DAYS,
  about fourteen years by default), or office time over a longer span, raises ValueError at once,
  so no caller (a model's allotment, a script's working_days_from_now) can keep a thread busy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays as holiday_package

Period = tuple[time, time]
Number = int | float | Decimal

DEFAULT_PERIODS: tuple[Period, ...] = ((time(7), time(11, 30)), (time(13, 30), time(17)))
TOLERANCE = timedelta(minutes=1)  # a step that used its allotment within a minute is on time
_MAX_IDLE_DAYS = 3660  # ten years without a working day means the calendar is broken
MAX_SPAN_DAYS = 3660  # the most working days one call counts (MOTCUA_MAX_CALENDAR_DAYS)
_ONE_DAY = timedelta(days=1)
# How a model or a procedure reads "ngày": working days (ngày làm việc, office time) or calendar days.
WORKING, CALENDAR = "working", "calendar"
DAY_KINDS = (WORKING, CALENDAR)
# A statutory time of at most this many days is "trong ngày": due at the close of the day the clock
# started (statutory_due). [I]: the reading of "trong ngày" / half-day procedures, docs/time.md.
SAME_DAY_DAYS = Decimal("0.5")


@dataclass(frozen=True)
class ScheduledDay:
    """One day of an announced schedule: off or working, its name and the document it comes from."""

    day: date
    kind: str  # "off" or "working"
    name: str
    source: str


@dataclass(frozen=True)
class Schedule:
    """The announced schedule of one year: the days that differ from Monday-Friday working."""

    year: int
    days: Mapping[date, ScheduledDay] = field(default_factory=dict)


@dataclass(frozen=True)
class DayInfo:
    """Why a day is or is not a working day (explain())."""

    day: date
    working: bool
    # "override" (the administrator), "schedule" (an announced schedule), "package" (the holidays
    # package: provisional), "weekend" or "weekday" (nothing special about the day)
    basis: str
    name: str | None = None
    source: str | None = None
    provisional: bool = False


def parse_time(text: str) -> time:
    """'HH:MM' (or 'H:MM', 'HH') → time; ValueError when it is not one."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def parse_office_hours(text: str) -> list[Period]:
    """'07:00-11:30,13:30-17:00' → [(07:00, 11:30), (13:30, 17:00)]."""
    periods = []
    for part in text.split(","):
        if part.strip():
            start, sep, end = part.partition("-")
            if not sep:
                raise ValueError(f"An office period must look like HH:MM-HH:MM, not {part.strip()!r}.")
            periods.append((parse_time(start), parse_time(end)))
    return periods


def _wall(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second) + timedelta(
        microseconds=moment.microsecond
    )


class WorkingCalendar:
    """Working days and office time of one office: holidays of a country plus overrides."""

    def __init__(
        self,
        timezone: str = "Asia/Ho_Chi_Minh",
        office_periods: Iterable[Period] = DEFAULT_PERIODS,
        reception_cutoff: time | None = time(15),
        country: str | None = "VN",
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        language: str | None = "vi",
        max_span_days: int = MAX_SPAN_DAYS,
        schedules: Mapping[int, Schedule] | None = None,
        override_notes: Mapping[date, str | None] | None = None,
    ):
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.periods: tuple[Period, ...] = tuple(sorted(office_periods))
        if not self.periods:
            raise ValueError("A working calendar needs at least one office period.")
        for (start, end), following in zip(self.periods, (*self.periods[1:], None), strict=True):
            if start.tzinfo or end.tzinfo or not start < end:
                raise ValueError(f"The office period {start}-{end} is not a naive start < end.")
            if following is not None and following[0] < end:
                raise ValueError(f"The office periods {start}-{end} and {following[0]}-… overlap.")
        self.reception_cutoff = reception_cutoff
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        if both := self.extra_days_off & self.extra_working_days:
            raise ValueError(f"Days both off and working: {sorted(both)}.")
        self.country = country or None
        self.language = None
        self._holidays = None
        if self.country:
            self._holidays = holiday_package.country_holidays(self.country)  # unknown → error
            if language in self._holidays.supported_languages:
                self.language = language
                self._holidays = holiday_package.country_holidays(self.country, language=language)
        self.max_span_days = max_span_days
        self.schedules: dict[int, Schedule] = dict(schedules or {})
        self.override_notes: dict[date, str | None] = dict(override_notes or {})
        self.day_length = sum((_wall(end) - _wall(start) for start, end in self.periods), timedelta())
        self._lock = threading.Lock()  # the package fills its years lazily; not thread-safe
        self._package_days: dict[date, bool] = {}

    # -- days -------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Overrides first, then the year's announced schedule, else the package (see the module)."""
        if isinstance(day, datetime):
            day = self.local(day).date()
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            scheduled = schedule.days.get(day)
            return scheduled.kind == "working" if scheduled is not None else day.weekday() < 5
        working = self._package_days.get(day)
        if working is None:
            if self._holidays is None:
                working = day.weekday() < 5
            else:
                with self._lock:
                    working = self._holidays.is_working_day(day)
            self._package_days[day] = working
        return working

    def explain(self, day: date) -> DayInfo:
        """Whether a day is worked, and which rule says so (with the name and source of the day)."""
        working = self.is_working_day(day)
        if day in self.extra_days_off or day in self.extra_working_days:
            return DayInfo(day, working, "override", source=self.override_notes.get(day))
        schedule = self.schedules.get(day.year)
        if schedule is not None and day in schedule.days:
            entry = schedule.days[day]
            return DayInfo(day, working, "schedule", entry.name, entry.source)
        if schedule is None and self._holidays is not None and working != (day.weekday() < 5):
            name = None
            if not working:
                with self._lock:
                    name = self._holidays.get(day)
            return DayInfo(day, working, "package", name, None, provisional=True)
        return DayInfo(day, working, "weekday" if working else "weekend")

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after day."""
        for _ in range(_MAX_IDLE_DAYS):
            day += _ONE_DAY
            if self.is_working_day(day):
                return day
        raise ValueError(f"No working day within {_MAX_IDLE_DAYS} days after {day}.")

    def public_holidays(self, year: int) -> list[DayInfo]:
        """The days off of a year other than weekends (overrides not applied): the announced
        schedule's if the year has one, else the package's, marked provisional."""
        schedule = self.schedules.get(year)
        if schedule is not None:
            return [
                DayInfo(d.day, False, "schedule", d.name, d.source)
                for d in sorted(schedule.days.values(), key=lambda d: d.day)
                if d.kind == "off"
            ]
        if self.country is None:
            return []
        package = holiday_package.country_holidays(self.country, years=year, language=self.language)
        return [DayInfo(day, False, "package", name, None, True) for day, name in sorted(package.items())]

    def makeup_working_days(self, year: int) -> list[DayInfo]:
        """Weekend days of a year that are worked (overrides not applied), as public_holidays()."""
        schedule = self.schedules.get(year)
        if schedule is not None:
            return [
                DayInfo(d.day, True, "schedule", d.name, d.source)
                for d in sorted(schedule.days.values(), key=lambda d: d.day)
                if d.kind == "working"
            ]
        if self.country is None:
            return []
        package = holiday_package.country_holidays(self.country, years=year)
        days = sorted(day for day in package.weekend_workdays if day.year == year)
        return [DayInfo(day, True, "package", None, None, True) for day in days]

    # -- moments ----------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """moment in the office time zone; ValueError when it is naive."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("A naive datetime is ambiguous: give its UTC offset.")
        return moment.astimezone(self.tz)

    def _office_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office periods of a day as UTC instants; none on a non-working day."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self.periods
        ]

    def _duration(self, days: Number) -> timedelta:
        """Office time of a number of working days, to the microsecond; ValueError past max_span_days."""
        amount = Decimal(str(days)) if isinstance(days, float) else Decimal(days)
        if not amount.is_finite():
            raise ValueError(f"Not a number of working days: {days!r}.")
        if abs(amount) > self.max_span_days:
            raise ValueError(
                f"{days} working days is more than the calendar counts in one go ({self.max_span_days})."
            )
        micros = amount * (self.day_length // timedelta(microseconds=1))
        return timedelta(microseconds=int(micros.to_integral_value()))

    def reception_start(self, received_at: datetime) -> datetime:
        """When the clock of a dossier received at received_at starts.

        During office hours of a working day and before the cut-off: received_at itself. In a
        break (lunch): the start of the next period that day. After the cut-off, after hours or
        on a day off: the first period of the next working day.
        """
        local = self.local(received_at)
        day = local.date()
        if self.is_working_day(day) and (
            self.reception_cutoff is None or local.time() < self.reception_cutoff
        ):
            moment = local.astimezone(UTC)
            for start, end in self._office_periods(day):
                if moment < end:
                    return max(moment, start).astimezone(self.tz)
        return datetime.combine(self.next_working_day(day), self.periods[0][0], tzinfo=self.tz)

    def deadline(self, received_at: datetime, days: Number, kind: str = WORKING) -> datetime:
        """The due moment of a dossier received at received_at with a statutory time of `days`."""
        return self.statutory_due(self.reception_start(received_at), days, kind)

    def statutory_due(self, clock_start: datetime, days: Number, kind: str = WORKING) -> datetime:
        """When a statutory time of `days` from a dossier's clock start (reception_start) is up.

        - At most SAME_DAY_DAYS (half a day, "trong ngày"): the close of office hours of the day
          the clock started: the same working day for a reception before the cut-off, the next
          working day after it (reception_start already moved the start there).
        - Otherwise `days` of the kind of day the procedure counts: working days of office time
          (add_working_days), or calendar days (add_calendar_days).
        """
        if Decimal(str(days)) <= SAME_DAY_DAYS:
            return self.close_of_day(clock_start)
        if kind == CALENDAR:
            return self.add_calendar_days(clock_start, days)
        return self.add_working_days(clock_start, days)

    def close_of_day(self, moment: datetime) -> datetime:
        """The end of the office hours of the working day `moment` falls on; on a day off or after
        that day's close, the end of the next working day's."""
        local = self.local(moment)
        day = local.date()
        if not self.is_working_day(day) or local.time() >= self.periods[-1][1]:
            day = self.next_working_day(day)
        return datetime.combine(day, self.periods[-1][1], tzinfo=self.tz)

    def add_calendar_days(self, start: datetime, days: Number) -> datetime:
        """The end of a period of `days` calendar days (ngày, not ngày làm việc) from start: the
        close of office hours on the day that many days after the start's day (a fraction counts
        as a whole day); a last day that is not worked moves to the next working day's close."""
        amount = Decimal(str(days)) if isinstance(days, float) else Decimal(days)
        if not amount.is_finite() or not 0 <= amount <= self.max_span_days:
            raise ValueError(f"Not a number of calendar days the calendar counts: {days!r}.")
        whole = int(amount.to_integral_value(rounding="ROUND_CEILING"))
        last = self.local(start).date() + timedelta(days=whole)
        if not self.is_working_day(last):
            last = self.next_working_day(last)
        return datetime.combine(last, self.periods[-1][1], tzinfo=self.tz)

    def add_working_days(self, start: datetime, days: Number) -> datetime:
        """The earliest moment by which `days` working days of office time have passed since start.

        Fractions are office time: 0.5 day = half a day's office time (4 h by default).
        Negative days go backwards (subtract_working_days); zero returns start.
        """
        remaining = self._duration(days)
        if remaining < timedelta(0):
            return self.subtract_working_days(start, -Decimal(str(days)))
        local = self.local(start)
        if not remaining:
            return local
        moment, day = local.astimezone(UTC), local.date()
        for _ in range(_MAX_IDLE_DAYS + int(remaining / self.day_length) * 7):
            for period_start, period_end in self._office_periods(day):
                if moment >= period_end:
                    continue
                moment = max(moment, period_start)
                if remaining <= period_end - moment:
                    return (moment + remaining).astimezone(self.tz)
                remaining -= period_end - moment
                moment = period_end
            day += _ONE_DAY
        raise ValueError(f"No end to {days} working days from {start}: no working days ahead.")

    def subtract_working_days(self, end: datetime, days: Number) -> datetime:
        """The latest moment that is `days` working days of office time before end."""
        remaining = self._duration(days)
        if remaining < timedelta(0):
            return self.add_working_days(end, -Decimal(str(days)))
        local = self.local(end)
        if not remaining:
            return local
        moment, day = local.astimezone(UTC), local.date()
        for _ in range(_MAX_IDLE_DAYS + int(remaining / self.day_length) * 7):
            for period_start, period_end in reversed(self._office_periods(day)):
                if moment <= period_start:
                    continue
                moment = min(moment, period_end)
                if remaining <= moment - period_start:
                    return (moment - remaining).astimezone(self.tz)
                remaining -= moment - period_start
                moment = period_start
            day -= _ONE_DAY
        raise ValueError(f"No start to {days} working days before {end}: no working days behind.")

    def office_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two moments (negative when end is before start)."""
        first, last = self.local(start), self.local(end)
        if last < first:
            return -self.office_time_between(end, start)
        if last - first > timedelta(days=2 * self.max_span_days):
            raise ValueError(f"{first} to {last} is a longer span than the calendar counts in one go.")
        low, high = first.astimezone(UTC), last.astimezone(UTC)
        total, day = timedelta(0), first.date()
        while day <= last.date():
            for period_start, period_end in self._office_periods(day):
                overlap = min(period_end, high) - max(period_start, low)
                if overlap > timedelta(0):
                    total += overlap
            day += _ONE_DAY
        return total

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working days of office time between two moments; the inverse of add_working_days."""
        return self.office_time_between(start, end) / self.day_length

    # -- verdicts (Mẫu 05: trước / đúng / quá hạn) ------------------------------------------

    def verdict(self, allotted_days: Number, used_days: Number) -> str:
        """A step: 'early' if it used less than its allotment, 'on_time' within a minute, else 'late'."""
        spare = self._duration(allotted_days) - self._duration(used_days)
        if abs(spare) <= TOLERANCE:
            return "on_time"
        return "early" if spare > timedelta(0) else "late"

    def dossier_verdict(self, due_at: datetime, finished_at: datetime) -> str:
        """A dossier: 'late' after the due moment; 'early' on a day before the due day; else 'on_time'.

        On time means finished ≤ due (NgayHenTra); finishing on the due day itself, by the due
        moment, is 'on_time' and finishing on an earlier (local) date is 'early'.
        """
        due, finished = self.local(due_at), self.local(finished_at)
        if finished > due:
            return "late"
        return "early" if finished.date() < due.date() else "on_time"
