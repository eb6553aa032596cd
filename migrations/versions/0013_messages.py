"""messages: the messages each instance waits for, and the messages that start a process

Revision ID: 0013_messages
Revises: 0013
Create Date: 2026-12-03 17:00:00

Instances that exist before this revision have no waiting messages recorded (their
`waiting_messages` is NULL): their next step records them. Definitions deployed before it have
no `start_messages`: deploy them again to start them on a message.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_messages"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_waits",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_message_waits_instance_id_process_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_id", "name", name=op.f("pk_message_waits")),
    )
    op.create_index("ix_message_waits_name_instance", "message_waits", ["name", "instance_id"], unique=False)
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_messages", sa.JSON(), nullable=True))
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_messages", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("start_messages")
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.drop_column("waiting_messages")
    op.drop_index("ix_message_waits_name_instance", table_name="message_waits")
    op.drop_table("message_waits")
