"""When the apology slip (Mẫu 04) is due: one working day before the dossier ("trước 01 ngày"),
and halfway through a dossier's time when the whole of it is one working day or less, so a short
procedure's apology does not fall due as processing starts. Office hours 07:00-11:00, 13:00-17:00."""

from __future__ import annotations

import gc
import weakref
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service import deadlines
from service.calendar import schedules
from service.calendar.workcal import WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(d, hh, mm=0) -> datetime:
    return datetime(2026, 3, d, hh, mm, tzinfo=VN)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(schedules=schedules.load(None, "VN"))


@pytest.mark.parametrize(
    ("started", "days", "due", "apology"),
    [
        (at(3, 9), 15, at(24, 9), at(23, 9)),  # 15 working days: one working day before
        (at(3, 8), 2, at(5, 8), at(4, 8)),  # two days: still one day before
        (at(3, 9), 1, at(4, 9), at(3, 15)),  # one day: halfway (4 office hours of 8)
        (at(3, 14), 0.5, at(3, 17), at(3, 15, 30)),  # same day from 14:00: halfway to 17:00
        (at(6, 10), 1, at(9, 10), at(6, 16)),  # over a weekend: 4 office hours back from Monday 10:00
    ],
)
def test_the_apology_is_due_a_day_before_or_halfway_through_a_short_dossier(cal, started, days, due, apology):
    assert deadlines.dossier_due(started, days, cal) == due
    assert deadlines.apology_due(due, cal, started) == apology
    assert apology > started


def test_without_its_start_the_apology_is_one_working_day_before(cal):
    assert deadlines.apology_due(at(4, 9), cal) == at(3, 9)


def test_a_pause_moves_a_short_dossiers_apology_with_its_due_moment(cal):
    started, due = at(3, 9), at(4, 9)  # one working day
    resumed_due = deadlines.resumed_due(due, 2.0, cal)  # two working days waiting for the applicant
    assert resumed_due == at(6, 9)
    assert deadlines.apology_due(resumed_due, cal, started, paused_days=2.0) == at(5, 15)


def test_a_kept_apology_moment_is_never_another_calendars():
    """apology_due keeps its answers per calendar object: a calendar whose override makes the day
    before a day off answers for itself, before and after the other was asked."""
    plain = WorkingCalendar(schedules=schedules.load(None, "VN"))
    off = WorkingCalendar(schedules=schedules.load(None, "VN"), extra_days_off=[at(23, 0).date()])
    due = at(24, 9)
    assert deadlines.apology_due(due, plain, at(3, 9)) == at(23, 9)
    assert deadlines.apology_due(due, off, at(3, 9)) == at(20, 9)  # Monday 23 off: Friday 20
    assert deadlines.apology_due(due, plain, at(3, 9)) == at(23, 9)
    assert deadlines.apology_due(due, plain, at(3, 9), paused_days=0) is deadlines.apology_due(
        due, plain, at(3, 9)
    )


def test_the_kept_apology_moments_go_with_their_calendar():
    """A calendar replaced (its overrides changed) takes its kept answers with it: a long-running
    process does not keep every calendar it ever built (several MB each)."""
    calendar = WorkingCalendar(schedules=schedules.load(None, "VN"))
    deadlines.apology_due(at(24, 9), calendar, at(3, 9))
    assert calendar in deadlines._APOLOGIES
    kept = weakref.ref(calendar)
    del calendar
    gc.collect()
    assert kept() is None
