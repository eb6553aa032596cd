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

    # Data: tokens of users deactivated before this revision are revoked now (deactivation revokes
    # them from now on, so reactivating someone brings none back), and the instances that drive
    # dossiers get the names of the variables the dossier service writes (no caller may set them).
    op.execute(
        "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL"
        " AND user_id IN (SELECT id FROM users WHERE is_active = false)"
    )
    instances = sa.table("process_instances", sa.column("id"), sa.column("system_variables", sa.JSON()))
    op.execute(
        instances.update()
        .where(instances.c.id.in_(sa.text("SELECT instance_id FROM dossiers")))
        .values(system_variables=DOSSIER_VARIABLES)
    )


# The variables dossiers.operations.receive and completion_variables write (as of this revision).
DOSSIER_VARIABLES = sorted(
    [
        "dossier_id",
        "procedure_code",
        "procedure_name",
        "processing_days",
        "channel",
        "applicant",
        "components",
        "dossier_code",
        "due_at",
        "apology_at",
        "reception_unit",
        "handling_unit",
    ]
)


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
