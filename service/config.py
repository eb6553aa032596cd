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
        # Celery broker (redis://... or amqp://...); empty = the runner process `motcua serve` starts
        # does the asynchronous work (one machine, no broker).
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        # Broker transport options as JSON, e.g. {"global_keyprefix": "motcua:"} for Redis.
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.loads(
            os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS", "{}")
        ),
        # How often workers (or the runner process) look for due calls and timers, in seconds.
        "MOTCUA_TICK_SECONDS": _float("MOTCUA_TICK_SECONDS", 1.0),
        # Housekeeping (daily, on the workers' beat or the runner process; `motcua housekeeping` by
        # hand): outbox events older than this many days are deleted, and so are browser sessions
        # that ended (logged out, revoked, expired or idle) this many days ago.
        "MOTCUA_OUTBOX_RETENTION_DAYS": _float("MOTCUA_OUTBOX_RETENTION_DAYS", 30.0),
        "MOTCUA_SESSION_RETENTION_DAYS": _float("MOTCUA_SESSION_RETENTION_DAYS", 30.0),
        # Webhooks: the first retry waits this long and each next one twice as long (at most an
        # hour); after this many attempts a delivery is dead until replayed; each attempt waits
        # this long for an answer. Receivers at loopback, private or link-local addresses are
        # refused unless allowed (a receiver on the same network).
        "MOTCUA_WEBHOOK_BACKOFF_SECONDS": _float("MOTCUA_WEBHOOK_BACKOFF_SECONDS", 10.0),
        "MOTCUA_WEBHOOK_MAX_ATTEMPTS": _int("MOTCUA_WEBHOOK_MAX_ATTEMPTS", 12),
        "MOTCUA_WEBHOOK_TIMEOUT_SECONDS": _float("MOTCUA_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        "MOTCUA_WEBHOOK_ALLOW_PRIVATE": _bool("MOTCUA_WEBHOOK_ALLOW_PRIVATE", False),
        # Notifications by SMS and Zalo (service/notifications/; sent only on the channels whose
        # connector MOTCUA_CONNECTORS names, "sms" and "zalo"): the templates file (empty: the
        # shipped service/notifications/templates.json), the SMS's brandname (at most 11
        # characters, as registered with the carrier), the most segments one SMS may take, and
        # whether it keeps the Vietnamese diacritics (UCS-2: 70 characters a segment) or drops
        # them (GSM 7-bit: 160). Retries and dead letters follow the connectors' contracts.
        "MOTCUA_NOTIFICATION_TEMPLATES": os.environ.get("MOTCUA_NOTIFICATION_TEMPLATES", ""),
        "MOTCUA_SMS_BRANDNAME": os.environ.get("MOTCUA_SMS_BRANDNAME", ""),
        "MOTCUA_SMS_MAX_SEGMENTS": _int("MOTCUA_SMS_MAX_SEGMENTS", 3),
        "MOTCUA_SMS_UNICODE": _bool("MOTCUA_SMS_UNICODE", True),
        # POST /messages with "all": true delivers to at most this many instances in one request
        # (one engine step each, in one transaction); more waiting is a 409 asking to narrow it.
        "MOTCUA_MESSAGE_MAX_DELIVERIES": _int("MOTCUA_MESSAGE_MAX_DELIVERIES", 100),
        # How long the answer of a write sent with an Idempotency-Key is kept for its retries.
        "MOTCUA_IDEMPOTENCY_HOURS": _float("MOTCUA_IDEMPOTENCY_HOURS", 24.0),
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
        # The report bundles the workers generate (monthly, quarterly; reports/bundles.py): where
        # the files are kept (empty = <instance folder>/reports).
        "MOTCUA_REPORTS_DIR": os.environ.get("MOTCUA_REPORTS_DIR", ""),
        "MOTCUA_UPLOAD_MAX_BYTES": _int("MOTCUA_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        "MOTCUA_UPLOAD_TYPES": os.environ.get("MOTCUA_UPLOAD_TYPES", "pdf,png,jpeg"),
        # PAdES signatures (service/signatures/): a folder of <UNIT_CODE>.p12 files, each a unit's
        # signing certificate, key and chain; the passphrase of each comes from
        # MOTCUA_SIGNING_PASSPHRASE_<UNIT_CODE> (letters and digits, others as "_"), else
        # MOTCUA_SIGNING_PASSPHRASE, read when the key is first used. Empty: no unit can sign.
        "MOTCUA_SIGNING_KEYS_DIR": os.environ.get("MOTCUA_SIGNING_KEYS_DIR", ""),
        # The roots (a PEM bundle) a signature must chain to, to count as trusted; empty: none is.
        "MOTCUA_SIGNING_TRUST_ROOTS": os.environ.get("MOTCUA_SIGNING_TRUST_ROOTS", ""),
        # A TrueType font with Vietnamese glyphs for the visible signature block (default: the
        # first of DejaVu Sans, Noto Sans, Liberation Sans found on the machine).
        "MOTCUA_SIGNATURE_FONT": os.environ.get("MOTCUA_SIGNATURE_FONT", ""),
        # Callbacks of the remote systems (service/callbacks/): the shared secret each signs its
        # callbacks with (X-Motcua-Signature, HMAC-SHA256 of the body). Empty: that callback is
        # refused (401), so nothing unsigned is ever believed.
        "MOTCUA_PAYMENT_CALLBACK_SECRET": os.environ.get("MOTCUA_PAYMENT_CALLBACK_SECRET", ""),
        "MOTCUA_POST_CALLBACK_SECRET": os.environ.get("MOTCUA_POST_CALLBACK_SECRET", ""),
        # Budgets: how much work one instance may make the engine do (docs/operations.md lists them;
        # service/engine/limits.py applies them). Exceeding one puts the instance in error with a
        # message naming the budget and its setting; literal values in a BPMN file are checked at deploy.
        # CPU time (of the thread, not wall-clock) of one BPMN script or expression, in seconds.
        "MOTCUA_SCRIPT_TIME_LIMIT": _float("MOTCUA_SCRIPT_TIME_LIMIT", 1.0),
        # CPU time of one engine step (a start, a completion, a service result, a message, a timer
        # tick, a retry...), in seconds; a script gets at most what is left of it.
        "MOTCUA_STEP_CPU_SECONDS": _float("MOTCUA_STEP_CPU_SECONDS", 5.0),
        # Largest cardinality or input collection of a multi-instance element that has no
        # maxInstances property (spiffworkflow:property on the element), and the largest maxInstances
        # a deploy accepts.
        "MOTCUA_MAX_INSTANCES": _int("MOTCUA_MAX_INSTANCES", 50),
        "MOTCUA_MAX_INSTANCES_CEILING": _int("MOTCUA_MAX_INSTANCES_CEILING", 500),
        # Most SpiffWorkflow tasks (subprocesses included) one step may create.
        "MOTCUA_MAX_TASKS_PER_STEP": _int("MOTCUA_MAX_TASKS_PER_STEP", 2000),
        # Deepest nesting of call activities and subprocesses.
        "MOTCUA_MAX_CALL_DEPTH": _int("MOTCUA_MAX_CALL_DEPTH", 10),
        # Timers: durations and dates at most this many days ahead; cycles (R<n>/...) of at most this
        # many repetitions, with at least this many seconds between two.
        "MOTCUA_MAX_TIMER_DAYS": _int("MOTCUA_MAX_TIMER_DAYS", 3660),
        "MOTCUA_MAX_TIMER_CYCLES": _int("MOTCUA_MAX_TIMER_CYCLES", 1000),
        "MOTCUA_MIN_TIMER_INTERVAL_SECONDS": _float("MOTCUA_MIN_TIMER_INTERVAL_SECONDS", 60.0),
        # Largest allotment (working days) of a step: the BPMN allotment property, the catalogue's
        # processing_days and step_allotments; also the longest dueIn (days).
        "MOTCUA_MAX_ALLOTMENT_DAYS": _float("MOTCUA_MAX_ALLOTMENT_DAYS", 365.0),
        # Most working days the calendar counts in one call (deadlines, working_days_from_now...).
        "MOTCUA_MAX_CALENDAR_DAYS": _int("MOTCUA_MAX_CALENDAR_DAYS", 3660),
        # Scripts: the most items (or characters, or bits) of one value an operation may build; the
        # data a script may hold or leave in its task, in bytes (estimated as text) and nesting levels.
        "MOTCUA_SCRIPT_MAX_SEQUENCE": _int("MOTCUA_SCRIPT_MAX_SEQUENCE", 1_000_000),
        "MOTCUA_SCRIPT_MAX_DATA_BYTES": _int("MOTCUA_SCRIPT_MAX_DATA_BYTES", 8 * 1024 * 1024),
        "MOTCUA_SCRIPT_MAX_DATA_DEPTH": _int("MOTCUA_SCRIPT_MAX_DATA_DEPTH", 32),
        # Members of this group may deploy process definitions (admins always may).
        "MOTCUA_DESIGNER_GROUP": os.environ.get("MOTCUA_DESIGNER_GROUP", "designers"),
        # Where JSON Schema forms referenced by user tasks and start events (formKey) are read from:
        # one folder, or several separated by os.pathsep (":" on Linux); the first holding a form wins.
        "MOTCUA_FORMS_DIR": os.environ.get("MOTCUA_FORMS_DIR", str(ROOT / "forms")),
        # External tasks (/api/v1/external-tasks): members of MOTCUA_EXTERNAL_WORKER_GROUP may fetch
        # and complete the tasks of every topic, members of "<that group>:<topic>" those of one
        # topic (admins always may); a fetch-and-lock waits for work (long polling) at most
        # MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS (locks and retry timeouts are at most a week).
        "MOTCUA_EXTERNAL_WORKER_GROUP": os.environ.get("MOTCUA_EXTERNAL_WORKER_GROUP", "external-workers"),
        "MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS": _float("MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS", 30.0),
        # How many fetches may wait for work at once in one process: each holds one of the server's
        # threads (`motcua serve --threads`, 8 by default) while it waits, so the rest stay free for
        # every other request; a fetch beyond it answers at once (no work yet), as an empty wait.
        "MOTCUA_EXTERNAL_TASK_MAX_WAITING": _int("MOTCUA_EXTERNAL_TASK_MAX_WAITING", 4),
        # Working-day calendar (lịch làm việc): the time zone of the offices, the office hours
        # (comma-separated HH:MM-HH:MM periods, Monday to Friday unless the calendar says otherwise),
        # the afternoon cut-off after which a reception counts from the next working day, and the
        # country whose public holidays (including lunar Tết and make-up working Saturdays) apply.
        "MOTCUA_TIMEZONE": os.environ.get("MOTCUA_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "MOTCUA_OFFICE_HOURS": os.environ.get("MOTCUA_OFFICE_HOURS", "07:00-11:30,13:30-17:00"),
        "MOTCUA_RECEPTION_CUTOFF": os.environ.get("MOTCUA_RECEPTION_CUTOFF", "15:00"),
        "MOTCUA_HOLIDAY_COUNTRY": os.environ.get("MOTCUA_HOLIDAY_COUNTRY", "VN"),
        # The folder of announced schedules (one JSON file per country and year, with sources);
        # empty: the ones shipped in service/calendar/schedules/. Years without one use the
        # holidays package's suggestion, marked provisional.
        "MOTCUA_CALENDAR_SCHEDULES": os.environ.get("MOTCUA_CALENDAR_SCHEDULES", ""),
        # The address the public reaches this service at (e.g. https://motcua.angiang.gov.vn): Mẫu 01
        # prints <it>/tra-cuu and its QR code opens the dossier's public lookup there. Empty: the QR
        # code holds the dossier's code only.
        "MOTCUA_PUBLIC_URL": os.environ.get("MOTCUA_PUBLIC_URL", ""),
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
        # Browser sessions (POST /api/v1/auth/login, the login page) are rows of user_sessions; the
        # cookie carries only a random secret. A session ends MOTCUA_SESSION_MAX_HOURS after login
        # whatever happens, and after MOTCUA_SESSION_IDLE_MINUTES without a request (fractions
        # allowed; both must be positive). Flask's PERMANENT_SESSION_LIFETIME (how long a signed
        # cookie is accepted at all) is set to the maximum by identity/auth.init_app.
        "MOTCUA_SESSION_MAX_HOURS": _float("MOTCUA_SESSION_MAX_HOURS", 168.0),
        "MOTCUA_SESSION_IDLE_MINUTES": _float("MOTCUA_SESSION_IDLE_MINUTES", 480.0),
        # A bearer token's principal is kept per process on PostgreSQL and read again only after
        # PostgreSQL notifies a change of users, tokens, groups or units (identity/principals.py);
        # false: read at every request. SQLite reads it at every request anyway.
        "MOTCUA_PRINCIPAL_CACHE": _bool("MOTCUA_PRINCIPAL_CACHE", True),
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
