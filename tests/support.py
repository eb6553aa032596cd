"""Small helpers the tests import (fixtures live in conftest.py)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
DATA = Path(__file__).resolve().parent / "data"
# MOTCUA_FORMS_DIR for the tests: the shipped forms, then the forms of the test processes.
FORMS_DIR = os.pathsep.join([str(ROOT / "forms"), str(DATA / "forms")])


def bpmn_path(name: str) -> Path:
    """A BPMN file of the shipped library (bpmn/) or of the test data (tests/data/)."""
    for folder in (BPMN, DATA):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def openapi_document() -> dict:
    """The OpenAPI document as the service serves it (built by an app without a database)."""
    from service import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "openapi", "TESTING": True})
    return app.test_client().get("/api/v1/openapi.json").get_json()
