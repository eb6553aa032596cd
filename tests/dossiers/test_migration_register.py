"""Migration 0021 numbers the dossiers registered before it: per unit and year, in the order of
their reception, and the sequences continue from there."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing

from flask_migrate import upgrade

from service import create_app


def test_upgrade_numbers_the_registered_dossiers_per_unit_and_year(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0018_dossier_pauses")
        received = {
            "a1": ("A", "2025-12-31 17:30:00.000000"),  # 1 January 2026 in Vietnam
            "a2": ("A", "2025-12-30 03:00:00.000000"),
            "a3": ("A", "2026-02-02 03:00:00.000000"),
            "b1": ("B", "2026-01-05 03:00:00.000000"),
            "new": ("A", None),
        }
        ids = {name: uuid.uuid4() for name in received}
        # Plain rows of dossiers only (sqlite3 leaves foreign keys unchecked by default).
        with closing(sqlite3.connect(tmp_path / "before.db")) as connection, connection:
            for name, (unit, at) in received.items():
                connection.execute(
                    "INSERT INTO dossiers (id, unit_code, procedure_id, instance_id, applicant, channel, "
                    "components, status, submitted_at, received_at, paused_days, supplement_requests, "
                    "updated_at) VALUES (?, ?, 1, ?, '{}', 'counter', '[]', 2, '2025-12-01 00:00:00.000000', "
                    "?, 0, 0, '2026-01-01 00:00:00.000000')",
                    (ids[name].hex, unit, uuid.uuid4().hex, at),
                )
        upgrade(revision="0021_dossier_slips")
        from service.extensions import db

        db.engine.dispose()
    with closing(sqlite3.connect(tmp_path / "before.db")) as connection:
        rows = connection.execute("SELECT id, register_book, register_number, sets FROM dossiers").fetchall()
        lines = {uuid.UUID(row[0]): row[1:] for row in rows}
        sequences = set(connection.execute("SELECT * FROM dossier_register_sequences").fetchall())
    assert lines[ids["a2"]] == ("2025", 1, 1)
    assert lines[ids["a1"]] == ("2026", 1, 1)
    assert lines[ids["a3"]] == ("2026", 2, 1)
    assert lines[ids["b1"]] == ("2026", 1, 1)
    assert lines[ids["new"]] == (None, None, 1)
    assert sequences == {("A", "2025", 1), ("A", "2026", 2), ("B", "2026", 1)}
