"""attachments.signatures: the PAdES signatures found in a PDF when it was stored, as checked then

Revision ID: 0026_attachment_signatures
Revises: 0025_search_and_preferences
Create Date: 2026-12-04 17:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026_attachment_signatures"
down_revision = "0025_search_and_preferences"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("signatures", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("signatures")
