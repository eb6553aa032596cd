"""day_kind: how a process and a procedure read "ngày" (working or calendar days)

A process declares it (`dayKind` on the process element, read at deploy); a procedure of the
catalogue may set its own, which wins for its dossiers. NULL: not stated (the process's reading,
else working days). Definitions deployed before this revision state nothing: deploy them again to
record their `dayKind`.

Revision ID: 0019_day_kind
Revises: 0018_dossier_pauses
Create Date: 2026-12-04 17:05:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_day_kind"
down_revision = "0018_dossier_pauses"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_definitions") as batch_op:
        batch_op.add_column(sa.Column("day_kind", sa.String(length=16), nullable=True))
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.add_column(sa.Column("day_kind", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("procedures") as batch_op:
        batch_op.drop_column("day_kind")
    with op.batch_alter_table("process_definitions") as batch_op:
        batch_op.drop_column("day_kind")
