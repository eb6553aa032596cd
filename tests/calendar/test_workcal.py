"""The pure working-day calendar: Vietnamese holidays, office hours, cut-off, deadlines, verdicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from service.calendar.workcal import WorkingCalendar, parse_office_hours, parse_time

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


# -- working days ------------------------------------------------------------------------------


def test_tet_2025_days_are_not_working_days(cal):
    assert not any(cal.is_working_day(d) for d in days(date(2025, 1, 27), date(2025, 2, 1)))
    assert cal.is_working_day(date(2025, 1, 24))
    assert cal.is_working_day(date(2025, 2, 3))


def test_tet_2026_days_are_not_working_days(cal):
    assert not any(cal.is_working_day(d) for d in days(date(2026, 2, 16), date(2026, 2, 20)))
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


@pytest.mark.parametrize(
    "day",
    [date(2025, 4, 30), date(2025, 5, 1), date(2026, 4, 30), date(2026, 5, 1), date(2025, 1, 1)],
)
def test_reunification_and_labour_days_are_off(cal, day):
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2025, 9, 1), date(2025, 9, 2), date(2026, 9, 1), date(2026, 9, 2)])
def test_national_day_and_its_adjacent_day_are_off(cal, day):
    assert not cal.is_working_day(day)


def test_makeup_saturday_2025_04_26_is_a_working_day_but_a_normal_saturday_is_not(cal):
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 4, 19))
    assert not cal.is_working_day(date(2025, 4, 27))  # Sunday
    assert [info.day for info in cal.makeup_working_days(2025)] == [date(2025, 4, 26)]


def test_day_substituted_for_the_makeup_saturday_2025_05_02_is_off(cal):
    assert not cal.is_working_day(date(2025, 5, 2))
    assert date(2025, 5, 2) in {info.day for info in cal.public_holidays(2025)}


def test_public_holidays_have_vietnamese_names(cal):
    names = {holiday.day: holiday.name for holiday in cal.public_holidays(2026)}
    assert names[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert all(holiday.provisional and holiday.basis == "package" for holiday in cal.public_holidays(2026))
    assert all(d.year == 2026 for d in names)


def test_a_datetime_is_judged_on_its_office_date(cal):
    # 2025-01-26 20:00 UTC is already Monday 27 (29 Tết) 03:00 in Vietnam.
    assert not cal.is_working_day(datetime(2025, 1, 26, 20, tzinfo=UTC))


# -- reception and the 15:00 cut-off -----------------------------------------------------------


def test_reception_before_the_cutoff_starts_the_clock_at_once(cal):
    assert cal.reception_start(at(2025, 3, 4, 14, 59)) == at(2025, 3, 4, 14, 59)


@pytest.mark.parametrize("received", [at(2025, 3, 4, 15, 0), at(2025, 3, 4, 15, 1), at(2025, 3, 4, 17, 30)])
def test_reception_at_or_after_the_cutoff_starts_next_working_day_at_0700(cal, received):
    assert cal.reception_start(received) == at(2025, 3, 5, 7, 0)


def test_friday_afternoon_reception_starts_on_monday_morning(cal):
    assert cal.reception_start(at(2025, 3, 7, 16, 0)) == at(2025, 3, 10, 7, 0)


def test_friday_afternoon_before_a_makeup_saturday_starts_on_that_saturday(cal):
    assert cal.reception_start(at(2025, 4, 25, 16, 0)) == at(2025, 4, 26, 7, 0)


def test_reception_on_the_eve_of_tet_starts_after_tet(cal):
    assert cal.reception_start(at(2026, 2, 13, 15, 30)) == at(2026, 2, 23, 7, 0)
    assert cal.reception_start(at(2025, 1, 24, 16, 0)) == at(2025, 2, 3, 7, 0)


def test_reception_on_a_holiday_starts_on_the_next_working_day(cal):
    assert cal.reception_start(at(2026, 2, 17, 9, 0)) == at(2026, 2, 23, 7, 0)


def test_lunch_time_reception_starts_at_1330(cal):
    assert cal.reception_start(at(2025, 3, 4, 12, 0)) == at(2025, 3, 4, 13, 30)
    assert cal.reception_start(at(2025, 3, 4, 11, 30)) == at(2025, 3, 4, 13, 30)


def test_early_morning_reception_starts_at_0700_the_same_day(cal):
    assert cal.reception_start(at(2025, 3, 4, 6, 30)) == at(2025, 3, 4, 7, 0)


def test_reception_in_another_time_zone_is_judged_in_office_time(cal):
    started = cal.reception_start(datetime(2025, 3, 4, 7, 59, tzinfo=UTC))  # 14:59 in Hà Nội
    assert started == at(2025, 3, 4, 14, 59)
    assert started.tzinfo == VN
    assert cal.reception_start(datetime(2025, 3, 4, 8, 1, tzinfo=UTC)) == at(2025, 3, 5, 7, 0)


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.reception_start(datetime(2025, 3, 4, 9, 0))


def test_without_a_cutoff_an_afternoon_reception_starts_at_once():
    cal = WorkingCalendar(reception_cutoff=None)
    assert cal.reception_start(at(2025, 3, 4, 16, 0)) == at(2025, 3, 4, 16, 0)
    assert cal.reception_start(at(2025, 3, 4, 17, 0)) == at(2025, 3, 5, 7, 0)


# -- deadlines ---------------------------------------------------------------------------------


def test_one_working_day_from_monday_0800_is_tuesday_0800(cal):
    assert cal.add_working_days(at(2025, 3, 3, 8), 1) == at(2025, 3, 4, 8)


def test_a_deadline_ends_at_the_earliest_moment_so_a_full_day_from_0700_ends_at_1700(cal):
    assert cal.add_working_days(at(2025, 3, 3, 7), 1) == at(2025, 3, 3, 17)


@pytest.mark.parametrize(
    ("start", "allotted", "due"),
    [
        (at(2025, 3, 3, 7), 0.25, at(2025, 3, 3, 9)),
        (at(2025, 3, 3, 7), 0.5, at(2025, 3, 3, 11)),
        (at(2025, 3, 3, 10), 0.5, at(2025, 3, 3, 16)),  # 10:00→11:30, then 13:30→16:00
        (at(2025, 3, 3, 8), 1.5, at(2025, 3, 4, 14)),  # Tue 08:00→11:30, 13:30→14:00
        (at(2025, 3, 3, 8), Decimal("0.25"), at(2025, 3, 3, 10)),
        (at(2025, 3, 3, 12), 0.25, at(2025, 3, 3, 15, 30)),  # lunch does not count
    ],
)
def test_fractional_allotments_count_office_time(cal, start, allotted, due):
    assert cal.add_working_days(start, allotted) == due


def test_a_deadline_across_tet_2026_skips_the_holiday_week(cal):
    # Friday 13/2 10:00 + 3 days: Fri, then Tết 16-20/2 and the weekend, then Mon 23, Tue 24.
    assert cal.add_working_days(at(2026, 2, 13, 10), 3) == at(2026, 2, 25, 10)


def test_a_deadline_across_tet_2025_skips_the_holiday_week(cal):
    assert cal.add_working_days(at(2025, 1, 22, 7), 5) == at(2025, 2, 4, 17)
    assert cal.deadline(at(2025, 1, 24, 16), 1) == at(2025, 2, 3, 17)


def test_a_deadline_counts_the_makeup_saturday_and_skips_the_substituted_day(cal):
    # Fri 25/4 08:00 + 2: Sat 26/4 (làm bù) counts; 30/4, 1/5, 2/5 off; Mon 28/4 08:00.
    assert cal.add_working_days(at(2025, 4, 25, 8), 2) == at(2025, 4, 28, 8)
    assert cal.add_working_days(at(2025, 4, 29, 8), 1) == at(2025, 5, 5, 8)


def test_zero_working_days_is_the_start_itself(cal):
    assert cal.add_working_days(at(2025, 3, 8, 9), 0) == at(2025, 3, 8, 9)


def test_results_are_in_the_office_time_zone(cal):
    due = cal.add_working_days(datetime(2025, 3, 3, 3, 0, tzinfo=UTC), 0.5)  # 10:00 local
    assert due.tzinfo == VN
    assert due == at(2025, 3, 3, 16)


def test_one_working_day_before_a_due_date_after_tet(cal):
    assert cal.subtract_working_days(at(2026, 2, 23, 10), 1) == at(2026, 2, 13, 10)
    assert cal.subtract_working_days(at(2025, 3, 4, 17), 1) == at(2025, 3, 4, 7)


def test_adding_negative_days_subtracts(cal):
    assert cal.add_working_days(at(2026, 2, 23, 10), -1) == at(2026, 2, 13, 10)
    assert cal.subtract_working_days(at(2026, 2, 13, 10), -1) == at(2026, 2, 23, 10)


@pytest.mark.parametrize(
    "start", [at(2025, 3, 3, 7), at(2025, 3, 5, 12, 15), at(2026, 2, 13, 16, 59), at(2025, 4, 26, 9)]
)
@pytest.mark.parametrize("allotted", [0.25, 0.5, 1, 1.5, 3, 7.125, 20])
def test_working_days_between_is_the_inverse_of_add_working_days(cal, start, allotted):
    due = cal.add_working_days(start, allotted)
    assert cal.working_days_between(start, due) == pytest.approx(allotted, abs=1e-9)
    assert cal.working_days_between(due, start) == pytest.approx(-allotted, abs=1e-9)
    assert cal.subtract_working_days(due, allotted) >= start


def test_working_days_between_ignores_nights_weekends_and_holidays(cal):
    assert cal.working_days_between(at(2025, 3, 7, 17), at(2025, 3, 10, 7)) == 0
    assert cal.working_days_between(at(2026, 2, 13, 0), at(2026, 2, 23, 23)) == 2


def test_office_hours_are_wall_clock_times_in_a_zone_with_daylight_saving():
    paris = ZoneInfo("Europe/Paris")
    cal = WorkingCalendar(timezone="Europe/Paris", country=None)
    friday = datetime(2025, 3, 28, 16, tzinfo=paris)  # +01:00; summer time from Sunday 30/3
    due = cal.add_working_days(friday, 1)
    assert due == datetime(2025, 3, 31, 16, tzinfo=paris)
    assert due.utcoffset() == timedelta(hours=2)
    assert cal.working_days_between(friday, due) == 1


# -- overrides ---------------------------------------------------------------------------------


def test_an_extra_day_off_pushes_a_deadline():
    plain = WorkingCalendar()
    assert plain.add_working_days(at(2025, 3, 3, 8), 2) == at(2025, 3, 5, 8)
    closed = WorkingCalendar(extra_days_off={date(2025, 3, 4)})
    assert not closed.is_working_day(date(2025, 3, 4))
    assert closed.add_working_days(at(2025, 3, 3, 8), 2) == at(2025, 3, 6, 8)


def test_an_extra_working_saturday_pulls_a_deadline():
    plain = WorkingCalendar()
    assert plain.add_working_days(at(2025, 3, 7, 8), 1) == at(2025, 3, 10, 8)
    open_saturday = WorkingCalendar(extra_working_days={date(2025, 3, 8)})
    assert open_saturday.add_working_days(at(2025, 3, 7, 8), 1) == at(2025, 3, 8, 8)
    assert open_saturday.reception_start(at(2025, 3, 7, 16)) == at(2025, 3, 8, 7)


def test_overrides_win_over_the_holiday_package():
    cal = WorkingCalendar(extra_days_off={date(2025, 4, 26)}, extra_working_days={date(2026, 2, 20)})
    assert not cal.is_working_day(date(2025, 4, 26))
    assert cal.is_working_day(date(2026, 2, 20))


def test_a_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(extra_days_off={date(2025, 3, 4)}, extra_working_days={date(2025, 3, 4)})


def test_without_a_country_only_weekends_are_off():
    cal = WorkingCalendar(country=None)
    assert cal.is_working_day(date(2026, 2, 17))
    assert not cal.is_working_day(date(2026, 2, 21))
    assert cal.public_holidays(2026) == []


# -- verdicts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allotted", "used", "expected"),
    [
        (1, 0.5, "early"),
        (1, 1, "on_time"),
        (0.5, 0.5 + 30 / (8 * 3600), "on_time"),  # 30 s over: within the minute
        (0.5, 0.5 - 50 / (8 * 3600), "on_time"),
        (0.5, 0.5 + 2 / (8 * 60), "late"),  # 2 minutes over
        (Decimal("0.25"), Decimal("0.3"), "late"),
    ],
)
def test_step_verdict_compares_allotted_and_used_time(cal, allotted, used, expected):
    assert cal.verdict(allotted, used) == expected


def test_step_verdict_from_measured_office_time(cal):
    start = at(2025, 3, 3, 10)
    used = cal.working_days_between(start, at(2025, 3, 3, 16))
    assert cal.verdict(0.5, used) == "on_time"


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (at(2025, 3, 4, 16), "early"),
        (at(2025, 3, 5, 9), "on_time"),
        (at(2025, 3, 5, 17), "on_time"),
        (at(2025, 3, 5, 17, 1), "late"),
        (at(2025, 3, 6, 8), "late"),
    ],
)
def test_dossier_verdict_is_early_before_the_due_day_on_time_by_the_due_moment(cal, finished, expected):
    assert cal.dossier_verdict(at(2025, 3, 5, 17), finished) == expected


# -- settings parsing --------------------------------------------------------------------------


def test_office_hours_and_cutoff_parse_from_settings():
    assert parse_office_hours("07:00-11:30, 13:30-17:00") == [
        (time(7), time(11, 30)),
        (time(13, 30), time(17)),
    ]
    assert parse_time("15:00") == time(15)
    assert WorkingCalendar(office_periods=parse_office_hours("08:00-12:00")).day_length == timedelta(hours=4)


@pytest.mark.parametrize("text", ["07:00", "11:30-07:00", "07:00-12:00,11:00-17:00", "", "7h-9h"])
def test_bad_office_hours_are_refused(text):
    with pytest.raises(ValueError):
        WorkingCalendar(office_periods=parse_office_hours(text))
