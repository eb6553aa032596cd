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
