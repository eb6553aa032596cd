"""tasks: one index on (instance_id, state) instead of instance_id alone. An instance's open tasks
(its detail, a dossier's current steps, a step's projection) were found by combining the
instance's index with the state's, and PostgreSQL's estimate of 'open' tasks lags behind while
tasks are completed: a reception's read of its dossier's current steps took 0.8 ms scanning the
state index's entries (bench, 2026-12-06). The new index serves lookups by instance alone too.

Revision ID: 0034_tasks_instance_state
Revises: 0033_units_version
Create Date: 2026-12-06 01:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0034_tasks_instance_state"
down_revision = "0033_units_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tasks_instance_state", "tasks", ["instance_id", "state"])
    op.drop_index("ix_tasks_instance_id", table_name="tasks")


def downgrade():
    op.create_index("ix_tasks_instance_id", "tasks", ["instance_id"])
    op.drop_index("ix_tasks_instance_state", table_name="tasks")
