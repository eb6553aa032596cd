"""tasks: one index on (instance_id, state) instead of instance_id alone. An instance's open tasks
(its detail, a dossier's current steps, a step's projection) were found by combining the
instance's index with the state's, and PostgreSQL's estimate of 'open' tasks lags behind while
tasks are completed: a reception's read of its dossier's current steps took 0.8 ms scanning the
state index's entries (bench, 2026-12-06). The new index serves lookups by instance alone too.

On PostgreSQL both index changes run CONCURRENTLY, outside the migration's transaction (Alembic's
autocommit block): the tasks table of a running service takes completions while the index builds,
instead of being locked against writes for the whole build. A build that failed halfway leaves an
invalid index of that name, which is dropped and built again.

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


def _replace(new: str, columns: list[str], old: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(new, "tasks", columns)
        op.drop_index(old, table_name="tasks")
        return
    with op.get_context().autocommit_block():
        # an invalid index left by a build that failed halfway would be kept by IF NOT EXISTS
        op.drop_index(new, table_name="tasks", postgresql_concurrently=True, if_exists=True)
        op.create_index(new, "tasks", columns, postgresql_concurrently=True)
        op.drop_index(old, table_name="tasks", postgresql_concurrently=True, if_exists=True)


def upgrade():
    _replace("ix_tasks_instance_state", ["instance_id", "state"], "ix_tasks_instance_id")


def downgrade():
    _replace("ix_tasks_instance_id", ["instance_id"], "ix_tasks_instance_state")
