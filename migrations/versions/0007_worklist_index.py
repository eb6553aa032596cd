"""the orders of the web lists: open unclaimed tasks by due date, dossiers newest first

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 11:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_UNCLAIMED = "state = 'open' AND assignee_id IS NULL"


def upgrade():
    op.create_index(
        "ix_tasks_unclaimed_due",
        "tasks",
        ["due_at", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text(OPEN_UNCLAIMED),
        sqlite_where=sa.text(OPEN_UNCLAIMED),
    )
    op.create_index("ix_dossiers_submitted", "dossiers", ["submitted_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_dossiers_submitted", table_name="dossiers")
    op.drop_index(
        "ix_tasks_unclaimed_due",
        table_name="tasks",
        postgresql_where=sa.text(OPEN_UNCLAIMED),
        sqlite_where=sa.text(OPEN_UNCLAIMED),
    )
