"""The migrations build exactly the schema the models describe (no change without a revision)."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.extensions import db


def test_the_migrated_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_postgresql_sessions_run_without_jit_and_sqlite_gets_no_postgres_options(app):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
        else:
            assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_engine_state_is_compressed_with_lz4_where_postgresql_has_it(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL column setting (the PostgreSQL pass checks it)")
        available = db.session.execute(
            sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = db.session.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute"
                " WHERE attrelid = 'process_instances'::regclass AND attname = 'engine_state'"
            )
        ).scalar()
    assert method == ("l" if available else "")


def test_the_tasks_index_is_replaced_concurrently_on_postgresql(tmp_path):
    """Migration 0034 builds its index on tasks without locking the table against writes (CREATE
    INDEX CONCURRENTLY, outside the migration's transaction): the SQL Alembic writes for it
    offline, for PostgreSQL (no server needed)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")},
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/offline",
        "SECRET_KEY": "x" * 64,
        "MOTCUA_INSTANCE_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "db",
            "upgrade",
            "0033_units_version:0034_tasks_instance_state",
            "--sql",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sql = [line for line in done.stdout.splitlines() if line and not line.startswith("--")]
    build = sql.index("CREATE INDEX CONCURRENTLY ix_tasks_instance_state ON tasks (instance_id, state);")
    assert "DROP INDEX CONCURRENTLY IF EXISTS ix_tasks_instance_id;" in sql[build:]
    # outside a transaction: the last BEGIN before the build was committed before it
    before = [line for line in sql[:build] if line in ("BEGIN;", "COMMIT;")]
    assert before and before[-1] == "COMMIT;", sql
