"""Step allotments are shares of the statutory time: along no path of its process may a procedure's
steps be allotted more working days than its `processing_days`.

A step's allotment is the one the due-date policy uses (`deadlines.allotment`): the procedure's
`step_allotments` for the element, else the element's `allotment` property in the BPMN. The path
whose allotments add up to the most is the engine's (`engine.allotments.longest_path`: subprocesses
expanded, the longest of exclusive or parallel branches, a loop's elements once each, boundary-event
paths such as the apology left out).

- The catalogue (`operations.create`, `update`, `load`) refuses a procedure that does not fit the
  latest deployed version of its `process_key` (422 naming the procedure and the path's elements
  with their days); a load is refused as a whole, every offending procedure listed, nothing written.
  A procedure whose process is not deployed yet is not checked (there is no path to sum).
- A deploy is never refused for it: a new version that makes an existing procedure's allotments
  exceed its time is deployed, and its report names each such procedure and path (`deploy_notes`),
  so that the administrator shrinks the shares; until then the catalogue refuses any change of
  that procedure's time, shares or process that does not make them fit (other fields may change),
  and its dossiers' steps keep their due dates (a dossier is due by its statutory time whatever
  its steps claim, and the late list always names a responsible step: reports/operations.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask import current_app

from .. import deadlines, runtime
from ..definitions.models import ProcessDefinition
from ..engine import CompiledDefinition
from ..engine.allotments import AllottedPath, declared_allotments, longest_path
from ..errors import Unprocessable
from ..extensions import db
from .models import Procedure


def latest_definition(process_key: str) -> tuple[int, CompiledDefinition] | None:
    """The latest deployed version of a process key and its compiled definition, if any."""
    row = db.session.execute(
        sa.select(ProcessDefinition.id, ProcessDefinition.version)
        .where(ProcessDefinition.key == process_key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.version, runtime.compiled(row.id))


def effective(
    definition: CompiledDefinition, step_allotments: Mapping[str, float] | None
) -> dict[str, float]:
    """The allotment of every element as the due-date policy reads it (deadlines.allotment)."""
    declared = declared_allotments(definition)
    max_days = current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]
    days = {}
    for element in set(declared) | set(step_allotments or {}):
        value = deadlines.allotment(
            element, {"allotment": declared.get(element)}, dict(step_allotments or {}), max_days
        )
        if value:
            days[element] = value
    return days


def overrun(
    code: str,
    processing_days: float,
    step_allotments: Mapping[str, float] | None,
    process_key: str,
    deployed: tuple[int, CompiledDefinition] | None,
) -> dict | None:
    """What is wrong with a procedure's shares against a deployed version (None if they fit)."""
    if deployed is None:
        return None
    version, definition = deployed
    path = longest_path(definition, effective(definition, step_allotments))
    if not path.exceeds(float(processing_days)):
        return None
    return _described(code, float(processing_days), process_key, version, path)


def _described(code: str, days: float, process_key: str, version: int, path: AllottedPath) -> dict:
    return {
        "code": code,
        "processing_days": days,
        "process_key": process_key,
        "version": version,
        "allotted_days": path.total,
        "path": [{"element": element, "days": share} for element, share in path.elements],
    }


def message(problem: dict) -> str:
    steps = ", ".join(f"{step['element']} {step['days']:g}" for step in problem["path"])
    return (
        f"Procedure {problem['code']} allots {problem['allotted_days']:g} working days along "
        f"{steps} (process {problem['process_key']} v{problem['version']}), more than its "
        f"{problem['processing_days']:g} statutory days: shrink its step_allotments."
    )


def check(records: list[dict]) -> None:
    """Refuse (422) the procedures, as they would be stored, whose shares exceed their time; every
    offending one is listed in `details.procedures`."""
    definitions: dict[str, tuple[int, CompiledDefinition] | None] = {}
    problems = []
    for record in records:
        key = record.get("process_key") or "dossier"
        if key not in definitions:
            definitions[key] = latest_definition(key)
        problem = overrun(
            record["code"], record["processing_days"], record.get("step_allotments"), key, definitions[key]
        )
        if problem is not None:
            problems.append(problem)
    if not problems:
        return
    text = (
        message(problems[0])
        if len(problems) == 1
        else (
            f"{len(problems)} procedures allot more working days to their steps than their statutory time: "
            + "; ".join(message(problem) for problem in problems)
        )
    )
    raise Unprocessable(text, code="allotments_exceed", details={"procedures": problems})


def deploy_notes(process_key: str, version_id: int, version: int) -> list[dict]:
    """The deploy report's lines for a new version: each procedure of the catalogue on this
    process key whose shares no longer fit (the deploy is kept; see the module's docstring)."""
    procedures = db.session.scalars(
        sa.select(Procedure)
        .where(Procedure.process_key == process_key, Procedure.valid_to.is_(None))
        .order_by(Procedure.code)
    ).all()
    if not procedures:
        return []
    deployed = (version, runtime.compiled(version_id))
    notes = []
    for procedure in procedures:
        problem = overrun(
            procedure.code, float(procedure.processing_days), procedure.step_allotments, process_key, deployed
        )
        if problem is not None:
            notes.append({"element_id": None, "message": "Warning: " + message(problem)})
    return notes
