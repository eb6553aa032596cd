"""The working calendar kept per process (calendar.operations.calendar): rebuilt when its overrides
change, read again from the database once CACHE_SECONDS have passed, and then not rebuilt when
nothing changed (building it takes a fifth of a second)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service import uow
from service.calendar import operations
from service.calendar.models import CalendarOverride
from service.extensions import db


def _expire(app, monkeypatch):
    """Move the cache's clock past CACHE_SECONDS."""
    later = operations.clock.monotonic() + operations.CACHE_SECONDS + 1
    monkeypatch.setattr(operations.clock, "monotonic", lambda: later)


def test_an_expired_calendar_whose_overrides_did_not_change_is_not_rebuilt(app, monkeypatch):
    with app.app_context():
        first = operations.calendar()
        _expire(app, monkeypatch)
        assert operations.calendar() is first


def test_an_override_written_by_another_process_is_seen_once_the_cache_expires(app, monkeypatch):
    day = date(2026, 12, 7)  # a Monday
    with app.app_context():
        first = operations.calendar()
        assert first.is_working_day(day)
        # another process: no invalidation reaches this one
        db.session.execute(sa.insert(CalendarOverride).values(day=day, kind="off", note="test"))
        db.session.commit()
        assert operations.calendar() is first  # within CACHE_SECONDS: the kept calendar
        _expire(app, monkeypatch)
        again = operations.calendar()
        assert again is not first
        assert not again.is_working_day(day)


def test_reading_the_overrides_again_sends_nothing_pending_ahead(app, monkeypatch):
    """Read from inside the step pipeline, the refresh does not flush what the step is about to
    write in its one statement (service/inserts.py)."""
    from service.identity.models import Group

    with app.app_context():
        operations.calendar()
        _expire(app, monkeypatch)
        group = Group(name="pending")
        db.session.add(group)
        operations.calendar()
        assert group in db.session.new  # still pending: not flushed by the read
        db.session.rollback()


def test_a_unit_that_wrote_an_override_reads_its_own(app):
    day = date(2026, 12, 7)  # a Monday
    with app.app_context(), uow.unit_of_work():
        assert operations.calendar().is_working_day(day)
        operations.add_override(day, "off", "test")
        assert not operations.calendar().is_working_day(day)
