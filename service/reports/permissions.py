"""Who may read which report (routes and pages call these; the queries assume them).

- The late list of a calendar month, once published (stored on the 5th: `late_reports`): every
  signed-in officer. It is a public list (QĐ 242 I.7); a token needs the scope `read`.
- The late list worked out now (a month not yet published, `refresh`, or another kind of period):
  administrators. A month not yet published is 404 `not_published` for anyone else.
- The register (Mẫu 06): an officer reads the register of their own unit (the dossiers received
  by it); administrators read any unit's, or every unit's at once.
- The bundles (monthly and quarterly files): administrators and the group `reports` (the office
  that compiles the province's reports).
- The heatmap: administrators and the group `reports` for any unit; an officer for their unit.
"""

from __future__ import annotations

from ..dossiers.operations import national_code_of
from ..errors import Forbidden, NotFound

REPORTS_GROUP = "reports"


def may_read_all(user) -> bool:
    return bool(user.is_admin or REPORTS_GROUP in user.group_names)


def require_live_late(user, *, month: str | None) -> None:
    """The late list worked out now: administrators; a month not published is 404 to others."""
    if user.is_admin:
        return
    if month is not None:
        raise NotFound(
            f"The late list of {month} is not published yet (it is published on the 5th of the next month).",
            code="not_published",
        )
    raise Forbidden("Only an administrator may work out a late list now; officers read the published months.")


def require_register_reader(user) -> None:
    """Before the request is read: administrators, and officers of a unit with a national code."""
    if not user.is_admin and national_code_of(user) is None:
        raise Forbidden("The register is read by the officers of a unit; you belong to none.")


def register_unit(user, unit: str | None) -> str | None:
    """The unit (a national unit code, the dossiers' `unit_code`) whose register the user reads:
    the one asked for if allowed; an officer's own by default; None (every unit) for an
    administrator asking for none."""
    if user.is_admin:
        return unit or None
    own = national_code_of(user)
    if own is None:
        raise Forbidden("The register is read by the officers of a unit; you belong to none.")
    if unit and unit != own:
        raise Forbidden("An officer reads the register of their own unit only.")
    return own


def require_bundles(user) -> None:
    if not may_read_all(user):
        raise Forbidden(f"Report bundles are for administrators and the group '{REPORTS_GROUP}'.")


def heatmap_unit(user, unit: str | None) -> str | None:
    """The unit a heatmap covers: any (or all) for administrators and the group `reports`, an
    officer's own otherwise."""
    if may_read_all(user):
        return unit or None
    return register_unit(user, unit)
