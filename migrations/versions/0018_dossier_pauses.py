"""dossier_pauses: each time a dossier's clock stopped for the applicant, and when it restarted

The indicators judge a past period with the pauses as they were then (DOMAIN.md §2: a request
still open counts as the end), so each pause is kept, not only the running total on the dossier.

Revision ID: 0018_dossier_pauses
Revises: 0017_lookup_pin
Create Date: 2026-12-04 16:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_dossier_pauses"
down_revision = "0017_lookup_pin"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dossier_pauses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "dossier_id", sa.Uuid(), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("working_days", sa.Float(), nullable=True),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_dossier_pauses_dossier", "dossier_pauses", ["dossier_id", "started_at"])
    # A dossier paused now gets its open pause. Earlier, finished pauses were only kept as a total
    # (dossiers.paused_days) and cannot be recovered one by one: a dossier whose due moment moved
    # gets one closed pause, kind "carried", ending at its last change, that carries the moved due
    # moment (a period judged before that change sees the original due moment).
    dossiers = sa.table(
        "dossiers",
        sa.column("id", sa.Uuid()),
        sa.column("paused_at", sa.DateTime(timezone=True)),
        sa.column("status", sa.Integer()),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("original_due_at", sa.DateTime(timezone=True)),
        sa.column("paused_days", sa.Float()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    pauses = sa.table(
        "dossier_pauses",
        sa.column("dossier_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("ended_at", sa.DateTime(timezone=True)),
        sa.column("working_days", sa.Float()),
        sa.column("due_after", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    moved = connection.execute(
        sa.select(dossiers.c.id, dossiers.c.updated_at, dossiers.c.paused_days, dossiers.c.due_at).where(
            dossiers.c.paused_days > 0, dossiers.c.due_at != dossiers.c.original_due_at
        )
    ).all()
    for dossier_id, updated_at, paused_days, due_at in moved:
        connection.execute(
            pauses.insert().values(
                dossier_id=dossier_id, kind="carried", started_at=updated_at, ended_at=updated_at,
                working_days=paused_days, due_after=due_at,
            )
        )
    rows = connection.execute(
        sa.select(dossiers.c.id, dossiers.c.paused_at, dossiers.c.status).where(dossiers.c.paused_at.is_not(None))
    ).all()
    for dossier_id, paused_at, status in rows:
        kind = "financial" if status == 6 else "supplement"
        connection.execute(pauses.insert().values(dossier_id=dossier_id, kind=kind, started_at=paused_at))


def downgrade():
    op.drop_index("ix_dossier_pauses_dossier", table_name="dossier_pauses")
    op.drop_table("dossier_pauses")
