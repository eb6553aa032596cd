"""payments, the post's tracking number and the document system's number of a dossier; a
procedure's fee as a sum

Revision ID: 0029_payments_post_edms
Revises: 0028_procedure_versions
Create Date: 2026-12-04 18:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0029_payments_post_edms"
down_revision = "0028_procedure_versions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(sa.Column("fee_amount", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("tracking_number", sa.String(64), nullable=True))
        batch.add_column(sa.Column("shipment_status", sa.String(32), nullable=True))
        batch.add_column(sa.Column("edms_number", sa.String(100), nullable=True))
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("receipt_number", sa.String(100), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callbacks", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("payment_id", name="uq_payments_payment_id"),
    )
    op.create_index("ix_payments_dossier", "payments", ["dossier_id", "purpose"])


def downgrade():
    op.drop_index("ix_payments_dossier", table_name="payments")
    op.drop_table("payments")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("edms_number")
        batch.drop_column("shipment_status")
        batch.drop_column("tracking_number")
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("fee_amount")
