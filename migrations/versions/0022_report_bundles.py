"""report_bundles: the monthly and quarterly report files the workers generate, with their checksum

Revision ID: 0022_report_bundles
Revises: 0021_dossier_slips
Create Date: 2026-12-04 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_report_bundles"
down_revision = "0021_dossier_slips"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_bundles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=128), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("period", name=op.f("uq_report_bundles_period")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_report_bundles_storage_key")),
    )


def downgrade():
    op.drop_table("report_bundles")
