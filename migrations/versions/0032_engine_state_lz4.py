"""engine_state compressed with lz4 on PostgreSQL: an instance's state (tens of KB for a dossier)
is rewritten at every step and read at every completion; lz4 compresses and decompresses it
faster than the default pglz (bench: about 0.2 ms of a dossier step's write). A server built
without lz4, or older than PostgreSQL 14, keeps its default. Rows take lz4 as they are rewritten.

Revision ID: 0032_engine_state_lz4
Revises: 0031_dvcqg_sync
Create Date: 2026-12-05 03:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0032_engine_state_lz4"
down_revision = "0031_dvcqg_sync"
branch_labels = None
depends_on = None


def _lz4_available(bind) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).scalar()
    return bool(found)


def upgrade():
    bind = op.get_bind()
    if _lz4_available(bind):
        op.execute("ALTER TABLE process_instances ALTER COLUMN engine_state SET COMPRESSION lz4")


def downgrade():
    bind = op.get_bind()
    if _lz4_available(bind):
        op.execute("ALTER TABLE process_instances ALTER COLUMN engine_state SET COMPRESSION DEFAULT")
