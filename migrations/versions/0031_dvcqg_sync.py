"""dvcqg sync: every dossier's sync to the national portal, kept on the dossier (when the portal
first accepted a status push of it, the last status it has)

Revision ID: 0031_dvcqg_sync
Revises: 0029_payments_post_edms
Create Date: 2026-12-04 21:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0031_dvcqg_sync"
down_revision = "0029_payments_post_edms"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("dossiers", sa.Column("dvcqg_synced_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("dossiers", sa.Column("dvcqg_status", sa.Integer(), nullable=True))
    op.create_index("ix_dossiers_dvcqg_synced_at", "dossiers", ["dvcqg_synced_at"])
    # The portal's dossiers pushed before: synced when their first kept push was sent, or, when
    # the housekeeping purged every push of one, at its submission (it came from the portal and
    # its pushes went out); the portal has its status when none of its pushes waits.
    op.execute(
        """
        UPDATE dossiers SET dvcqg_synced_at = COALESCE(
            (SELECT MIN(p.sent_at) FROM dvcqg_status_pushes p
             WHERE p.dossier_id = dossiers.id AND p.state = 'sent'),
            CASE WHEN NOT EXISTS (SELECT 1 FROM dvcqg_status_pushes p WHERE p.dossier_id = dossiers.id)
                 THEN dossiers.submitted_at END)
        WHERE portal_id IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE dossiers SET dvcqg_status = status
        WHERE dvcqg_synced_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dvcqg_status_pushes p WHERE p.dossier_id = dossiers.id AND p.state <> 'sent')
        """
    )


def downgrade():
    op.drop_index("ix_dossiers_dvcqg_synced_at", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("dvcqg_status")
        batch.drop_column("dvcqg_synced_at")
