"""server-side sessions; start rights, start forms and protected variables of definitions; the
variables the service wrote into an instance

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starter_groups", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("starter_users", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("start_form", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("protected_variables", sa.JSON(), nullable=True))
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("system_variables", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.drop_column("system_variables")
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("protected_variables")
        batch_op.drop_column("start_form")
        batch_op.drop_column("starter_users")
        batch_op.drop_column("starter_groups")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
