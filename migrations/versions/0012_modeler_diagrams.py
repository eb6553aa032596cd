"""diagrams from other modelers: diagram-only files, and the variable camunda:initiator names

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "diagrams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("bpmn", sa.LargeBinary(), nullable=True),
        sa.Column("processes", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployed_by_id"],
            ["users.id"],
            name=op.f("fk_diagrams_deployed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagrams")),
        sa.UniqueConstraint("key", "checksum", name="uq_diagrams_key_checksum"),
        sa.UniqueConstraint("key", "version", name="uq_diagrams_key_version"),
    )
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("initiator_variable", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("initiator_variable")
    op.drop_table("diagrams")
