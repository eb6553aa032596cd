"""The org units' tree: each unit's parent (`org_units.parent_code`), no cycles, and the units below
one (a unit's indicators and the dossiers its officers see count its sub-units: dossiers/permissions.py,
reports/indicators.py). Read once per unit of work; the writes of operations.py forget it."""

from __future__ import annotations

import sqlalchemy as sa

from .. import uow
from ..errors import NotFound, Unprocessable
from ..extensions import db
from .models import OrgUnit

_PARENTS = "identity.unit_parents"


def parents() -> dict[str, str | None]:
    """Every unit's code -> the code of the unit above it (one query per unit of work)."""

    def load() -> dict[str, str | None]:
        return dict(db.session.execute(sa.select(OrgUnit.code, OrgUnit.parent_code)).all())

    return uow.remember(_PARENTS, load)


def forget() -> None:
    """A unit was created or moved: read the tree again."""
    uow.forget(_PARENTS)


def check_parent(code: str, parent_code: str | None) -> str | None:
    """The parent a unit may be given: None (a top unit) or an existing unit that is neither the
    unit itself nor one of its sub-units (a cycle); 422 on the field parent_code otherwise."""
    parent_code = (parent_code or "").strip() or None
    if parent_code is None:
        return None
    forget()  # the unit may have just been created in this unit of work
    above = parents()
    if parent_code not in above:
        raise _refused(f"No such unit: {parent_code}. Create it first.")
    seen, current = set(), parent_code
    while current is not None and current not in seen:
        if current == code:
            raise _refused(f"{parent_code} is {code} or one of its sub-units: units cannot form a cycle.")
        seen.add(current)
        current = above.get(current)
    return parent_code


def subtree(code: str) -> list[str]:
    """The codes of a unit and of every unit below it, the unit first (NotFound if unknown)."""
    above = parents()
    if code not in above:
        raise NotFound(f"No unit with the code {code!r}.")
    below: dict[str | None, list[str]] = {}
    for child, parent in above.items():
        below.setdefault(parent, []).append(child)
    codes, queue = [], [code]
    while queue:
        current = queue.pop(0)
        if current in codes:
            continue
        codes.append(current)
        queue.extend(sorted(below.get(current, ())))
    return codes


def _refused(message: str) -> Unprocessable:
    return Unprocessable(message, code="validation_failed", details={"fields": {"parent_code": [message]}})
