"""The unit of work: one transaction, committed once, and what follows its end.

A request is one unit (MotcuaFlask.dispatch_request); a worker's job or a CLI command opens its
own with `unit_of_work()`. While it is open, code may say what must happen once it ends:

- `on_commit(fn)`: run only if it committed (service/outbox publishes its events this way);
- `after(fn)`: run when the unit ends, whether it committed or rolled back (a cache to forget);
- `on_rollback(fn)`: run only if it rolled back (a file written for a row that was not kept);
- `mark(name)` / `marked(name)`: what the transaction touched (the calendar bypasses its cache
  in a unit that changed an override, so nobody else sees the change before the commit);
- `remember(key, load)` / `forget(key)`: a value read once per unit (the org units, read for the
  engine's scoped tasks and again for a dossier's step), forgotten by the code that changes it;
- `keep(row)`: hold a row read in the unit until it ends (the session's identity map holds rows
  only weakly; a row kept is found again by `session.get` without a query, e.g. a dossier read
  for a completion's inputs and again by the step pipeline).

A block that decides to keep nothing calls `abort()`: the unit then rolls back instead of
committing when the block ends.

The unit is found through a context variable (each request and each worker thread has its own),
not through the database session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from .extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class UnitOfWork:
    committed: list[Callable[[], None]] = field(default_factory=list)
    ended: list[Callable[[], None]] = field(default_factory=list)
    rolled_back: list[Callable[[], None]] = field(default_factory=list)
    marks: set[str] = field(default_factory=set)
    kept: list[object] = field(default_factory=list)
    memo: dict[str, object] = field(default_factory=dict)
    aborted: bool = False
    # who the unit acts for, when a request authenticated someone (identity.operations.Principal):
    # what was read with the principal, in the same transaction, serves the unit (units' version)
    actor: object = None

    def on_commit(self, fn: Callable[[], None]) -> None:
        self.committed.append(fn)

    def after(self, fn: Callable[[], None]) -> None:
        self.ended.append(fn)

    def on_rollback(self, fn: Callable[[], None]) -> None:
        self.rolled_back.append(fn)

    def mark(self, name: str) -> None:
        self.marks.add(name)

    def marked(self, name: str) -> bool:
        return name in self.marks

    def keep(self, row: object) -> None:
        self.kept.append(row)

    def abort(self) -> None:
        """Keep nothing of this unit: roll back instead of committing when it ends."""
        self.aborted = True


_current: ContextVar[UnitOfWork | None] = ContextVar("motcua_unit_of_work", default=None)


def current() -> UnitOfWork | None:
    """The unit of work open in this context, if any."""
    return _current.get()


def remember(key: str, load: Callable[[], T]) -> T:
    """`load()`, once per unit of work under `key` (every time without a unit)."""
    unit = _current.get()
    if unit is None:
        return load()
    if key not in unit.memo:
        unit.memo[key] = load()
    return unit.memo[key]  # type: ignore[return-value]


def forget(key: str) -> None:
    """Drop what the open unit remembers under `key` (its value changed)."""
    unit = _current.get()
    if unit is not None:
        unit.memo.pop(key, None)


def keep(row: object) -> None:
    """Hold `row` until the open unit ends (nothing without a unit)."""
    unit = _current.get()
    if unit is not None:
        unit.keep(row)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """Open a unit: commit when the block ends normally, roll back if it raises, then run what
    the unit asked for (publish its events after a commit; compensate after a rollback)."""
    unit, token = begin()
    try:
        yield unit
        if unit.aborted:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        end(unit, token, committed=False)
        raise
    end(unit, token, committed=not unit.aborted)


def begin(actor: object = None) -> tuple[UnitOfWork, object]:
    """Open a unit whose transaction the caller ends itself (a request: MotcuaFlask, with the
    principal it authenticated); close it with end() once it committed or rolled back."""
    unit = UnitOfWork(actor=actor)
    return unit, _current.set(unit)


def end(unit: UnitOfWork, token, *, committed: bool) -> None:
    """Close a unit opened with begin(), then run what it asked for."""
    _current.reset(token)
    _finish(unit, committed=committed)


def _finish(unit: UnitOfWork, *, committed: bool) -> None:
    callbacks = list(unit.ended) + (list(unit.committed) if committed else list(unit.rolled_back))
    for fn in callbacks:
        _safely(fn)


def _safely(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:
        log.exception("a unit of work's follow-up failed")


def discard() -> None:
    """Drop what the transaction wrote so far and go on in the same unit (a page showing a refused
    form again after an operation failed half-way); the unit still ends with its one commit.

    What the dropped part asked for goes with it: its compensations run now (a file written for a
    row that was not kept), what it would have done after a commit never runs (an event of a row
    rolled back is never published), and what it read once for the unit is read again (it may
    have read its own writes). What it asked for at the unit's end, whatever the outcome (a cache
    to forget), still runs then."""
    db.session.rollback()
    unit = _current.get()
    if unit is None:
        return
    compensations, unit.rolled_back, unit.committed = list(unit.rolled_back), [], []
    unit.memo.clear()
    unit.kept.clear()
    for fn in compensations:
        _safely(fn)


@contextmanager
def opened() -> Iterator[UnitOfWork]:
    """For code that may run inside a unit or alone (tests, scripts): the open unit, or a new one."""
    unit = current()
    if unit is not None:
        yield unit
    else:
        with unit_of_work() as unit:
            yield unit
