"""Revision 0008 moves existing data into the security model: tokens of users deactivated before it are
revoked (deactivation revokes them from then on, so reactivating brings none back), and instances
that drive dossiers get the names of the variables the dossier service writes (no caller may set
them). On a SQLite file of its own, migrated to 0007 and filled there."""

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _value(column):
    """A value for a NOT NULL column the test does not care about."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b""
    return "x"


def _insert(conn, table: sa.Table, **given):
    """Insert a row with `given` and placeholders for the other required columns; returns its id."""
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and isinstance(column.type, sa.Integer):
            continue  # autoincrement
        row[column.name] = _value(column)
    result = conn.execute(table.insert().values(**row))
    return row.get("id") or result.inserted_primary_key[0]


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0007")
    yield app, sa.create_engine(url)


def test_0008_revokes_the_tokens_of_deactivated_users_and_protects_dossier_variables(database):
    app, engine = database
    tables = sa.MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.begin() as conn:
        active = _insert(conn, t["users"], username="active", is_active=True)
        gone = _insert(conn, t["users"], username="gone", is_active=False)
        live = _insert(conn, t["api_tokens"], user_id=active, token_hash="a" * 64)
        dead = _insert(conn, t["api_tokens"], user_id=gone, token_hash="b" * 64)
        definition = _insert(conn, t["process_definitions"], key="dossier", version=1, checksum="c")
        procedure = _insert(conn, t["procedures"], code="P-1", process_key="dossier")
        dossier_instance, other_instance = uuid.uuid4().hex, uuid.uuid4().hex  # SQLite keeps UUIDs as hex
        for instance in (dossier_instance, other_instance):
            _insert(conn, t["process_instances"], id=instance, definition_id=definition, state="running")
        _insert(
            conn, t["dossiers"], id=uuid.uuid4().hex, procedure_id=procedure, instance_id=dossier_instance
        )

    with app.app_context():
        upgrade()

    with engine.connect() as conn:
        revoked = dict(conn.execute(sa.text("SELECT id, revoked_at FROM api_tokens")).all())
        protected = dict(conn.execute(sa.text("SELECT id, system_variables FROM process_instances")).all())
    assert revoked[live] is None
    assert revoked[dead] is not None
    assert protected[other_instance] is None
    names = set(json.loads(protected[dossier_instance]))
    assert {"handling_unit", "reception_unit", "dossier_id", "due_at", "apology_at"} <= names


def test_0025_lets_existing_dossiers_be_found_by_name_without_accents_cccd_and_phone(tmp_path):
    url = f"sqlite:///{tmp_path / 'before-0025.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0018_dossier_pauses")
    engine = sa.create_engine(url)
    tables = sa.MetaData()
    tables.reflect(engine)
    t = tables.tables
    dossier = uuid.uuid4().hex
    with engine.begin() as conn:
        definition = _insert(conn, t["process_definitions"], key="dossier", version=1, checksum="c")
        procedure = _insert(conn, t["procedures"], code="P-1", process_key="dossier")
        instance = uuid.uuid4().hex
        _insert(conn, t["process_instances"], id=instance, definition_id=definition, state="running")
        applicant = {"name": "Nguyễn Thị Ánh", "id_number": "089190000123", "phone": "0912 345 678"}
        _insert(
            conn,
            t["dossiers"],
            id=dossier,
            code="000.17.22.H56-261204-0001",
            procedure_id=procedure,
            instance_id=instance,
            applicant=applicant,
        )

    with app.app_context():
        upgrade()

    with engine.connect() as conn:
        text = conn.execute(sa.text("SELECT search_text FROM dossiers")).scalar_one()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
    assert text == "000.17.22.h56-261204-0001 nguyen thi anh 089190000123 0912345678"
    assert "preferences" in columns


def test_0031_marks_the_portals_dossiers_pushed_before_synced(tmp_path):
    url = f"sqlite:///{tmp_path / 'before-0031.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0029_payments_post_edms")
    engine = sa.create_engine(url)
    tables = sa.MetaData()
    tables.reflect(engine)
    t = tables.tables
    sent_at, submitted = datetime(2026, 12, 1, 3, 0, tzinfo=UTC), datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    ids = {}
    with engine.begin() as conn:
        definition = _insert(conn, t["process_definitions"], key="dossier", version=1, checksum="c")
        procedure = _insert(conn, t["procedures"], code="P-1", process_key="dossier")
        for name, portal_id in (
            ("pushed", "DVCQG-1"),
            ("purged", "DVCQG-2"),
            ("failing", "DVCQG-3"),
            ("counter", None),
        ):
            instance = uuid.uuid4().hex
            _insert(conn, t["process_instances"], id=instance, definition_id=definition, state="running")
            ids[name] = _insert(
                conn,
                t["dossiers"],
                id=uuid.uuid4().hex,
                procedure_id=procedure,
                instance_id=instance,
                portal_id=portal_id,
                status=4,
                submitted_at=submitted,
            )
        for event, (name, state, when) in enumerate(
            (("pushed", "sent", sent_at), ("failing", "failed", None)), start=1
        ):
            _insert(
                conn,
                t["dvcqg_status_pushes"],
                event_id=event,
                dossier_id=ids[name],
                state=state,
                sent_at=when,
            )

    with app.app_context():
        upgrade()

    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, dvcqg_synced_at, dvcqg_status FROM dossiers")).all()
    found = {row[0]: (row[1], row[2]) for row in rows}

    def when(value):
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC) if value is not None else None

    assert (when(found[ids["pushed"]][0]), found[ids["pushed"]][1]) == (sent_at, 4)
    assert (when(found[ids["purged"]][0]), found[ids["purged"]][1]) == (submitted, 4)  # pushes purged
    assert found[ids["failing"]] == (None, None)  # its first push never reached the portal
    assert found[ids["counter"]] == (None, None)
