"""the public lookup: a PIN per numbered dossier, printed on Mẫu 01 beside its code

Revision ID: 0017_lookup_pin
Revises: 0016_step_use
Create Date: 2026-12-03 18:10:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_lookup_pin"
down_revision = "0016_step_use"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("lookup_pin", sa.String(length=12), nullable=True))
    # Dossiers numbered before this revision get a PIN too (their receipts can be printed again).
    dossiers = sa.table("dossiers", sa.column("id", sa.Uuid()), sa.column("code"), sa.column("lookup_pin"))
    connection = op.get_bind()
    ids = connection.execute(sa.select(dossiers.c.id).where(dossiers.c.code.is_not(None))).scalars().all()
    for dossier_id in ids:
        connection.execute(
            dossiers.update()
            .where(dossiers.c.id == dossier_id)
            .values(lookup_pin=f"{secrets.randbelow(10**6):06d}")
        )


def downgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("lookup_pin")
