"""Dossier codes in the national format: <unit code>-<YYMMDD>-<NNNN>, and the dossier's line in
its unit's register (Sổ theo dõi hồ sơ, Mẫu 06): book = the unit's year, number = its rank in it.

The sequence is per unit and reception day, kept in dossier_code_sequences and advanced in
the same transaction as the dossier it numbers (the register's lines likewise, per unit and
book, in dossier_register_sequences) (one upsert: the first of the day inserts the
row): a rolled-back reception gives its number back, concurrent receptions wait for each other on
the row, so codes are unique and gapless.
"""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import DossierCodeSequence, DossierRegisterSequence


def _advance(table, **key) -> int:
    """One upsert that creates the key's row with 1 or adds 1 to it, returning the number,
    row-locked until the transaction ends (a concurrent reception waits for it)."""
    statement = _upsert(db.session.get_bind().dialect.name, table, tuple(key))
    return db.session.execute(statement, key).scalar_one()


@functools.lru_cache(maxsize=8)
def _upsert(dialect: str, table, names: tuple[str, ...]):
    """_advance's statement for these key columns (bound parameters named after them), built once:
    an upsert's compiled form is not found in SQLAlchemy's cache when built afresh (~1 ms)."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return (
        insert.values(**{name: sa.bindparam(name, type_=table.c[name].type) for name in names}, last=1)
        .on_conflict_do_update(
            index_elements=[table.c[name] for name in names], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )


def next_number(unit_code: str, day: date) -> int:
    """The next number of the day for a unit."""
    return _advance(DossierCodeSequence.__table__, unit_code=unit_code, day=day)


def next_register_line(unit_code: str, day: date) -> tuple[str, int]:
    """The register book (the year of `day`, the office's reception day) and the next line in it."""
    book = str(day.year)
    return book, _advance(DossierRegisterSequence.__table__, unit_code=unit_code, book=book)


def format_code(unit_code: str, day: date, number: int) -> str:
    if number > 9999:
        return f"{unit_code}-{day:%y%m%d}-{number}"
    return f"{unit_code}-{day:%y%m%d}-{number:04d}"


def next_code(unit_code: str, day: date) -> str:
    return format_code(unit_code, day, next_number(unit_code, day))
