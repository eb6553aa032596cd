"""Half-day procedures ("trong ngày") are due the same working day at office close when received
before the 15:00 cut-off, at the close of the next working day after it; fractional step
allotments still count office hours (docs/time.md). Every expected moment is worked out by hand
with the announced 2026 schedule (service/calendar/schedules/vn-2026.json) and office hours
07:00-11:30, 13:30-17:00."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.calendar import schedules
from service.calendar.workcal import CALENDAR, WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(schedules=schedules.load(None, "VN"))


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Tuesday 3/3/2026, an ordinary working day
        (at(2026, 3, 3, 8, 0), at(2026, 3, 3, 17, 0)),  # morning: the same day at close
        (at(2026, 3, 3, 6, 30), at(2026, 3, 3, 17, 0)),  # before opening: the same day
        (at(2026, 3, 3, 12, 0), at(2026, 3, 3, 17, 0)),  # at lunch: the same day
        (at(2026, 3, 3, 14, 0), at(2026, 3, 3, 17, 0)),  # 14:00: not 08:00 the next day any more
        (at(2026, 3, 3, 14, 59), at(2026, 3, 3, 17, 0)),  # just before the cut-off
        (at(2026, 3, 3, 15, 0), at(2026, 3, 4, 17, 0)),  # at the cut-off: the next working day
        (at(2026, 3, 3, 15, 30), at(2026, 3, 4, 17, 0)),  # after it
        (at(2026, 3, 3, 18, 0), at(2026, 3, 4, 17, 0)),  # after hours
        # Friday 6/3/2026: before the cut-off that Friday, after it the Monday
        (at(2026, 3, 6, 14, 30), at(2026, 3, 6, 17, 0)),
        (at(2026, 3, 6, 16, 0), at(2026, 3, 9, 17, 0)),
        (at(2026, 3, 7, 10, 0), at(2026, 3, 9, 17, 0)),  # a Saturday: Monday
        # Wednesday 29/4/2026, the day before 30/4 and 1/5 (then the weekend): Monday 4/5
        (at(2026, 4, 29, 10, 0), at(2026, 4, 29, 17, 0)),
        (at(2026, 4, 29, 15, 30), at(2026, 5, 4, 17, 0)),
        (at(2026, 4, 30, 9, 0), at(2026, 5, 4, 17, 0)),  # on the holiday itself
        # New Year 2026: Friday 2/1 off, swapped with Saturday 10/1, a working day
        (at(2026, 1, 9, 16, 0), at(2026, 1, 10, 17, 0)),  # Friday after the cut-off: that Saturday
        (at(2026, 1, 10, 10, 0), at(2026, 1, 10, 17, 0)),  # on the swapped Saturday itself
        (at(2026, 1, 10, 15, 30), at(2026, 1, 12, 17, 0)),  # after its cut-off: Monday 12/1
        (at(2025, 12, 31, 16, 0), at(2026, 1, 5, 17, 0)),  # New Year's Eve: 1/1 to 4/1 off
    ],
)
def test_a_half_day_procedure_is_due_at_the_close_of_the_day_its_clock_starts(cal, received, due):
    assert cal.deadline(received, 0.5) == due
    assert cal.deadline(received, 0.25) == due  # any statutory time of half a day or less


def test_a_longer_procedure_still_counts_office_time(cal):
    assert cal.deadline(at(2026, 3, 3, 14, 0), 1) == at(2026, 3, 4, 14, 0)  # one day = 8 office hours
    assert cal.deadline(at(2026, 3, 3, 14, 0), 0.75) == at(2026, 3, 4, 10, 0)  # 6 h: 3 today, 3 more
    assert cal.deadline(at(2026, 3, 3, 15, 30), 1) == at(2026, 3, 4, 17, 0)  # 07:00 + 8 h


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2026, 3, 3, 14, 0), 0.25, at(2026, 3, 3, 16, 0)),  # 0.25 day = 2 office hours
        (at(2026, 3, 3, 16, 0), 0.25, at(2026, 3, 4, 8, 0)),  # 1 h today, 1 h tomorrow
        (at(2026, 3, 3, 10, 30), 0.25, at(2026, 3, 3, 14, 30)),  # across lunch
        (at(2026, 3, 3, 14, 0), 0.5, at(2026, 3, 4, 8, 0)),  # a step's 0.5 is 4 office hours
        (at(2026, 1, 9, 16, 0), 0.25, at(2026, 1, 10, 8, 0)),  # into the swapped Saturday
    ],
)
def test_step_allotments_are_fractions_of_office_time(cal, start, days, due):
    assert cal.add_working_days(start, days) == due


def test_a_procedure_counting_calendar_days_ends_at_the_close_of_its_last_day(cal):
    assert cal.deadline(at(2026, 3, 3, 9, 0), 10, CALENDAR) == at(2026, 3, 13, 17, 0)  # Friday 13/3
    assert cal.deadline(at(2026, 3, 3, 9, 0), 5, CALENDAR) == at(2026, 3, 9, 17, 0)  # Sunday 8/3 → Monday
    # after the cut-off the clock starts on Wednesday 4/3: 10 days later is Saturday 14/3 → Monday
    assert cal.deadline(at(2026, 3, 3, 15, 30), 10, CALENDAR) == at(2026, 3, 16, 17, 0)
    assert cal.deadline(at(2026, 3, 3, 14, 0), 0.5, CALENDAR) == at(2026, 3, 3, 17, 0)  # "trong ngày"
