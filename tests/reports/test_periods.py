"""The periods reports are asked for: bounds, labels, neighbours and bad input."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.calendar import periods
from service.calendar.periods import PeriodError

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*parts):
    return datetime(*parts, tzinfo=HCM)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("day:2026-11-20", at(2026, 11, 20), at(2026, 11, 21), "Ngày 20/11/2026"),
        ("week:2026-W48", at(2026, 11, 23), at(2026, 11, 30), "Tuần 48 năm 2026"),
        ("week:2026-W01", at(2025, 12, 29), at(2026, 1, 5), "Tuần 1 năm 2026"),
        ("month:2026-12", at(2026, 12, 1), at(2027, 1, 1), "Tháng 12/2026"),
        ("month:2026-02", at(2026, 2, 1), at(2026, 3, 1), "Tháng 02/2026"),
        (
            "reporting-month:2026-11",
            at(2026, 10, 21),
            at(2026, 11, 21),
            "Kỳ báo cáo tháng 11/2026 (21/10 - 20/11)",
        ),
        (
            "reporting-month:2026-01",
            at(2025, 12, 21),
            at(2026, 1, 21),
            "Kỳ báo cáo tháng 01/2026 (21/12 - 20/01)",
        ),
        ("quarter:2026-Q4", at(2026, 10, 1), at(2027, 1, 1), "Quý 4 năm 2026"),
        (
            "reporting-quarter:2026-Q4",
            at(2026, 9, 15),
            at(2026, 12, 15),
            "Kỳ báo cáo quý 4 năm 2026 (15/09/2026 - 14/12/2026)",
        ),
        (
            "reporting-quarter:2027-Q1",
            at(2026, 12, 15),
            at(2027, 3, 15),
            "Kỳ báo cáo quý 1 năm 2027 (15/12/2026 - 14/03/2027)",
        ),
        ("year:2026", at(2026, 1, 1), at(2027, 1, 1), "Năm 2026"),
    ],
)
def test_a_period_has_its_bounds_in_office_time_and_its_vietnamese_name(text, start, end, label):
    period = periods.parse(text, HCM)
    assert (period.start, period.end, period.label, period.key) == (start, end, label, text)


def test_the_reporting_month_takes_data_from_the_21st_into_the_next_report():
    assert periods.containing("reporting-month", at(2026, 11, 20, 23, 59)).key == "reporting-month:2026-11"
    assert periods.containing("reporting-month", at(2026, 11, 21)).key == "reporting-month:2026-12"
    assert periods.containing("reporting-month", at(2026, 12, 25)).key == "reporting-month:2027-01"


def test_the_reporting_quarter_takes_data_from_the_15th_into_the_next_month_s_quarter():
    """NĐ 09/2019/NĐ-CP Art. 12: a quarterly report's data run from the 15th of the month before
    the quarter to the 14th of its last month (docs/time.md, "Reporting periods")."""
    containing = periods.containing
    assert containing("reporting-quarter", at(2026, 12, 14, 23, 59)).key == "reporting-quarter:2026-Q4"
    assert containing("reporting-quarter", at(2026, 12, 15)).key == "reporting-quarter:2027-Q1"
    assert containing("reporting-quarter", at(2027, 1, 20)).key == "reporting-quarter:2027-Q1"
    assert containing("reporting-quarter", at(2027, 3, 15)).key == "reporting-quarter:2027-Q2"
    assert containing("reporting-quarter", at(2026, 9, 14)).key == "reporting-quarter:2026-Q3"
    assert containing("reporting-quarter", at(2026, 9, 15)).key == "reporting-quarter:2026-Q4"


@pytest.mark.parametrize("kind", periods.KINDS)
def test_neighbours_touch_and_containing_finds_the_period(kind):
    period = periods.containing(kind, at(2026, 3, 31, 16, 0))
    assert period.contains(at(2026, 3, 31, 16, 0))
    assert period.previous().end == period.start
    assert period.next().start == period.end
    assert not period.contains(period.end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-11",
        "month:2026-13",
        "month:26-11",
        "quarter:2026-Q5",
        "reporting-quarter:2026-Q0",
        "reporting-quarter:2026-11",
        "week:2026-W54",
        "day:2026-02-30",
        "decade:2020",
    ],
)
def test_a_bad_period_is_refused_with_a_reason(text):
    with pytest.raises(PeriodError) as error:
        periods.parse(text, HCM)
    assert str(error.value)
