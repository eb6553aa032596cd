"""Consistency of dossiers with their histories, whoever wrote them: the real step pipeline (the
demo's history, service/demo/history.py) or the benchmark's generator (bench/generate.py).

`problems(cal)` reads every dossier with its Mẫu 05 steps, pauses, instance and open tasks (in an
app context) and returns what does not hold, one line each (an empty list: all consistent):
- a finished dossier's verdict is the calendar's verdict of its finished_at against its due_at;
  an open one has none; status, outcome and finished_at agree (dossiers/status.py);
- a numbered dossier's original due moment is its statutory days from when its clock started,
  its due moment that moved by its paused working days; its pauses add up to them, one pause is
  open exactly when it waits (status 5, paused_at), supplement_requests counts the supplements;
- every step's used days are the office time between its moments, its verdict the calendar's;
- every late dossier has a late step (the late list names an officer);
- a finished dossier's instance has ended with no open task (or still waits for its return or
  hand-back); an open one's instance runs with at least one open task (the paused one: the wait
  for the applicant).
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from service import deadlines
from service.dossiers.models import Dossier, DossierPause, DossierStep
from service.dossiers.status import FINISHED, DossierStatus
from service.extensions import db
from service.instances.models import ProcessInstance
from service.tasks.models import OPEN, Task

OUTCOME_STATUSES = {
    "guided": {1},
    "not_received": {3},
    "withdrawn": {7},
    "stopped": {8},
    "approved": {4, 9, 10},
    "refused": {4, 9, 10},
    None: {1, 2, 4, 5, 6},
}
TOLERANCE_DAYS = 0.001
AFTER_FINISH = {"return_result", "hand_back"}  # what a finished dossier may still wait for


def problems(cal) -> list[str]:
    steps, pauses, open_tasks = defaultdict(list), defaultdict(list), defaultdict(list)
    for step in db.session.scalars(sa.select(DossierStep)):
        steps[step.dossier_id].append(step)
    for pause in db.session.scalars(sa.select(DossierPause)):
        pauses[pause.dossier_id].append(pause)
    for task in db.session.scalars(sa.select(Task).where(Task.state == OPEN)):
        open_tasks[task.instance_id].append(task)
    states = dict(db.session.execute(sa.select(ProcessInstance.id, ProcessInstance.state)).all())
    found: list[str] = []
    for dossier in db.session.scalars(sa.select(Dossier)):
        name = dossier.code or str(dossier.id)
        found += [f"{name}: {p}" for p in _dossier(dossier, cal)]
        found += [f"{name}: {p}" for p in _pauses(dossier, pauses[dossier.id], cal)]
        found += [f"{name}: {p}" for p in _steps(dossier, steps[dossier.id], cal)]
        found += [f"{name}: {p}" for p in _instance(dossier, states.get(dossier.instance_id), open_tasks)]
    return found


def _dossier(dossier: Dossier, cal) -> list[str]:
    out = []
    finished = dossier.status in FINISHED or dossier.outcome == "guided"
    if finished != (dossier.finished_at is not None):
        out.append(f"status {dossier.status} ({dossier.outcome}) with finished_at {dossier.finished_at}")
    if dossier.status not in OUTCOME_STATUSES.get(dossier.outcome, set()):
        out.append(f"outcome {dossier.outcome} with status {dossier.status}")
    if dossier.finished_at is not None and dossier.due_at is not None:
        expected = cal.dossier_verdict(dossier.due_at, dossier.finished_at)
        if dossier.verdict != expected:
            out.append(f"verdict {dossier.verdict}, finished {dossier.finished_at} vs due {dossier.due_at}")
    elif dossier.verdict is not None:
        out.append(f"verdict {dossier.verdict} while open or never numbered")
    if (dossier.code is None) != (dossier.received_at is None):
        out.append("a code without reception or a reception without a code")
    if dossier.clock_started_at is not None:
        days = float(dossier.procedure.processing_days)
        if dossier.original_due_at != deadlines.dossier_due(dossier.clock_started_at, days, cal):
            out.append(f"original due {dossier.original_due_at} is not {days} days from its clock's start")
        moved = deadlines.resumed_due(dossier.original_due_at, dossier.paused_days, cal)
        if abs((moved - dossier.due_at).total_seconds()) > 60:
            out.append(f"due {dossier.due_at} is not the original moved by {dossier.paused_days} days")
        if dossier.clock_started_at != cal.reception_start(dossier.received_at):
            out.append("the clock did not start at the reception")
    if (dossier.paused_at is not None) != (dossier.status == DossierStatus.SUPPLEMENT):
        out.append(f"paused_at {dossier.paused_at} with status {dossier.status}")
    return out


def _pauses(dossier: Dossier, pauses: list, cal) -> list[str]:
    out = []
    running = [p for p in pauses if p.ended_at is None]
    if len(running) != (dossier.paused_at is not None) or (
        running and running[0].started_at != dossier.paused_at
    ):
        out.append(f"{len(running)} open pauses with paused_at {dossier.paused_at}")
    if dossier.supplement_requests != sum(p.kind == "supplement" for p in pauses):
        out.append(f"{dossier.supplement_requests} supplement requests, {len(pauses)} pauses")
    ended = [p for p in pauses if p.ended_at is not None]
    for pause in ended:
        if (
            abs(pause.working_days - cal.working_days_between(pause.started_at, pause.ended_at))
            > TOLERANCE_DAYS
        ):
            out.append(f"a pause of {pause.working_days} days from {pause.started_at} to {pause.ended_at}")
    if abs(sum(p.working_days for p in ended) - dossier.paused_days) > TOLERANCE_DAYS * (1 + len(ended)):
        out.append(f"paused_days {dossier.paused_days} is not the sum of its pauses")
    return out


def _steps(dossier: Dossier, steps: list, cal) -> list[str]:
    out = []
    for step in steps:
        used = cal.working_days_between(step.started_at, step.ended_at)
        if abs(used - step.used_days) > TOLERANCE_DAYS:
            out.append(f"step {step.element_id} used {step.used_days} days, its moments say {used:.4f}")
        if step.allotted_days is not None and step.verdict != cal.verdict(step.allotted_days, step.used_days):
            out.append(
                f"step {step.element_id} verdict {step.verdict} for {step.used_days}/{step.allotted_days}"
            )
        if step.ended_at < step.started_at:
            out.append(f"step {step.element_id} ends before it starts")
    if dossier.verdict == "late" and not any(step.verdict == "late" for step in steps):
        out.append("late without a late step")
    return out


def _instance(dossier: Dossier, state: str | None, open_tasks: dict) -> list[str]:
    tasks = open_tasks.get(dossier.instance_id, [])
    if dossier.finished_at is not None:
        # Done (9) waits for its return, withdrawn (7) for its hand-back: the instance still runs.
        waiting = {t.element_id for t in tasks}
        if state == "running" and waiting & AFTER_FINISH and waiting <= AFTER_FINISH | {"apology"}:
            return []
        if state not in {"completed", "terminated"} or tasks:
            return [f"finished, its instance {state} with open tasks {sorted(waiting)}"]
        return []
    if state != "running" or not tasks:
        return [f"open, its instance {state} with {len(tasks)} open tasks"]
    if dossier.paused_at is not None and not any(t.element_id == "await_supplement" for t in tasks):
        return ["paused without a wait for the applicant"]
    return []
