"""What a user keeps for themselves (users.preferences): the saved filters of the dossier list and
the worklist, each a name and the page's query string. Reads and writes of the user's own row; the
page re-reads a saved query through its own filters, so a stale or odd one is harmless."""

from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa

from ..errors import NotFound, Unprocessable
from ..extensions import db
from .models import User

PAGES = ("dossiers", "worklist")
MAX_FILTERS = 20
MAX_NAME = 60
MAX_QUERY = 500


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


def saved_filters(user_id: int, page: str) -> list[dict]:
    """[{"name", "query"}] a user saved for a page, in the order saved."""
    preferences = db.session.scalar(sa.select(User.preferences).where(User.id == user_id)) or {}
    found = ((preferences.get("filters") or {}).get(page)) or []
    return [item for item in found if isinstance(item, dict) and item.get("name")]


def save_filter(user_id: int, page: str, name: str, arguments: dict) -> dict:
    """Keep a page's filters under a name (the same name replaces the earlier one)."""
    name = (name or "").strip()
    if page not in PAGES:
        raise NotFound(f"There is no page {page!r} with saved filters.")
    if not name or len(name) > MAX_NAME:
        raise Unprocessable(
            f"A saved filter needs a name of 1 to {MAX_NAME} characters.",
            details={"fields": {"name": ["Length must be between 1 and 60."]}},
        )
    query = urlencode({k: v for k, v in arguments.items() if v not in (None, "") and k != "page"})
    if len(query) > MAX_QUERY:
        raise Unprocessable("These filters are too long to save.")
    user = _user(user_id)
    preferences = dict(user.preferences or {})
    filters = dict(preferences.get("filters") or {})
    kept = [item for item in filters.get(page) or [] if item.get("name") != name]
    if len(kept) >= MAX_FILTERS:
        raise Unprocessable(f"At most {MAX_FILTERS} filters can be saved for a page; delete one first.")
    item = {"name": name, "query": query}
    filters[page] = [*kept, item]
    preferences["filters"] = filters
    user.preferences = preferences  # a new dict: the JSON column is written
    db.session.flush()
    return item


def delete_filter(user_id: int, page: str, name: str) -> None:
    user = _user(user_id)
    preferences = dict(user.preferences or {})
    filters = dict(preferences.get("filters") or {})
    filters[page] = [item for item in filters.get(page) or [] if item.get("name") != name]
    preferences["filters"] = filters
    user.preferences = preferences
    db.session.flush()
