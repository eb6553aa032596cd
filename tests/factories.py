"""Factory fixtures shared by the suite (a pytest plugin: tests/conftest.py loads it).

The pieces the tests of dossiers, pages, attachments and jobs used to build each in their own
`office` fixture, one fixture each, to combine:

- `deploy_library(*names)`: BPMN files of the shipped library (bpmn/) or of tests/data, deployed
  by the administrator, each a new definition (201);
- `catalogue`: the procedure catalogue (data/procedures.json) loaded, and the one-stop centre
  TTPVHCC with its national code, so accepted dossiers are numbered 000.17.22.H56-...;
- `make_officers(*names, password=...)`: the one-stop centre's clerk and the Sở Tư pháp's
  officers who handle AG-LLTP-01 (head, specialist, leader, records), with their groups and units;
- `dossier_office`: the three together (dossier.bpmn, the catalogue, every officer);
- `receive_dossier(clerk, ...)` (a plain function): a dossier received at the counter (201).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support import COMPONENTS, QR, ROOT, bpmn_path

ONE_STOP = ("TTPVHCC", "Trung tâm Phục vụ hành chính công", "000.17.22.H56")
# username: (groups, unit). SO-TP is the agency of AG-LLTP-01 in the catalogue.
OFFICERS = {
    "clerk": (["reception"], "TTPVHCC"),
    "head": (["unit_heads"], "SO-TP"),
    "specialist": (["specialists"], "SO-TP"),
    "leader": (["leaders"], "SO-TP"),
    "records": (["records"], "SO-TP"),
}


@pytest.fixture
def deploy_library(admin):
    """deploy_library(*names): deploy these BPMN files as the administrator (each must be new: 201)."""

    def deploy(*names: str) -> None:
        for name in names:
            response = admin.deploy(bpmn_path(name))
            assert response.status_code == 201, (name, response.json)

    return deploy


@pytest.fixture
def catalogue(app):
    """The procedure catalogue loaded, and the one-stop centre with its national code."""
    from service.extensions import db
    from service.identity.operations import get_or_create_unit
    from service.procedures.operations import load

    code, name, national_code = ONE_STOP
    with app.app_context():
        load((ROOT / "data" / "procedures.json").read_text(encoding="utf-8"), fmt="json")
        get_or_create_unit(code, name).national_code = national_code
        db.session.commit()


@pytest.fixture
def make_officers(make_user):
    """make_officers(*names, password=...) -> SimpleNamespace of Callers, by username (all of
    OFFICERS when no name is given)."""

    def make(*names: str, password: str = "password-1") -> SimpleNamespace:
        return SimpleNamespace(
            **{
                name: make_user(name, groups=OFFICERS[name][0], unit=OFFICERS[name][1], password=password)
                for name in names or OFFICERS
            }
        )

    return make


@pytest.fixture
def dossier_office(app, admin, deploy_library, catalogue, make_officers):
    """The dossier process deployed, the catalogue loaded and every officer of OFFICERS:
    SimpleNamespace(app, admin, clerk, head, specialist, leader, records)."""
    deploy_library("dossier.bpmn")
    return SimpleNamespace(app=app, admin=admin, **vars(make_officers()))


def receive_dossier(clerk, procedure: str = "AG-LLTP-01", applicant=None, components=COMPONENTS) -> dict:
    """The clerk receives a dossier at the counter (POST /api/v1/dossiers); its JSON (201).

    The applicant is read from the CCCD QR code unless given; components=None sends none."""
    body = {
        "procedure_code": procedure,
        "channel": "counter",
        "applicant": applicant or {"cccd_qr": QR, "phone": "0912345678"},
    }
    if components is not None:
        body["components"] = components
    response = clerk.post("/api/v1/dossiers", json=body)
    assert response.status_code == 201, response.json
    return response.json
