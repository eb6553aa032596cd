"""The migrations build exactly the schema the models describe (no change without a revision)."""

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
