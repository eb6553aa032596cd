"""Dossier codes: national format, unique and gapless under concurrent receptions."""

import threading
from datetime import date

from service.dossiers import codes
from service.dossiers.models import DossierCodeSequence
from service.extensions import db
from tests.support import statements

DAY = date(2026, 11, 26)
UNIT = "000.17.22.H56"


def test_code_has_the_national_format(app):
    with app.app_context():
        first = codes.next_code(UNIT, DAY)
        second = codes.next_code(UNIT, DAY)
        other_day = codes.next_code(UNIT, date(2026, 11, 27))
        other_unit = codes.next_code("000.00.17.H01", DAY)
        db.session.commit()
    assert first == "000.17.22.H56-261126-0001"
    assert second == "000.17.22.H56-261126-0002"
    assert other_day == "000.17.22.H56-261127-0001"
    assert other_unit == "000.00.17.H01-261126-0001"


def test_the_upserts_are_built_once_and_send_one_sql_text(app):
    """The sequences' upserts are kept (codes._upsert) and bound: whatever the unit, day or book,
    the same statement and SQL text, compiled once (SQLAlchemy keeps its compiled form)."""
    with app.app_context():
        codes.next_code(UNIT, DAY)
        codes.next_register_line(UNIT, DAY)
        built = codes._upsert.cache_info().misses
        statement = codes._upsert(db.engine.dialect, DossierCodeSequence.__table__, ("unit_code", "day"))
        assert statement._generate_cache_key() is not None  # its compiled form is kept
        with statements(app) as seen:
            codes.next_code("000.00.17.H01", date(2026, 11, 27))
            codes.next_code(UNIT, DAY)
            codes.next_register_line("000.00.17.H01", date(2027, 1, 4))
        assert codes._upsert.cache_info().misses == built
        assert codes.next_register_line(UNIT, DAY) == ("2026", 2)
        db.session.rollback()
    assert len(seen) == 3 and seen[0] == seen[1] != seen[2]


def test_a_rolled_back_reception_gives_its_number_back(app):
    with app.app_context():
        codes.next_code(UNIT, DAY)
        db.session.rollback()
        again = codes.next_code(UNIT, DAY)
        db.session.commit()
    assert again.endswith("-0001")


def test_concurrent_receptions_get_unique_gapless_numbers(app):
    workers, per_worker = 6, 5
    got, errors = [], []
    barrier = threading.Barrier(workers)

    def receive(fail_one: bool):
        barrier.wait()
        for n in range(per_worker):
            with app.app_context():
                try:
                    number = codes.next_number(UNIT, DAY)
                    if fail_one and n == 0:
                        db.session.rollback()  # a reception that fails after taking a number
                        continue
                    db.session.commit()
                    got.append(number)
                except Exception as exc:  # collected and asserted below
                    errors.append(repr(exc))
                    db.session.rollback()
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=receive, args=(i == 0,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = workers * per_worker - 1
    assert sorted(got) == list(range(1, expected + 1))
