"""Proposed changes to the catalogue, shown field by field to the officer who approves them, then
applied in one transaction as new versions (operations.update: the previous version is kept for
the dossiers received under it).

Two steps of the plan workflows propose them, each a user task with the property
`catalogueChange`:
- `national` (tthc_publication's localisation): the procedures the national TTHC database listed
  (the connector's answer in the instance variable named by the property `catalogueSource`,
  default `national_procedures`), mapped by `national.to_catalogue`: new, changed and withdrawn
  procedures; applied when the officer decides `catalogue_decision = "approve"`;
- `internal_procedure` (internal_procedure's "configure the electronic workflow"): the approved
  internal procedure's handling unit and step allotments (`handling_unit`, `step_allotments` as
  [{"element", "days"}]) for each of its `procedure_codes`; applied when the task is completed.

A change whose result would not fit its process (procedures/allotments.py) is shown with its
problem, and approving it is refused (422 `catalogue_change_refused`, every such procedure named):
nothing is applied, the task stays open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..audit.operations import fact
from ..errors import Unprocessable
from ..extensions import db
from ..identity.models import OrgUnit
from ..steps import Step
from . import allotments, national
from .models import Procedure
from .operations import CURRENT, FIELDS, create, same, update

PROPERTY, SOURCE_PROPERTY, DEFAULT_SOURCE = "catalogueChange", "catalogueSource", "national_procedures"
KINDS = ("national", "internal_procedure")
NEW, CHANGED, WITHDRAWN = "new", "changed", "withdrawn"


@dataclass
class Change:
    """One procedure's proposed change: what it is, field by field, and what is wrong with it."""

    code: str
    kind: str  # new, changed or withdrawn
    name: str
    version: int | None  # the current version it changes (None for a new procedure)
    fields: list[dict] = field(default_factory=list)  # {"field", "before", "after"}
    data: dict = field(default_factory=dict, repr=False)  # what is applied
    problem: str | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "fields": self.fields,
            "problem": self.problem,
        }


def kind_of(task) -> str | None:
    kind = (task.properties or {}).get(PROPERTY)
    return kind if kind in KINDS else None


def approved(kind: str, variables: Mapping) -> bool:
    return kind == "internal_procedure" or variables.get("catalogue_decision") == "approve"


def proposed(task, variables: Mapping) -> list[Change]:
    """The changes a task proposes, against the catalogue as it is now ([] if it proposes none)."""
    kind = kind_of(task)
    if kind == "national":
        source = (task.properties or {}).get(SOURCE_PROPERTY) or DEFAULT_SOURCE
        return _national(national.records(variables.get(source)))
    if kind == "internal_procedure":
        return _internal(variables)
    return []


def _current(codes) -> dict[str, Procedure]:
    rows = db.session.scalars(sa.select(Procedure).where(Procedure.code.in_(list(codes)), CURRENT))
    return {row.code: row for row in rows}


def _national(records: list[dict]) -> list[Change]:
    units = dict(db.session.execute(sa.select(OrgUnit.national_code, OrgUnit.code)).all())
    current = _current(r["MaTTHC"] for r in records)
    changes = []
    for record in records:
        data = national.to_catalogue(record, units)
        before = current.get(data["code"])
        if before is None:
            if data["active"]:
                fields = [
                    {"field": k, "before": None, "after": data[k]}
                    for k in (*national.NATIONAL_FIELDS, "unit_code")
                ]
                changes.append(_checked(Change(data["code"], NEW, data["name"], None, fields, data)))
            continue
        wanted = {k: data[k] for k in national.NATIONAL_FIELDS}
        if (before.day_kind or "working") == wanted["day_kind"]:
            wanted["day_kind"] = before.day_kind  # the same reading of "ngày"
        kind = WITHDRAWN if before.active and not data["active"] else CHANGED
        changes += _against(before, wanted, kind, data["name"])
    return changes


