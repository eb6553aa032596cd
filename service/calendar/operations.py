"""The office's working calendar: the configuration plus the administrator's overrides.

calendar() is cached per app and process. Writing an override bumps the cache version and marks
the unit of work (service/uow.py): while it is open the cache is bypassed (so the writer sees its
own change and nobody else sees it before the commit), and its end, commit or rollback, bumps the
version again. Another process's change is seen within CACHE_SECONDS.
"""

from __future__ import annotations

import functools
import time as clock
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask import Flask, current_app

from .. import uow
from ..audit.operations import fact, record
from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from . import schedules
from .models import OVERRIDE_KINDS, CalendarOverride
from .workcal import MAX_SPAN_DAYS, WorkingCalendar, parse_office_hours, parse_time

CACHE_SECONDS = 60.0
_EXTENSION = "motcua-calendar"
_MARK = "calendar"


def build(config, overrides: Iterable[tuple] = ()) -> WorkingCalendar:
    """A WorkingCalendar from the MOTCUA_* settings, the announced schedules and (day, kind[,
    note]) overrides."""
    overrides = list(overrides)
    cutoff = (config.get("MOTCUA_RECEPTION_CUTOFF") or "").strip()
    country = config.get("MOTCUA_HOLIDAY_COUNTRY") or None
    return WorkingCalendar(
        timezone=config["MOTCUA_TIMEZONE"],
        office_periods=parse_office_hours(config["MOTCUA_OFFICE_HOURS"]),
        reception_cutoff=parse_time(cutoff) if cutoff else None,
        country=country,
        extra_days_off={row[0] for row in overrides if row[1] == "off"},
        extra_working_days={row[0] for row in overrides if row[1] == "working"},
        override_notes={row[0]: row[2] if len(row) > 2 else None for row in overrides},
        max_span_days=config.get("MOTCUA_MAX_CALENDAR_DAYS", MAX_SPAN_DAYS),
        schedules=_schedules(config.get("MOTCUA_CALENDAR_SCHEDULES") or None, country),
    )


@functools.lru_cache(maxsize=8)
def _schedules(folder: str | None, country: str | None):
    """The announced schedules (read once per process and folder: they change with a release)."""
    return schedules.load(folder, country)


def init_app(app: Flask) -> None:
    """Read the announced schedules once at start: a broken file (schedules.ScheduleError) stops
    the service here rather than when the first deadline is counted."""
    _schedules(
        app.config.get("MOTCUA_CALENDAR_SCHEDULES") or None, app.config.get("MOTCUA_HOLIDAY_COUNTRY") or None
    )


def _state(app: Flask) -> dict:
    return app.extensions.setdefault(_EXTENSION, {"version": 0, "built": None})


def invalidate(app: Flask | None = None) -> None:
    """Forget the cached calendar (of this process); the next calendar() call rebuilds it."""
    _state(app or current_app._get_current_object())["version"] += 1


def calendar() -> WorkingCalendar:
    """The working calendar of the current app, with every override (one query when stale)."""
    app = current_app._get_current_object()
    state = _state(app)
    version, built, now = state["version"], state["built"], clock.monotonic()
    unit = uow.current()
    dirty = unit is not None and unit.marked(_MARK)
    if not dirty and built is not None and built[0] == version and now - built[1] < CACHE_SECONDS:
        return built[2]
    query = sa.select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.note).order_by(
        CalendarOverride.day
    )
    if dirty:  # this unit's own overrides, flushed first
        rows = db.session.execute(query).all()
    else:
        # No autoflush: the committed overrides do not depend on what a step is about to write
        # (read inside the step pipeline, a flush would send the step's changes ahead of its one
        # batched statement).
        with db.session.no_autoflush:
            rows = db.session.execute(query).all()
    overrides = tuple((row.day, row.kind, row.note) for row in rows)
    if built is not None and built[0] == version and built[3] == overrides:
        working_calendar = built[2]  # the overrides did not change: no rebuild (~0.2 s)
    else:
        working_calendar = build(app.config, overrides)
    if not dirty:
        state["built"] = (version, now, working_calendar, overrides)
    return working_calendar


def today() -> date:
    """Today in the office's time zone, by the service's clock."""
    return utcnow().astimezone(calendar().tz).date()


def _changed() -> None:
    """An override was written: invalidate now, bypass the cache until the unit of work ends, and
    invalidate again then (committed or not)."""
    app = current_app._get_current_object()
    invalidate(app)
    unit = uow.current()
    if unit is not None and not unit.marked(_MARK):
        unit.mark(_MARK)
        unit.after(lambda: invalidate(app))


def get_override(day: date) -> CalendarOverride | None:
    return db.session.scalar(sa.select(CalendarOverride).where(CalendarOverride.day == day))


def list_overrides(year: int | None = None) -> list[CalendarOverride]:
    """Overrides by day, all of them or those of one year."""
    query = sa.select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        query = query.where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
    return list(db.session.scalars(query))


def add_override(day: date, kind: str, note: str | None = None, actor=None) -> CalendarOverride:
    """Make a day off ('off') or a working day ('working'); 409 if it already has an override."""
    if kind not in OVERRIDE_KINDS:
        raise Unprocessable(f"An override is one of {', '.join(OVERRIDE_KINDS)}, not {kind!r}.")
    existing = get_override(day)
    if existing is not None:
        raise Conflict(
            f"{day.isoformat()} already has an override ({existing.kind}); delete it first.",
            details={"day": day.isoformat(), "kind": existing.kind},
        )
    now = utcnow()
    override = CalendarOverride(
        day=day, kind=kind, note=note, created_at=now, created_by_id=actor.id if actor is not None else None
    )
    db.session.add(override)
    db.session.flush()
    data = {"day": day.isoformat(), "kind": kind, "note": note}
    record([fact("calendar_override_added", at=now, actor=actor, data=data)])
    _changed()
    return override


def remove_override(day: date, actor=None) -> None:
    """Delete the override of a day; 404 if it has none."""
    override = get_override(day)
    if override is None:
        raise NotFound(f"{day.isoformat()} has no calendar override.")
    data = {"day": day.isoformat(), "kind": override.kind, "note": override.note}
    db.session.delete(override)
    db.session.flush()
    record([fact("calendar_override_removed", at=utcnow(), actor=actor, data=data)])
    _changed()
