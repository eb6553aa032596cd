"""system identities: API token scopes and last use; the token recorded with what it did

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("token_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("token_id")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("scopes")
