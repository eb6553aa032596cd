"""Finding a dossier by what a clerk knows: its code, the applicant's name (accents optional:
"nguyen thi anh" finds "Nguyễn Thị Ánh"), CCCD number or phone.

Each dossier keeps `search_text`, its code and applicant's name, ID numbers and phone folded by
`fold` (no accents, đ as d, lower case, digits of phones only), written whenever the code or the
applicant changes (models.Dossier). A search folds the words typed the same way and asks that each
is found in it: the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

MAX_QUERY = 200
MAX_WORDS = 8
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower case, without accents (đ as d), spaces collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", plain.casefold()).strip()


def text_of(code: str | None, applicant: dict | None) -> str:
    """What a dossier is found by, folded."""
    applicant = applicant or {}
    phone = re.sub(r"\D", "", str(applicant.get("phone") or ""))
    parts = [
        code,
        applicant.get("name"),
        applicant.get("id_number"),
        applicant.get("old_id_number"),
        phone,
    ]
    return fold(" ".join(str(part) for part in parts if part))[:1000]


def words(query: str | None) -> list[str]:
    """The folded words of a search (a phone typed with spaces or dots is its digits, in pieces)."""
    return [word for word in fold((query or "")[:MAX_QUERY]).split(" ") if word][:MAX_WORDS]


def condition(column, query: str | None) -> sa.ColumnElement[bool] | None:
    """Each word of the search found in the column (None: nothing to search for)."""
    found = words(query)
    if not found:
        return None

    def like(word: str):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(f"%{escaped}%", escape="\\")

    return sa.and_(*(like(word) for word in found))
