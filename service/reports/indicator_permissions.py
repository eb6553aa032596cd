"""Who may see which unit's indicators (GET /api/v1/reports/indicators, the dashboard page):

- administrators and the provincial reporting group ('reports', KSTTHC): the province and every
  unit;
- an officer: their own unit and the units below it (its sub-units), never the province's total
  nor another unit's (403);
- a token needs the scope `read` (every GET does: identity/scopes.py).

The dossiers behind the numbers follow the same rule (dossiers/permissions.py: officers see the
dossiers of their unit and its sub-units), so every number links to a list that holds them all.
"""

from __future__ import annotations

from ..dossiers.permissions import REPORTS_GROUP, sees_all, units_of
from ..errors import Forbidden


def may_see_indicators(user, unit: str | None) -> bool:
    if sees_all(user):
        return True
    return unit is not None and unit in units_of(user)


def require_indicators(user, unit: str | None) -> None:
    if may_see_indicators(user, unit):
        return
    if unit is None:
        raise Forbidden(
            f"The province's indicators are for administrators and the group '{REPORTS_GROUP}'; "
            "ask for your unit's (unit=<its code>)."
        )
    raise Forbidden(f"The indicators of unit {unit!r} are for its officers and those of the units above it.")


def default_unit(user) -> str | None:
    """The unit shown when none is asked for: the province for those who see it, else one's own."""
    return None if sees_all(user) else user.unit


def may_see_some(user) -> bool:
    """Whether the dashboard is for this user at all (the navigation shows it then)."""
    return sees_all(user) or bool(units_of(user))
