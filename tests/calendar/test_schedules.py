"""The announced schedules: the government's days off, swapped days and make-up days as data with
their sources, winning over the holidays package's guess; the package only suggests days for
years without a schedule, and those are provisional. Any day can be explained."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from service.calendar import schedules
from service.calendar.workcal import WorkingCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar(schedules=schedules.load(None, "VN"))


def test_every_shipped_schedule_is_valid():
    found = schedules.load(None, "VN")
    assert 2026 in found
    for schedule in found.values():
        assert all(entry.source for entry in schedule.days.values())


def test_the_2026_new_year_swap_the_package_missed_is_kept(cal):
    assert not cal.is_working_day(date(2026, 1, 2))  # Friday, swapped
    assert cal.is_working_day(date(2026, 1, 10))  # Saturday, worked instead
    made_up = cal.explain(date(2026, 1, 10))
    assert made_up.basis == "schedule" and made_up.working
    assert made_up.source.startswith("Công văn số 12729/VPCP-KGVX ngày 25/12/2025")
    # a deadline counts the make-up Saturday: Friday 9/1 08:00 + 1 working day is Saturday 10/1
    start = datetime(2026, 1, 9, 8, tzinfo=TZ)
    assert cal.add_working_days(start, 1) == datetime(2026, 1, 10, 8, tzinfo=TZ)


def test_a_day_the_package_lists_without_a_legal_basis_is_a_working_day(cal):
    day = cal.explain(date(2026, 11, 24))  # Tuesday: the package's "Vietnam Cultural Day"
    assert day.working and day.basis == "weekday" and not day.provisional


def test_tet_2026_is_off_with_its_announcement(cal):
    for offset in range(16, 21):
        info = cal.explain(date(2026, 2, offset))
        assert not info.working and info.basis == "schedule" and "9441/TB-BNV" in info.source
    assert cal.explain(date(2026, 2, 21)).basis == "weekend"
    assert cal.is_working_day(date(2026, 2, 23))


def test_a_year_without_a_schedule_uses_the_package_as_provisional(cal):
    day = cal.explain(date(2027, 2, 8))  # the package's Tết 2027
    assert not day.working and day.basis == "package" and day.provisional and day.name
    assert all(h.provisional for h in cal.public_holidays(2027))
    assert not any(h.provisional for h in cal.public_holidays(2026))


def test_an_override_wins_over_the_schedule_and_says_so():
    cal = WorkingCalendar(
        schedules=schedules.load(None, "VN"),
        extra_working_days={date(2026, 1, 2)},
        override_notes={date(2026, 1, 2): "QĐ 15/QĐ-UBND: trực tiếp nhận hồ sơ"},
    )
    info = cal.explain(date(2026, 1, 2))
    assert info.working and info.basis == "override" and info.source == "QĐ 15/QĐ-UBND: trực tiếp nhận hồ sơ"


def _file(**changes) -> str:
    data = {
        "country": "VN",
        "year": 2030,
        "sources": {"A": "Thông báo số 1/TB-BNV ngày 1/10/2029"},
        "days": [{"date": "2030-01-01", "kind": "off", "name": "Tết Dương lịch", "source": "A"}],
    }
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"days": [{"date": "2031-01-01", "kind": "off", "name": "x", "source": "A"}]}, "not in 2030"),
        ({"days": [{"date": "2030-01-01", "kind": "off", "name": "x", "source": "B"}]}, "not in 'sources'"),
        ({"days": [{"date": "2030-01-05", "kind": "off", "name": "x", "source": "A"}]}, "weekend day off"),
        (
            {"days": [{"date": "2030-01-02", "kind": "working", "name": "x", "source": "A"}]},
            "working weekday",
        ),
        ({"days": [{"date": "2030-01-01", "kind": "holiday", "name": "x", "source": "A"}]}, "days/0/kind"),
        ({"sources": {}}, "sources"),
        (
            {
                "days": [
                    {"date": "2030-01-01", "kind": "off", "name": "x", "source": "A"},
                    {"date": "2030-01-01", "kind": "off", "name": "y", "source": "A"},
                ]
            },
            "listed twice",
        ),
    ],
)
def test_a_broken_schedule_is_refused_naming_the_file_and_the_problem(changes, message):
    with pytest.raises(schedules.ScheduleError) as refused:
        schedules.parse(_file(**changes), "vn-2030.json")
    assert "vn-2030.json" in str(refused.value) and message in str(refused.value)


def test_a_folder_of_schedules_replaces_the_shipped_ones(tmp_path):
    (tmp_path / "vn-2030.json").write_text(_file(), encoding="utf-8")
    (tmp_path / "la-2030.json").write_text(_file(country="LA"), encoding="utf-8")
    found = schedules.load(tmp_path, "VN")
    assert list(found) == [2030]
    cal = WorkingCalendar(schedules=found)
    assert not cal.is_working_day(date(2030, 1, 1)) and cal.explain(date(2030, 1, 1)).basis == "schedule"


def test_a_broken_schedule_folder_stops_the_service_at_start(tmp_path):
    from service import create_app

    (tmp_path / "vn-2030.json").write_text(_file(year=2031), encoding="utf-8")
    with pytest.raises(schedules.ScheduleError, match=r"vn-2030\.json"):
        create_app({"TESTING": True, "MOTCUA_CALENDAR_SCHEDULES": str(tmp_path), "SECRET_KEY": "x" * 32})
