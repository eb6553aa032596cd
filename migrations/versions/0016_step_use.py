"""allot: the working days each round of a dossier's step used (dossiers.step_use)

Revision ID: 0016_step_use
Revises: 0015_external
Create Date: 2026-12-03 17:45:00

A step that opens again for the same dossier gets what remains of its share; the rounds so far are
kept on the dossier (element id -> {round start: working days used}). Existing dossiers get them
from their Mẫu 05 steps (dossier_steps): per element and round start, the longest instance.
"""

from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_step_use"
down_revision = "0015_external"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("step_use", sa.JSON(), nullable=True))
    steps = sa.table(
        "dossier_steps",
        sa.column("dossier_id", sa.Uuid()),
        sa.column("element_id", sa.String()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("used_days", sa.Float()),
        sa.column("allotted_days", sa.Float()),
    )
    dossiers = sa.table("dossiers", sa.column("id", sa.Uuid()), sa.column("step_use", sa.JSON()))
    bind = op.get_bind()
    uses: dict = {}
    query = sa.select(steps.c.dossier_id, steps.c.element_id, steps.c.started_at, steps.c.used_days).where(
        steps.c.allotted_days.is_not(None)
    )
    for dossier_id, element_id, started_at, used in bind.execute(query):
        if started_at.tzinfo is None:  # SQLite stores UTC naive
            started_at = started_at.replace(tzinfo=UTC)
        rounds = uses.setdefault(dossier_id, {}).setdefault(element_id, {})
        start = started_at.isoformat()
        rounds[start] = max(rounds.get(start, 0.0), used or 0.0)
    for dossier_id, use in uses.items():
        bind.execute(sa.update(dossiers).where(dossiers.c.id == dossier_id).values(step_use=use))


def downgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("step_use")