def _internal(variables: Mapping) -> list[Change]:
    codes = [c for c in variables.get("procedure_codes") or [] if isinstance(c, str)]
    shares = {
        item["element"]: item["days"]
        for item in variables.get("step_allotments") or []
        if isinstance(item, Mapping) and isinstance(item.get("element"), str)
    }
    wanted: dict = {"step_allotments": shares} if shares else {}
    unit = variables.get("handling_unit")
    if unit:
        wanted["unit_code"] = unit
    current = _current(codes)
    changes = []
    for code in codes:
        if code not in current:
            missing = Change(code, CHANGED, code, None, problem=f"Procedure {code} is not in the catalogue.")
            changes.append(missing)
            continue
        found = _against(current[code], wanted, CHANGED, current[code].name)
        if found and unit and db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == unit)) is None:
            found[0].problem = f"Procedure {code}: the handling unit {unit} is not an org unit."
        changes += found
    return changes


def _against(before: Procedure, wanted: dict, kind: str, name: str) -> list[Change]:
    fields = [
        {"field": k, "before": _plain(getattr(before, k)), "after": v}
        for k, v in wanted.items()
        if not same(k, getattr(before, k), v)
    ]
    if not fields:
        return []
    data = {f["field"]: f["after"] for f in fields}
    return [_checked(Change(before.code, kind, name, before.version, fields, data), before)]


def _checked(change: Change, before: Procedure | None = None) -> Change:
    """The change with what is wrong with its result: its step allotments against its process."""
    stored = {k: _plain(getattr(before, k)) for k in FIELDS} if before is not None else {}
    stored.update(code=change.code, **change.data)
    if stored.get("processing_days") is None:
        change.problem = f"Procedure {change.code} has no statutory processing time."
        return change
    problem = allotments.overrun(
        change.code,
        float(stored["processing_days"]),
        stored.get("step_allotments"),
        stored.get("process_key") or "dossier",
        allotments.latest_definition(stored.get("process_key") or "dossier"),
    )
    if problem is not None:
        change.problem = allotments.message(problem)
    return change


def _plain(value):
    return float(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int) else value


def for_task(task, instance) -> dict:
    """What a task proposes, for its page and the API (computed now; applied only on approval)."""
    found = proposed(task, instance.variables or {}) if task.state == "open" else []
    return {
        "task_id": task.id,
        "kind": kind_of(task),
        "changes": [c.as_dict() for c in found],
        "refused": any(c.problem for c in found),
    }


def refuse_problems(changes: list[Change]) -> None:
    """422 naming every change that cannot be applied (nothing is applied)."""
    bad = [c for c in changes if c.problem]
    if bad:
        raise Unprocessable(
            "The catalogue change cannot be approved: " + " ".join(c.problem for c in bad),
            code="catalogue_change_refused",
            details={"procedures": [c.as_dict() for c in bad]},
        )


def check_completion(task, instance, variables: dict) -> None:
    """A completion check (stages.PIPELINE): approving a change that cannot be applied is refused."""
    kind = kind_of(task)
    if kind is None:
        return
    merged = {**(instance.variables or {}), **variables}
    if approved(kind, merged):
        refuse_problems(proposed(task, merged))


def apply_approved(step: Step) -> None:
    """A stage: the change the completed task approved becomes new versions of the catalogue."""
    task = step.completed_task
    if task is None or (kind := kind_of(task)) is None:
        return
    variables = step.result.variables
    if not approved(kind, variables):
        return
    changes = proposed(task, variables)
    refuse_problems(changes)
    source = "national" if kind == "national" else "internal_procedure"
    applied = []
    for change in changes:
        if change.kind == NEW:
            procedure = create(change.data, check=False, source=source, now=step.now)
        else:
            procedure = update(
                _current([change.code])[change.code], change.data, check=False, source=source, now=step.now
            )
        applied.append({"code": procedure.code, "version": procedure.version, "kind": change.kind})
    step.audit.append(
        fact(
            "catalogue_changed",
            at=step.now,
            instance_id=step.instance.id,
            task_id=task.id,
            element_id=task.element_id,
            data={"source": source, "procedures": applied},
        )
    )
