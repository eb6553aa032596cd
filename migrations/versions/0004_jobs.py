"""asynchronous work: service calls, worker heartbeats, late reports; SLA marks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:30:36.512701

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "late_reports",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_late_reports")),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_table(
        "service_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=255), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_seconds", sa.Float(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_service_calls_instance_id_process_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_calls")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_service_calls_idempotency_key")),
        sa.UniqueConstraint("instance_id", "task_id", name="uq_service_calls_instance_task"),
    )
    with op.batch_alter_table("service_calls", schema=None) as batch_op:
        batch_op.create_index("ix_service_calls_state_next", ["state", "next_attempt_at"], unique=False)

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla", sa.String(length=16), nullable=True))

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla", sa.String(length=16), nullable=True))


def downgrade():

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("sla")

    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("sla")

    with op.batch_alter_table("service_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_service_calls_state_next")

    op.drop_table("service_calls")
    op.drop_table("worker_heartbeats")
    op.drop_table("late_reports")
