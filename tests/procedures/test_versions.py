"""Procedures are versioned: every change (the API, a catalogue file, a localisation, an internal
procedure) closes the current version and adds the next; a dossier keeps the version it was
received under. Revision 0028 makes every existing procedure its first version."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from service import create_app
from service.extensions import db
from service.procedures.operations import load
from tests.factories import receive_dossier
from tests.service.test_migration_data import _insert
from tests.support import ROOT

CATALOGUE = (ROOT / "data" / "procedures.json").read_text(encoding="utf-8")


def _patch(caller, code, body):
    return caller.client.patch(f"/api/v1/procedures/{code}", headers=caller.headers, json=body)


def test_a_change_is_a_new_version_and_the_dossier_keeps_its_own(app, dossier_office):
    office = dossier_office
    dossier = receive_dossier(office.clerk)
    changed = _patch(office.admin, "AG-LLTP-01", {"processing_days": 12, "name": "Cấp Phiếu LLTP (sửa đổi)"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["version"], changed.json["source"], changed.json["valid_to"]) == (
        2,
        "catalogue",
        None,
    )
    same = _patch(office.admin, "AG-LLTP-01", {"processing_days": 12.0})
    assert same.json["version"] == 2  # nothing changed: no version
    listed = office.admin.get("/api/v1/procedures?q=AG-LLTP-01").json
    assert [(p["code"], p["version"]) for p in listed["items"]] == [("AG-LLTP-01", 2)]  # current only
    kept = office.admin.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert (
        kept["procedure_name"]
        == "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam"
    )
    with app.app_context():  # `motcua procedures load`: the file's record differs, so a third version
        assert load(CATALOGUE, fmt="json") == (0, 5)
        db.session.commit()
    versions = office.admin.get("/api/v1/procedures/AG-LLTP-01/versions").json
    assert [(v["version"], v["processing_days"]) for v in versions] == [(3, 10), (2, 12), (1, 10)]
    assert [v["version"] for v in office.admin.get("/api/v1/procedures/AG-KS-01/versions").json] == [1]
    assert office.admin.get("/api/v1/procedures/NOPE/versions").status_code == 404
    page = office.admin.get("/ui/admin/procedures/AG-LLTP-01")
    assert page.status_code == 200 and 'data-testid="procedure-version">3 · danh mục' in page.text


def test_0028_makes_every_procedure_its_first_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="0026_attachment_signatures")
    engine = sa.create_engine(url)
    tables = sa.MetaData()
    tables.reflect(engine)
    t = tables.tables
    at = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        definition = _insert(conn, t["process_definitions"], key="dossier", version=1, checksum="c")
        procedure = _insert(conn, t["procedures"], code="P-1", process_key="dossier", updated_at=at)
        instance = "ab" * 16
        _insert(conn, t["process_instances"], id=instance, definition_id=definition, state="running")
        _insert(conn, t["dossiers"], id="cd" * 16, procedure_id=procedure, instance_id=instance)
    with app.app_context():
        upgrade()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT version, valid_from, valid_to, source FROM procedures")).one()
        assert (row.version, row.valid_to, row.source) == (1, None, "catalogue")
        assert row.valid_from is not None
        assert conn.execute(sa.text("SELECT procedure_id FROM dossiers")).scalar() == procedure
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # the checks are back on
    second = sa.text(
        "INSERT INTO procedures (code, version, valid_from, source, name, processing_days, components, "
        "step_allotments, process_key, active, updated_at, full_online) VALUES ('P-1', 2, '2026-06-01', "
        "'catalogue', 'x', 1, '[]', '{}', 'dossier', 1, '2026-06-01', 0)"
    )
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(second)  # one current version per code
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE procedures SET valid_to = '2026-06-01' WHERE code = 'P-1'"))
        conn.execute(second)  # its next version, once the first is closed
