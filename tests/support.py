"""Small helpers the tests import (fixtures live in conftest.py)."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
DATA = Path(__file__).resolve().parent / "data"
# MOTCUA_FORMS_DIR for the tests: the shipped forms, then the forms of the test processes.
FORMS_DIR = os.pathsep.join([str(ROOT / "forms"), str(DATA / "forms")])
# An applicant's CCCD QR code, and the component a dossier of AG-LLTP-01 is received with.
QR = "089190000123|352123456|Nguyễn Thị Ánh|15071990|Nữ|Số 12 Trần Hưng Đạo, An Giang|01052021"
COMPONENTS = [{"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "form": "Bản chính", "quantity": 1}]


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


@contextmanager
def statements(app, keep: Callable[[str], bool] = lambda statement: True) -> Iterator[list[str]]:
    """The SQL statements the app sends to its database while the block runs (those `keep` keeps)."""
    from service.extensions import db

    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if keep(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
