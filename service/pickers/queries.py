"""The options of the pickers a form declares (`"x-picker": "<kind>"` on a property of its JSON
Schema), for one task: what the officer acting on it may choose from.

- `specialist`: the active officers of the task's unit (the caller's unit for a task scoped to
  none) in the picker's group (`x-picker-group`, default "specialists"), by name, each with the
  number of open tasks assigned to them (their workload);
- `components`: the components of the procedure of the dossier the task's instance drives (name,
  original/copy form, quantity);
- `agency`: the catalogue's agencies (the org units), by name.

The server still judges what is submitted (the form's own keywords, e.g. format "username" and
"org_unit"); a picker only offers the known choices.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..dossiers.models import Dossier
from ..extensions import db
from ..identity.models import Group, OrgUnit, User, user_groups
from ..tasks.models import OPEN, Task

KINDS = ("specialist", "components", "agency")
DEFAULT_GROUP = "specialists"


def declared(schema: dict | None) -> dict[str, dict]:
    """field -> {"kind", "group", "multiple"} for the top-level properties that name a picker
    (on the property, or on the items of an array)."""
    found: dict[str, dict] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        kind = prop.get("x-picker") or items.get("x-picker")
        if kind not in KINDS:
            continue
        group = prop.get("x-picker-group") or items.get("x-picker-group") or DEFAULT_GROUP
        found[name] = {"kind": kind, "group": str(group), "multiple": prop.get("type") == "array"}
    return found


def specialists(unit: str | None, group: str = DEFAULT_GROUP) -> list[dict]:
    """The active officers of a unit in a group, by name, with their open tasks (two queries)."""
    if not unit:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.username, User.display_name)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .join(user_groups, user_groups.c.user_id == User.id)
        .join(Group, Group.id == user_groups.c.group_id)
        .where(User.is_active.is_(True), OrgUnit.code == unit, Group.name == group)
    ).all()
    if not rows:
        return []
    load = dict(
        db.session.execute(
            sa.select(Task.assignee_id, sa.func.count())
            .where(Task.state == OPEN, Task.assignee_id.in_([row.id for row in rows]))
            .group_by(Task.assignee_id)
        ).all()
    )
    found = [
        {
            "value": row.username,
            "label": row.display_name or row.username,
            "open_tasks": int(load.get(row.id, 0)),
        }
        for row in rows
    ]
    return sorted(found, key=lambda item: (item["label"].casefold(), item["value"]))


def components(instance_id) -> list[dict]:
    """The components of the procedure of the dossier an instance drives (none without one)."""
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == instance_id))
    if dossier is None:
        return []
    found, seen = [], set()
    for item in dossier.procedure.components or []:
        name = (item.get("name") or "").strip()
        if not name or name in seen:
            continue
        seen.add(name)
        found.append(
            {
                "value": name,
                "label": name,
                "form": item.get("form") or "",
                "quantity": item.get("quantity") or 1,
            }
        )
    return found


def agencies() -> list[dict]:
    """The org units, by name."""
    rows = db.session.execute(sa.select(OrgUnit.code, OrgUnit.name).order_by(OrgUnit.name, OrgUnit.code))
    return [{"value": code, "label": name or code} for code, name in rows]


def options(picker: dict, *, task, user) -> list[dict]:
    """The options of one declared picker for a task the caller may act on."""
    kind = picker["kind"]
    if kind == "specialist":
        return specialists(task.unit or user.unit, picker.get("group") or DEFAULT_GROUP)
    if kind == "components":
        return components(task.instance_id)
    return agencies()


def for_form(schema: dict | None, *, task, user) -> dict[str, dict]:
    """field -> {**picker, "items": options} for every picker a task's form declares."""
    return {
        name: {**picker, "items": options(picker, task=task, user=user)}
        for name, picker in declared(schema).items()
    }
