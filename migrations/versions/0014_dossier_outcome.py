"""dossier outcomes: how the handling ended where the status code does not say (approved or
refused at 9/10, guided at 1, stopped, withdrawn)

Revision ID: 0014_dossier_outcome
Revises: 0013_messages
Create Date: 2026-12-03 17:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_dossier_outcome"
down_revision = "0013_messages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch.create_index(batch.f("ix_dossiers_outcome"), ["outcome"], unique=False)
    # What the data already says: refusals at reception, withdrawals, stops.
    op.execute("UPDATE dossiers SET outcome = 'not_received' WHERE status = 3")
    op.execute("UPDATE dossiers SET outcome = 'withdrawn' WHERE status = 7")
    op.execute("UPDATE dossiers SET outcome = 'stopped' WHERE status = 8")


def downgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index(batch.f("ix_dossiers_outcome"))
        batch.drop_column("outcome")
