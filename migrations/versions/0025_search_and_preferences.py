"""dossiers.search_text (find a dossier by code, applicant's name without accents, CCCD, phone)
and users.preferences (each user's saved filters of the dossier list and the worklist)

Revision ID: 0025_search_and_preferences
Revises: 0022_report_bundles
Create Date: 2026-12-04 17:10:00

"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_search_and_preferences"
down_revision = "0022_report_bundles"
branch_labels = None
depends_on = None


def _fold(text):
    # As service/dossiers/search.fold at this revision (kept here: a migration does not follow the code).
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain.casefold()).strip()


def _text_of(code, applicant):
    applicant = applicant if isinstance(applicant, dict) else {}
    phone = re.sub(r"\D", "", str(applicant.get("phone") or ""))
    parts = [code, applicant.get("name"), applicant.get("id_number"), applicant.get("old_id_number"), phone]
    return _fold(" ".join(str(part) for part in parts if part))[:1000]


def upgrade():
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("search_text", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("preferences", sa.JSON(), nullable=True))
    dossiers = sa.table(
        "dossiers",
        sa.column("id", sa.Uuid()),
        sa.column("code", sa.String()),
        sa.column("applicant", sa.JSON()),
        sa.column("search_text", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(dossiers.c.id, dossiers.c.code, dossiers.c.applicant)).all()
    for row in rows:
        connection.execute(
            sa.update(dossiers)
            .where(dossiers.c.id == row.id)
            .values(search_text=_text_of(row.code, row.applicant))
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("preferences")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("search_text")
