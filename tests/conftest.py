"""Fixtures shared by the whole suite (the factories of dossiers and offices are in factories.py).

The service tests run against the database chosen by MOTCUA_TEST_DATABASE:
- "sqlite" (default): a migrated template file, copied for every test;
- "postgres": a database of this run's own, created on MOTCUA_TEST_POSTGRES_URL's server,
  migrated once, truncated between tests and dropped at the end. When CI=true and
  PostgreSQL cannot be reached, every test that needs it fails (never skips).
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import FORMS_DIR

BACKEND = os.environ.get("MOTCUA_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytest_plugins = ["tests.factories"]


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    from service import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        from service.extensions import db

        db.engine.dispose()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Yields a function that gives each test a clean, migrated database URL."""
    if BACKEND == "postgres":
        yield from _postgres_database()
    else:
        yield from _sqlite_database(tmp_path_factory)


def _sqlite_database(tmp_path_factory):
    base = tmp_path_factory.mktemp("db")
    template = base / "template.sqlite3"
    _migrate(f"sqlite:///{template}")
    counter = iter(range(1_000_000))

    def fresh() -> str:
        path = base / f"test-{next(counter)}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    yield fresh


def _postgres_database():
    admin_engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    try:
        with admin_engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        admin_engine.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the PostgreSQL pass must run)", pytrace=False)
        pytest.skip(message)
    name = f"motcua_test_{_worker()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "select tablename from pg_tables"
                    " where schemaname = 'public'"
                    # kept: the migrations' own rows (cache_versions' counters only ever rise)
                    " and tablename not in ('alembic_version', 'cache_versions')"
                )
            )
        ]
    truncate = sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")

    def fresh() -> str:
        with engine.begin() as conn:
            conn.execute(truncate)
        return url

    try:
        yield fresh
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture
def app(_database, tmp_path):
    from service import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _database(),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "MOTCUA_SCRIPT_TIME_LIMIT": 0.5,
            "MOTCUA_INSTANCE_DIR": str(tmp_path / "instance"),
            "MOTCUA_FORMS_DIR": FORMS_DIR,
            # principals are read at every request here; tests/service/test_principal_cache.py
            # runs the kept principals of production (PostgreSQL) against changes from elsewhere
            "MOTCUA_PRINCIPAL_CACHE": False,
        }
    )
    yield app
    from service.extensions import db

    cache = app.extensions.get("motcua.principals")
    if cache is not None:
        cache.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Caller:
    """A user with a token, and shortcuts for authenticated requests."""

    client: object
    username: str
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def deploy(self, source: str | bytes | Path, filename: str = "process.bpmn"):
        if isinstance(source, Path):
            filename, source = source.name, source.read_bytes()
        data = source.encode() if isinstance(source, str) else source
        from io import BytesIO

        return self.post(
            "/api/v1/process-definitions",
            data={"file": (BytesIO(data), filename)},
            content_type="multipart/form-data",
        )

    def start(self, key: str, **body):
        return self.post("/api/v1/process-instances", json={"definition_key": key, **body})

    def complete(self, task_id, variables=None, **kw):
        return self.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": variables or {}}, **kw)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Hash each distinct test password once per session (scrypt costs ~60 ms a call)."""
    import functools

    from service.identity import operations

    real = operations.generate_password_hash
    operations.generate_password_hash = functools.cache(real)
    yield
    operations.generate_password_hash = real


@pytest.fixture
def make_user(app, client):
    """make_user(name, groups=(), admin=False, unit=None) -> Caller with a fresh token."""

    def make(
        name: str, groups=(), admin: bool = False, unit: str | None = None, password: str = "password-1"
    ):
        from service.extensions import db
        from service.identity.operations import create_token, create_user

        with app.app_context():
            user = create_user(name, password, groups=list(groups), admin=admin, unit=unit)
            token = create_token(user)
            db.session.commit()
        return Caller(client, name, token)

    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin", admin=True)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port, in a thread; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Clock:
    """The service's clock in a test: the wall clock's time, moved by what the test moved it.

    Time still flows (two steps a moment apart get two moments) unless the test freezes it;
    `advance`, `advance_to` and `at` shift it.
    """

    def __init__(self) -> None:
        self.offset = timedelta()
        self.frozen: datetime | None = None

    def _base(self) -> datetime:
        return self.frozen or datetime.now(UTC)

    def now(self) -> datetime:
        return self._base() + self.offset

    def freeze(self) -> datetime:
        """Time stands still from now on, but for what the test advances; returns the moment."""
        self.frozen = datetime.now(UTC)
        return self.now()

    def advance(self, **delta) -> datetime:
        """Time passes: clock.advance(days=30), advance(seconds=61)...; returns the new now."""
        self.offset += timedelta(**delta)
        return self.now()

    def advance_to(self, moment: datetime) -> datetime:
        """Time passes until `moment` (never backwards: use `at` for that)."""
        assert moment >= self.now(), f"{moment} is in the past"
        self.offset += moment - self.now()
        return self.now()

    @contextmanager
    def at(self, moment: datetime):
        """Inside the block, the service's now starts at `moment` (in the past or the future)."""
        before = self.offset
        self.offset = moment - self._base()
        try:
            yield
        finally:
            self.offset = before


@pytest.fixture
def clock():
    """Moves the service's one clock (service.models_base.utcnow) for this test: every moment the
    service records or compares, in this thread and in the live server's, comes from it."""
    from service import models_base

    moved = Clock()
    models_base.clock_override = moved.now
    try:
        yield moved
    finally:
        models_base.clock_override = None
