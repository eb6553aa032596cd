"""Every setting in one place, read from the environment, each with its default."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("MOTCUA_INSTANCE_DIR", ROOT / "instance"))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    """The configuration of a running Motcua, from environment variables."""
    return {
        # Database: SQLite file in instance/ by default; PostgreSQL with
        # postgresql+psycopg://user@host:5432/dbname
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'motcua.sqlite3'}"
        ),
        # Signs session cookies. Must be set in production; make run generates one into instance/.
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Celery broker (redis://... or amqp://...); empty = the embedded runner in `motcua serve`
        # does the asynchronous work (one machine, no broker).
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        # Broker transport options as JSON, e.g. {"global_keyprefix": "motcua:"} for Redis.
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.loads(
            os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS", "{}")
        ),
        # How often workers (or the embedded runner) look for due calls and timers, in seconds.
        "MOTCUA_TICK_SECONDS": _float("MOTCUA_TICK_SECONDS", 1.0),
        # How long a worker may hold a service call before another may take it over, in seconds.
        "MOTCUA_LEASE_SECONDS": _int("MOTCUA_LEASE_SECONDS", 60),
        # Largest BPMN upload accepted, in bytes.
        "MOTCUA_MAX_BPMN_BYTES": _int("MOTCUA_MAX_BPMN_BYTES", 2 * 1024 * 1024),
        # Largest request body of any kind, in bytes (Flask answers 413 above it).
        "MAX_CONTENT_LENGTH": _int("MOTCUA_MAX_REQUEST_BYTES", 8 * 1024 * 1024),
        # Digitised dossier components (thành phần hồ sơ số hóa) uploaded on tasks: where the files
        # are kept (empty = <instance folder>/uploads; never inside the package or a static folder),
        # the largest file accepted in bytes (the upload route alone accepts a request body this large,
        # plus the multipart envelope), and the accepted types, checked by their content (magic bytes):
        # any of pdf, png, jpeg, webp, tiff, comma-separated.
        "MOTCUA_UPLOAD_DIR": os.environ.get("MOTCUA_UPLOAD_DIR", ""),
        "MOTCUA_UPLOAD_MAX_BYTES": _int("MOTCUA_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        "MOTCUA_UPLOAD_TYPES": os.environ.get("MOTCUA_UPLOAD_TYPES", "pdf,png,jpeg"),
        # Wall-clock budget of one BPMN script or expression evaluation, in seconds.
        "MOTCUA_SCRIPT_TIME_LIMIT": _float("MOTCUA_SCRIPT_TIME_LIMIT", 1.0),
        # Members of this group may deploy process definitions (admins always may).
        "MOTCUA_DESIGNER_GROUP": os.environ.get("MOTCUA_DESIGNER_GROUP", "designers"),
        # Where JSON Schema forms referenced by user tasks (formKey) are read from.
        "MOTCUA_FORMS_DIR": os.environ.get("MOTCUA_FORMS_DIR", str(ROOT / "forms")),
        # Working-day calendar (lịch làm việc): the time zone of the offices, the office hours
        # (comma-separated HH:MM-HH:MM periods, Monday to Friday unless the calendar says otherwise),
        # the afternoon cut-off after which a reception counts from the next working day, and the
        # country whose public holidays (including lunar Tết and make-up working Saturdays) apply.
        "MOTCUA_TIMEZONE": os.environ.get("MOTCUA_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "MOTCUA_OFFICE_HOURS": os.environ.get("MOTCUA_OFFICE_HOURS", "07:00-11:30,13:30-17:00"),
        "MOTCUA_RECEPTION_CUTOFF": os.environ.get("MOTCUA_RECEPTION_CUTOFF", "15:00"),
        "MOTCUA_HOLIDAY_COUNTRY": os.environ.get("MOTCUA_HOLIDAY_COUNTRY", "VN"),
        # Unit code that numbers dossiers received by officers whose org unit has no national code.
        "MOTCUA_DEFAULT_UNIT_CODE": os.environ.get("MOTCUA_DEFAULT_UNIT_CODE", "000.00.00.H01"),
        # The agency printed on the official slips (Mẫu 01 to 06).
        "MOTCUA_AGENCY": {
            "name": os.environ.get("MOTCUA_AGENCY_NAME", "UBND TỈNH AN GIANG"),
            "unit_name": os.environ.get("MOTCUA_AGENCY_UNIT", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"),
            "place": os.environ.get("MOTCUA_AGENCY_PLACE", "An Giang"),
            "return_place": os.environ.get("MOTCUA_RETURN_PLACE", "Trung tâm Phục vụ hành chính công tỉnh"),
            "contact": os.environ.get("MOTCUA_AGENCY_CONTACT", "Tổng đài 1022"),
        },
        # Deepest nesting of arrays and objects accepted in a JSON request body (400 beyond it).
        "MOTCUA_JSON_MAX_DEPTH": _int("MOTCUA_JSON_MAX_DEPTH", 64),
        # Largest page size of list endpoints.
        "MOTCUA_MAX_PAGE_SIZE": _int("MOTCUA_MAX_PAGE_SIZE", 200),
        # Session cookies: secure by default; make run sets it to false for plain http on localhost.
        "SESSION_COOKIE_SECURE": _bool("MOTCUA_SECURE_COOKIES", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # OpenAPI document and browsable UI.
        "API_TITLE": "Motcua",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": None,  # set to a URL of swagger-ui-dist to enable; see docs/api.md
        "OPENAPI_REDOC_PATH": None,
        # pool_pre_ping costs a round trip per request; a connection dropped by a database restart
        # then fails one request (503) and is replaced. Set MOTCUA_DB_PRE_PING=true to trade speed for that.
        # PostgreSQL's JIT stays off for the service's sessions unless MOTCUA_PG_JIT=true.
        "MOTCUA_PG_JIT": _bool("MOTCUA_PG_JIT", False),
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": _bool("MOTCUA_DB_PRE_PING", False),
            "pool_recycle": 3600,
        },
        "JSON_SORT_KEYS": False,
    }
