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

from ..extensions import db
from .models import DossierCodeSequence, DossierRegisterSequence


def _advance(table, **key) -> int:
    """One upsert that creates the key's row with 1 or adds 1 to it, returning the number,
    row-locked until the transaction ends (a concurrent reception waits for it)."""
    statement = _upsert(db.session.get_bind().dialect, table, tuple(key))
    return db.session.execute(statement, key).scalar_one()


@functools.lru_cache(maxsize=8)
def _upsert(dialect, table, names: tuple[str, ...]):
    """_advance's statement for these key columns (bound parameters named after them), as text
    built once per dialect: SQLAlchemy cannot cache an INSERT ... ON CONFLICT built with its
    constructs (it has no cache key) and compiled one at every numbering (~1 ms); a text
    statement's compiled form is kept. The syntax is both PostgreSQL's and SQLite's."""
    quote = dialect.identifier_preparer.quote
    name, keys = quote(table.name), ", ".join(quote(key) for key in names)
    last = quote("last")
    values = ", ".join(f":{key}" for key in names)
    # identifiers from the model's table, quoted by the dialect; every value is a bound parameter
    sql = (
        f"INSERT INTO {name} ({keys}, {last}) VALUES ({values}, 1) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET {last} = {name}.{last} + 1 RETURNING {last}"
    )
    bound = [sa.bindparam(key, type_=table.c[key].type) for key in names]
    return sa.text(sql).bindparams(*bound).columns(table.c.last)


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
