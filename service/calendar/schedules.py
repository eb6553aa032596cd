"""The announced working-day schedules: one JSON file per country and year in a folder
(`calendar/schedules/` ships the years announced so far; MOTCUA_CALENDAR_SCHEDULES names another
folder). Each file lists the days that differ from Monday-Friday working (days off, swapped days,
make-up Saturdays), each with the document it comes from, and is checked against
`schedule.schema.json` when it is read: a broken file stops the service at start, it never
silently becomes "no holidays".
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from .workcal import Schedule, ScheduledDay

PACKAGED = Path(__file__).resolve().parent / "schedules"
_SCHEMA = json.loads((PACKAGED / "schedule.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = Draft202012Validator(_SCHEMA, format_checker=FormatChecker())


class ScheduleError(ValueError):
    """A schedule file that cannot be used (the message names the file and the problem)."""


def parse(text: str, name: str = "schedule") -> tuple[str, Schedule, dict[str, str]]:
    """(country, the schedule, its sources by key) from a file's text; ScheduleError if invalid."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"{name}: not JSON ({exc}).") from None
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "(top)"
        raise ScheduleError(f"{name}: {where}: {errors[0].message}")
    sources, year, days = data["sources"], data["year"], {}
    for entry in data["days"]:
        day = date.fromisoformat(entry["date"])
        if day.year != year:
            raise ScheduleError(f"{name}: {day} is not in {year}.")
        if day in days:
            raise ScheduleError(f"{name}: {day} is listed twice.")
        if entry["source"] not in sources:
            raise ScheduleError(f"{name}: {day} names the source {entry['source']!r}, not in 'sources'.")
        weekend = day.weekday() >= 5
        if (entry["kind"] == "working") != weekend:
            what = "a working weekday" if not weekend else "a weekend day off"
            raise ScheduleError(f"{name}: {day} is {what}; list only days that differ from Mon-Fri.")
        days[day] = ScheduledDay(day, entry["kind"], entry["name"], sources[entry["source"]])
    return data["country"], Schedule(year, days), sources


def load(folder: str | Path | None, country: str | None) -> dict[int, Schedule]:
    """The schedules of a country in a folder, by year (none for an unknown or empty folder)."""
    if not country:
        return {}
    path = Path(folder) if folder else PACKAGED
    found: dict[int, Schedule] = {}
    for file in sorted(path.glob("*.json")):
        if file.name == "schedule.schema.json":
            continue
        file_country, schedule, _sources = parse(file.read_text(encoding="utf-8"), file.name)
        if file_country != country:
            continue
        if schedule.year in found:
            raise ScheduleError(f"{file.name}: a second schedule for {country} {schedule.year}.")
        found[schedule.year] = schedule
    return found
