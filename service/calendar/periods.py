"""The periods reports are asked for, as the province counts them (DOMAIN.md §6).

A period is written `<kind>:<value>` in URLs and files:

| kind | value | from (00:00 office time) | to (exclusive) |
|---|---|---|---|
| `day` | `2026-11-20` | that day | the next day |
| `week` | `2026-W48` | the ISO week's Monday | the next Monday |
| `month` | `2026-11` | the 1st | the 1st of the next month |
| `reporting-month` | `2026-11` | the 21st of the month before | the 21st of the month |
| `quarter` | `2026-Q4` | the quarter's first day | the next quarter's first day |
| `reporting-quarter` | `2026-Q4` | the 15th of the month before | the 15th of its last month |
| `year` | `2026` | 1 January | 1 January of the next year |

The reporting month holds the data of the 21st to the 20th (QĐ 242 §10.3). The reporting quarter
holds the data of the 15th of the month before the quarter to the 14th of its last month: the
cut-off of NĐ 09/2019/NĐ-CP Art. 12 for quarterly reports, which QĐ 242 names for its quarterly
reports, due by the 17th / 19th of the quarter's last month (docs/time.md, "Reporting periods").
Moments are in the offices' time zone (`MOTCUA_TIMEZONE`); a period is half-open [start, end).
Pure: no database, no Flask (the caller passes the zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("day", "week", "month", "reporting-month", "quarter", "reporting-quarter", "year")

_PATTERNS = {
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "reporting-month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "reporting-quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}

_LABELS_VI = {
    "day": "Ngày {d:%d/%m/%Y}",
    "week": "Tuần {w} năm {y}",
    "month": "Tháng {m:02d}/{y}",
    "reporting-month": "Kỳ báo cáo tháng {m:02d}/{y} (21/{pm:02d} - 20/{m:02d})",
    "quarter": "Quý {q} năm {y}",
    "reporting-quarter": "Kỳ báo cáo quý {q} năm {y} ({first:%d/%m/%Y} - {last:%d/%m/%Y})",
    "year": "Năm {y}",
}


class PeriodError(ValueError):
    """A period that is not written as the table above says, or does not exist."""


@dataclass(frozen=True)
class Period:
    kind: str
    value: str
    start: datetime  # aware, office time
    end: datetime  # aware, office time, exclusive

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def label(self) -> str:
        """The period's name in Vietnamese, as the reports print it."""
        first = self.start.date()
        last = (self.end - timedelta(days=1)).date()
        if self.kind == "day":
            return _LABELS_VI["day"].format(d=first)
        if self.kind == "week":
            year, week, _ = first.isocalendar()
            return _LABELS_VI["week"].format(w=week, y=year)
        if self.kind == "month":
            return _LABELS_VI["month"].format(m=first.month, y=first.year)
        if self.kind == "reporting-month":
            return _LABELS_VI["reporting-month"].format(m=last.month, y=last.year, pm=first.month)
        if self.kind == "quarter":
            return _LABELS_VI["quarter"].format(q=(first.month - 1) // 3 + 1, y=first.year)
        if self.kind == "reporting-quarter":
            return _LABELS_VI["reporting-quarter"].format(
                q=(last.month - 1) // 3 + 1, y=last.year, first=first, last=last
            )
        return _LABELS_VI["year"].format(y=first.year)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return containing(self.kind, self.start - timedelta(seconds=1))

    def next(self) -> Period:
        return containing(self.kind, self.end)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def parse(text: str, zone: ZoneInfo) -> Period:
    """`month:2026-11` → the period; PeriodError naming what is wrong otherwise."""
    kind, sep, value = (text or "").partition(":")
    if not sep or kind not in _PATTERNS:
        raise PeriodError(
            f"a period is written <kind>:<value> with kind one of {', '.join(KINDS)}; got {text!r}"
        )
    match = _PATTERNS[kind].match(value)
    if match is None:
        raise PeriodError(f"{value!r} is not a {kind} (for example {_EXAMPLES[kind]})")
    numbers = [int(part) for part in match.groups()]
    try:
        first, after = _bounds(kind, numbers)
    except ValueError as error:
        raise PeriodError(f"{value!r} is not a {kind}: {error}") from None
    return Period(kind, value, _midnight(first, zone), _midnight(after, zone))


def containing(kind: str, moment: datetime) -> Period:
    """The period of a kind that holds a moment (aware), in the moment's zone."""
    zone = moment.tzinfo
    if not isinstance(zone, ZoneInfo):
        raise PeriodError("the moment must carry its ZoneInfo")
    day = moment.date()
    if kind == "day":
        value = day.isoformat()
    elif kind == "week":
        year, week, _ = day.isocalendar()
        value = f"{year:04d}-W{week:02d}"
    elif kind == "month":
        value = f"{day.year:04d}-{day.month:02d}"
    elif kind == "reporting-month":
        # Data from the 21st belong to the next month's report.
        month = day.replace(day=1) + timedelta(days=32) if day.day >= 21 else day
        value = f"{month.year:04d}-{month.month:02d}"
    elif kind == "quarter":
        value = f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    elif kind == "reporting-quarter":
        # Data from the 15th belong to the next month's quarter (15/3 opens the second quarter's).
        month = day.replace(day=1) + timedelta(days=32) if day.day >= 15 else day
        value = f"{month.year:04d}-Q{(month.month - 1) // 3 + 1}"
    elif kind == "year":
        value = f"{day.year:04d}"
    else:
        raise PeriodError(f"unknown period kind {kind!r}")
    return parse(f"{kind}:{value}", zone)


def _bounds(kind: str, numbers: list[int]) -> tuple[date, date]:
    if kind == "day":
        first = date(*numbers)
        return first, first + timedelta(days=1)
    if kind == "week":
        year, week = numbers
        first = date.fromisocalendar(year, week, 1)
        return first, first + timedelta(days=7)
    if kind == "month":
        first = date(numbers[0], numbers[1], 1)
        return first, _add_months(first, 1)
    if kind == "reporting-month":
        end_month = date(numbers[0], numbers[1], 1)
        return _add_months(end_month, -1).replace(day=21), end_month.replace(day=21)
    if kind == "quarter":
        first = date(numbers[0], 3 * (numbers[1] - 1) + 1, 1)
        return first, _add_months(first, 3)
    if kind == "reporting-quarter":
        first = date(numbers[0], 3 * (numbers[1] - 1) + 1, 1)
        return _add_months(first, -1).replace(day=15), _add_months(first, 2).replace(day=15)
    (year,) = numbers
    return date(year, 1, 1), date(year + 1, 1, 1)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


_EXAMPLES = {
    "day": "2026-11-20",
    "week": "2026-W48",
    "month": "2026-11",
    "reporting-month": "2026-11",
    "quarter": "2026-Q4",
    "reporting-quarter": "2026-Q4",
    "year": "2026",
}
