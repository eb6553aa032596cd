"""Dossier codes in the national format: <unit code>-<YYMMDD>-<NNNN>.

The sequence is per unit and reception day, kept in dossier_code_sequences and advanced in
the same transaction as the dossier it numbers (one upsert: the first of the day inserts the
row): a rolled-back reception gives its number back, concurrent receptions wait for each other on
the row, so codes are unique and gapless.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import DossierCodeSequence


def next_number(unit_code: str, day: date) -> int:
    """The next number of the day for a unit: one upsert that creates the day's row with 1 or adds
    1 to it, row-locked until the transaction ends (a concurrent reception waits for it)."""
    table = DossierCodeSequence.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = (
        insert.values(unit_code=unit_code, day=day, last=1)
        .on_conflict_do_update(
            index_elements=[table.c.unit_code, table.c.day], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )
    return db.session.execute(statement).scalar_one()


def format_code(unit_code: str, day: date, number: int) -> str:
    if number > 9999:
        return f"{unit_code}-{day:%y%m%d}-{number}"
    return f"{unit_code}-{day:%y%m%d}-{number:04d}"


def next_code(unit_code: str, day: date) -> str:
    return format_code(unit_code, day, next_number(unit_code, day))
