"""Column helpers shared by the domain models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# What utcnow() reads instead of the wall clock, when set. Only the test suite sets it (the `clock`
# fixture of tests/conftest.py), to move time for the whole process: the test's own code and the
# requests served by other threads (the live server) alike. The service never sets it.
clock_override: Callable[[], datetime] | None = None


def utcnow() -> datetime:
    """The service's one clock: now, timezone-aware, in UTC.

    Every moment the service records or compares with (created_at columns, due dates, leases,
    sessions, timers' `now`) comes from here, so a test that moves `clock_override` moves them all.
    """
    override = clock_override
    return override() if override is not None else datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def page_of(
    model, where, order_by, page: int, per_page: int, *, offset: int | None = None
) -> tuple[list, int]:
    """One page of `model` rows matching `where`, in `order_by` order, with the total count.
    offset: the first row's index, instead of the page's (Camunda's firstResult)."""
    from .extensions import db

    total = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(where)) or 0
    start = (page - 1) * per_page if offset is None else offset
    query = sa.select(model).where(where).order_by(*order_by).offset(start).limit(per_page)
    return list(db.session.scalars(query)), total
