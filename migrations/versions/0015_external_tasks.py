"""external tasks: service tasks published on a topic for outside workers

Revision ID: 0015_external
Revises: 0014_dossier_outcome
Create Date: 2026-12-03 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_external"
down_revision = "0014_dossier_outcome"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "external_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("form_key", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_external_tasks_instance_id_process_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["locked_by_id"],
            ["users.id"],
            name=op.f("fk_external_tasks_locked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_tasks")),
        sa.UniqueConstraint("instance_id", "task_id", name="uq_external_tasks_instance_task"),
    )
    with op.batch_alter_table("external_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_external_tasks_topic_state", ["topic", "state"], unique=False)
        batch_op.create_index("ix_external_tasks_state_updated", ["state", "updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("external_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_external_tasks_state_updated")
        batch_op.drop_index("ix_external_tasks_topic_state")
    op.drop_table("external_tasks")
