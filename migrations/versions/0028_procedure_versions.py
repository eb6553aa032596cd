"""procedures: one row per version of a procedure (version, valid_from, valid_to), its legal basis,
full-online flag and where the version came from; a dossier keeps the version it was received under

Revision ID: 0028_procedure_versions
Revises: 0030_notifications
Create Date: 2026-12-04 17:50:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0028_procedure_versions"
down_revision = "0030_notifications"
branch_labels = None
depends_on = None

CURRENT = sa.text("valid_to IS NULL")


@contextmanager
def _rebuilding(table: str):
    """A batch that may rebuild `table`. SQLite rebuilds it (a new table, the rows copied, the old
    one dropped), and dropping a table that dossiers reference fails while foreign keys are
    enforced; the pragma only changes outside a transaction, so on SQLite (whose DDL is not
    transactional anyway) the work so far is committed, the checks paused for the rebuild, the
    references checked, and the checks restored."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        bind.connection.dbapi_connection.commit()
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table(table) as batch:
            yield batch
    finally:
        if sqlite:
            broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            bind.connection.dbapi_connection.commit()
            bind.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"{table}: rebuilding it broke references: {broken[:5]}")


def upgrade():
    with _rebuilding("procedures") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("source", sa.String(32), nullable=False, server_default="catalogue"))
        batch.add_column(sa.Column("legal_basis", sa.JSON(), nullable=True))
        # full_online comes from 0020_indicators (the same column, added there first).
        batch.drop_constraint("uq_procedures_code", type_="unique")
        batch.create_unique_constraint("uq_procedures_code_version", ["code", "version"])
    op.execute("UPDATE procedures SET valid_from = updated_at")
    with _rebuilding("procedures") as batch:
        batch.alter_column("valid_from", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index(
        "uq_procedures_current_code",
        "procedures",
        ["code"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade():
    op.execute(
        "DELETE FROM procedures WHERE valid_to IS NOT NULL AND id NOT IN (SELECT procedure_id FROM dossiers)"
    )
    op.drop_index("uq_procedures_current_code", table_name="procedures")
    with _rebuilding("procedures") as batch:
        batch.drop_constraint("uq_procedures_code_version", type_="unique")
        batch.create_unique_constraint("uq_procedures_code", ["code"])
        for column in ("legal_basis", "source", "valid_to", "valid_from", "version"):
            batch.drop_column(column)
