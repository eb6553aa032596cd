"""dvcqg: the portal's id on a dossier, the status pushes to the portal and its supplements

Revision ID: 0027_dvcqg
Revises: 0026_attachment_signatures
Create Date: 2026-12-04 17:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027_dvcqg"
down_revision = "0026_attachment_signatures"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("portal_id", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_dossiers_portal_id"), ["portal_id"])
    op.create_table(
        "dvcqg_status_pushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_seconds", sa.Float(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("event_id", name=op.f("uq_dvcqg_status_pushes_event_id")),
    )
    op.create_index("ix_dvcqg_status_pushes_dossier_event", "dvcqg_status_pushes", ["dossier_id", "event_id"])
    op.create_index("ix_dvcqg_status_pushes_state_next", "dvcqg_status_pushes", ["state", "next_attempt_at"])
    op.create_table(
        "dvcqg_supplements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("supplement_id", sa.String(length=64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dossier_id", "supplement_id", name=op.f("uq_dvcqg_supplements_dossier_id")),
    )


def downgrade():
    op.drop_table("dvcqg_supplements")
    op.drop_index("ix_dvcqg_status_pushes_state_next", table_name="dvcqg_status_pushes")
    op.drop_index("ix_dvcqg_status_pushes_dossier_event", table_name="dvcqg_status_pushes")
    op.drop_table("dvcqg_status_pushes")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_constraint("uq_dossiers_portal_id", type_="unique")
        batch.drop_column("portal_id")
