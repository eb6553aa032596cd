"""dossier slips: the number of sets received, the register's book and line, the re-appointment

- `sets`: the number of sets (số bộ hồ sơ) the counter received, printed on Mẫu 01 and Mẫu 06;
- `register_book`, `register_number`: the line of the unit's register (Sổ theo dõi hồ sơ) where
  the dossier was entered when it was registered: the book is the unit's year, the number the
  dossier's rank in it, given once from `dossier_register_sequences` and printed the same on
  Mẫu 01 ("Quyển số … Số thứ tự …") and Mẫu 06 (STT);
- `appointed_at`, `apologised_at`: the new return appointment of the apology (Mẫu 04), the only
  one allowed, and when it was issued; `due_at` keeps the statutory due moment.

Registered dossiers are numbered here in the order of their reception, per unit and year.

Revision ID: 0021_dossier_slips
Revises: 0020_indicators
Create Date: 2026-12-04 17:05:00

"""

from collections import defaultdict
from datetime import timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_dossier_slips"
down_revision = "0020_indicators"
branch_labels = None
depends_on = None

VIETNAM = timezone(timedelta(hours=7))  # the register's year is the office's (no DST since 1975)


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("sets", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("register_book", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("register_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("apologised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "dossier_register_sequences",
        sa.Column("unit_code", sa.String(length=64), primary_key=True),
        sa.Column("book", sa.String(length=16), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False, server_default="0"),
    )
    dossiers = sa.table(
        "dossiers",
        sa.column("id", sa.Uuid()),
        sa.column("unit_code", sa.String()),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("register_book", sa.String()),
        sa.column("register_number", sa.Integer()),
    )
    sequences = sa.table(
        "dossier_register_sequences",
        sa.column("unit_code", sa.String()),
        sa.column("book", sa.String()),
        sa.column("last", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(dossiers.c.id, dossiers.c.unit_code, dossiers.c.received_at)
        .where(dossiers.c.received_at.is_not(None))
        .order_by(dossiers.c.received_at, dossiers.c.id)
    ).all()
    last: dict[tuple[str, str], int] = defaultdict(int)
    for dossier_id, unit_code, received_at in rows:
        moment = received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc)
        book = str(moment.astimezone(VIETNAM).year)
        last[unit_code, book] += 1
        connection.execute(
            dossiers.update()
            .where(dossiers.c.id == dossier_id)
            .values(register_book=book, register_number=last[unit_code, book])
        )
    if last:
        connection.execute(
            sequences.insert(),
            [{"unit_code": unit, "book": book, "last": n} for (unit, book), n in last.items()],
        )


def downgrade():
    op.drop_table("dossier_register_sequences")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("apologised_at")
        batch.drop_column("appointed_at")
        batch.drop_column("register_number")
        batch.drop_column("register_book")
        batch.drop_column("sets")
