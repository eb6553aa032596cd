"""the QĐ 766 indicators: org units in a hierarchy, procedures offered fully online, what a dossier
records for the index (digitised, electronic result, fee payment, working days used), and the
indexes the period aggregates read

Revision ID: 0020_indicators
Revises: 0019_day_kind
Create Date: 2026-12-04 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_indicators"
down_revision = "0019_day_kind"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("org_units") as batch:
        # The unit above this one (its code): a province's departments and communes, a
        # department's offices. The indicators of a unit count its sub-units' dossiers too.
        batch.add_column(sa.Column("parent_code", sa.String(length=64), nullable=True))
        batch.create_index("ix_org_units_parent_code", ["parent_code"])
    # Offered as a full-process online public service (dịch vụ công trực tuyến toàn trình): its
    # dossiers are the denominator of the "fully online" indicator. A plain ADD COLUMN (SQLite
    # accepts a NOT NULL column with a default): a batch would copy the table, and SQLite refuses
    # to drop a table that dossiers still reference.
    op.add_column(
        "procedures",
        sa.Column("full_online", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.false()),
    )
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("digitised_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("e_result", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("fee_payment", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("worked_days", sa.Float(), nullable=True))
        # A period counts the dossiers received before its end and not finished before its start.
        batch.create_index("ix_dossiers_received_at", ["received_at"])
        batch.create_index("ix_dossiers_finished_at", ["finished_at"])
    op.create_index("ix_dossier_steps_ended_at", "dossier_steps", ["ended_at"])


def downgrade():
    op.drop_index("ix_dossier_steps_ended_at", table_name="dossier_steps")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_finished_at")
        batch.drop_index("ix_dossiers_received_at")
        for column in ("worked_days", "fee_payment", "e_result", "digitised_at"):
            batch.drop_column(column)
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("full_online")
    with op.batch_alter_table("org_units") as batch:
        batch.drop_index("ix_org_units_parent_code")
        batch.drop_column("parent_code")
