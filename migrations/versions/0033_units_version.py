"""cache_versions: a number each process compares with the one it cached a table's rows under.
The org units (codes, names, national codes) are read by every dossier step; a process keeps them
and reads them again only when 'org_units' moved. Triggers move it on every INSERT, UPDATE or
DELETE of org_units, in the writing transaction, whatever code wrote (the service, a migration,
psql), so no write can forget to.

Revision ID: 0033_units_version
Revises: 0032_engine_state_lz4
Create Date: 2026-12-06 01:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0033_units_version"
down_revision = "0032_engine_state_lz4"
branch_labels = None
depends_on = None

_BUMP = "UPDATE cache_versions SET version = version + 1 WHERE name = 'org_units'"


def upgrade():
    op.create_table(
        "cache_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_versions")),
    )
    op.execute("INSERT INTO cache_versions (name, version) VALUES ('org_units', 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION org_units_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER org_units_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_units "
            "FOR EACH STATEMENT EXECUTE FUNCTION org_units_changed()"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER org_units_changed_{event.lower()} AFTER {event} ON org_units "
                f"BEGIN {_BUMP}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER org_units_changed ON org_units")
        op.execute("DROP FUNCTION org_units_changed()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER org_units_changed_{event}")
    op.drop_table("cache_versions")
