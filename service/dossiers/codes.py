"""Dossier codes in the national format: <unit code>-<YYMMDD>-<NNNN>.

The sequence is per unit and reception day, kept in dossier_code_sequences and advanced in
the same transaction as the dossier it numbers: a rolled-back reception gives its number
back, concurrent receptions wait for each other on the row, so codes are unique and gapless.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import DossierCodeSequence


def _advance(unit_code: str, day: date) -> int | None:
    table = DossierCodeSequence.__table__
    statement = (
        sa.update(table)
        .where(table.c.unit_code == unit_code, table.c.day == day)
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    )
    return db.session.execute(statement).scalar()


def next_number(unit_code: str, day: date) -> int:
    """The next number of the day for a unit (row-locked; first of the day creates the row)."""
    number = _advance(unit_code, day)
    if number is not None:
        return number
    insert = sa.insert(DossierCodeSequence.__table__).values(unit_code=unit_code, day=day, last=1)
    if db.session.get_bind().dialect.name == "postgresql":
        try:
            with db.session.begin_nested():  # a concurrent first reception may win the insert
                db.session.execute(insert)
            return 1
        except IntegrityError:
            return _advance(unit_code, day)
    db.session.execute(insert)  # SQLite serializes writers: nobody can insert in between
    return 1


def format_code(unit_code: str, day: date, number: int) -> str:
    if number > 9999:
        return f"{unit_code}-{day:%y%m%d}-{number}"
    return f"{unit_code}-{day:%y%m%d}-{number:04d}"


def next_code(unit_code: str, day: date) -> str:
    return format_code(unit_code, day, next_number(unit_code, day))
