"""notifications: deliveries by SMS / Zalo (one per event, recipient and channel), officers'
contacts, opt-outs

Revision ID: 0030_notifications
Revises: 0027_dvcqg
Create Date: 2026-12-04 18:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0030_notifications"
down_revision = "0027_dvcqg"
branch_labels = None
depends_on = None


def _when(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", False),
        _when("lease_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(64), nullable=True),
        _when("created_at", False),
        _when("sent_at"),
        sa.UniqueConstraint("event_id", "recipient", "channel"),
    )
    op.create_index(
        "ix_notification_deliveries_state_next", "notification_deliveries", ["state", "next_attempt_at"]
    )
    op.create_index("ix_notification_deliveries_dossier_id", "notification_deliveries", ["dossier_id"])
    op.create_table(
        "notification_contacts",
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("zalo", sa.Boolean(), nullable=False),
        _when("updated_at", False),
    )
    op.create_table(
        "notification_opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("note", sa.String(255), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=True),
        _when("created_at", False),
        sa.UniqueConstraint("phone", "channel"),
    )


def downgrade():
    op.drop_table("notification_opt_outs")
    op.drop_table("notification_contacts")
    op.drop_index("ix_notification_deliveries_dossier_id", "notification_deliveries")
    op.drop_index("ix_notification_deliveries_state_next", "notification_deliveries")
    op.drop_table("notification_deliveries")
