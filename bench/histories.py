"""The rows of one generated dossier's history, as the dossier process and its step pipeline write
them (bench/generate.py writes them in bulk).

`Player.play(index)` tells the story of service/demo/mix.py's plan number `index` along
bpmn/dossier.bpmn's paths and returns what the real pipeline would have left in the database at
`end`: the dossier row (status, outcome, code, clock, due moments, pauses, verdict, step_use), its
Mẫu 05 steps (allotted days: what remained of the step's share, used days and verdict from the
calendar), its pauses, its instance row, and the open tasks with their candidate groups for a
dossier still open. The bookkeeping is service/dossiers/follow.py's and service/deadlines.py's
(their functions are called, not copied): the clock starts at `reception_start`, the due moment is
`dossier_due`, moved by `resumed_due` after each pause; a step's allotment is `deadlines.allotment`,
a reopened step's `deadlines.remaining`; the apology timer (Mẫu 04) fires at `apology_due` while
the processing runs and is not paused, once. The result step records an electronic result
(`e_result`) for the plans that issue one (`mix.Plan.e_result`), as the demo does with its keys.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service import deadlines
from service.demo import mix
from service.dossiers.codes import format_code

# What each step's rows hold besides its element (from the deployed definition: Catalogue.templates).
UNIT_OF = {  # the process variable naming each task's org unit (`unitVariable`)
    "receive": "reception",
    "digitise": "reception",
    "await_supplement": "reception",
    "return_result": "reception",
    "hand_back": "reception",
    "assign": "handling",
    "apology": "handling",
    "appraise": "handling",
    "approve": "handling",
    "issue_result": "handling",
    "issue_refusal": "handling",
    "issue_stop_notice": "handling",
    "consult": "agency",
}
ISSUE = {"approve": "issue_result", "refuse": "issue_refusal", "stop": "issue_stop_notice"}
OUTCOME = {"approve": "approved", "refuse": "refused", "stop": "stopped"}


@dataclass
class Catalogue:
    """What the generator reads once from the database: the procedures, the org units' names and
    national codes, the demo officers, the dossier definition and its human tasks' templates."""

    definition_id: int
    procedures: dict  # code -> (id, unit_code, processing_days, step_allotments, components)
    templates: dict  # element_id -> {name, lane, candidate_groups, form_key, documentation, properties}
    unit_names: dict  # org unit code -> name
    officers: dict  # handling unit code -> {role: (username, user id)}
    agency: str  # the unit consulted
    coordinator: str  # its officer
    clerk_id: int | None  # the demo clerk, who receives (created_by, started_by)
    max_days: float


@dataclass
class Rows:
    dossier: dict
    instance: dict
    steps: list = field(default_factory=list)
    pauses: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    candidates: list = field(default_factory=list)


class Player:
    """Plays plans into rows: `units` is [(code, national code, weight)], `arrival(index)` gives a
    dossier's unit and submission moment; `end` is the data set's now."""

    def __init__(self, catalogue: Catalogue, cal, seed: int, end: datetime, arrival, codes: dict):
        self.cat, self.cal, self.seed, self.end, self.arrival = catalogue, cal, seed, end, arrival
        self.codes = codes  # (national code, local date) -> last number given

    def play(self, index: int) -> Rows:
        unit, national, submitted, procedure_code = self.arrival(index)
        proc_id, handling, days, allotments, components = self.cat.procedures[procedure_code]
        plan = mix.plan(self.seed, index, consults=bool((allotments or {}).get("consult")))
        return _Story(
            self,
            plan,
            index,
            unit,
            national,
            submitted,
            procedure_code,
            proc_id,
            handling,
            days,
            allotments,
            components,
        ).play()


class _Story:
    """One dossier's timeline (the moments follow the plan and mix.done_at, as in the demo)."""

    def __init__(
        self,
        player,
        plan,
        index,
        unit,
        national,
        submitted,
        code,
        proc_id,
        handling,
        days,
        allotments,
        components,
    ):
        self.p, self.cal, self.plan, self.end = player, player.cal, plan, player.end
        self.ids = random.Random(f"ids:{player.seed}:{index}")
        self.unit, self.national, self.handling, self.days = unit, national, handling, float(days)
        self.allotments = allotments or {}
        dossier_id, instance_id = self._uuid(), self._uuid()
        self.d = {
            "id": dossier_id,
            "code": None,
            "unit_code": national,
            "procedure_id": proc_id,
            "instance_id": instance_id,
            "applicant": mix.applicant(player.seed, index),
            "channel": plan.channel,
            "components": components,
            "status": 1,
            "submitted_at": submitted,
            "received_at": None,
            "clock_started_at": None,
            "due_at": None,
            "original_due_at": None,
            "paused_at": None,
            "paused_days": 0.0,
            "supplement_requests": 0,
            "finished_at": None,
            "returned_at": None,
            "verdict": None,
            "lookup_pin": None,
            "outcome": None,
            "e_result": None,
            "sla": None,
            "created_by_id": player.cat.clerk_id,
            "updated_at": submitted,
            "step_use": None,
        }
        variables = {
            "dossier_id": str(dossier_id),
            "procedure_code": code,
            "channel": plan.channel,
            "reception_unit": unit,
            "handling_unit": handling,
        }
        self.i = {
            "id": instance_id,
            "definition_id": player.cat.definition_id,
            "business_key": str(dossier_id),
            "state": "running",
            "version": 1,
            "engine_state": PLACEHOLDER,
            "variables": variables,
            "error": None,
            "system_variables": sorted(variables),
            "next_timer_at": None,
            "waiting_messages": None,
            "started_by_id": self.d["created_by_id"],
            "created_at": submitted,
            "updated_at": submitted,
            "ended_at": None,
        }
        self.rows = Rows(self.d, self.i)
        self.segments: list = []  # (start, end or None, due): the processing runs, not paused
        self.handling_end: datetime | None = None  # when the handling ended (return, stop, withdrawal)
        self.appraisals = 0
        self.opened: set[str] = set()  # the elements opened so far (a withdrawal comes at the first)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)

    # -- the process's path --------------------------------------------------------------------

    def play(self) -> Rows:
        self._path()
        self._apology()
        self.i["updated_at"] = max(self.i["updated_at"], self.d["updated_at"])
        return self.rows

    def _path(self) -> None:
        t = self.d["submitted_at"]
        done = self._step("receive", t)
        if done is None:
            return
        if self.plan.reception != "accept":
            self.d["outcome"] = "guided" if self.plan.reception == "guide" else "not_received"
            self._status(1 if self.plan.reception == "guide" else 3, done)
            self._finished(done)
            return self._completed(done)
        self._register(done)
        t = self._step("digitise", done)
        if t is None:
            return
        self.segments.append([t, None, self.d["due_at"]])  # the processing starts: the timer is armed
        self._status(4, t)
        t = self._step("assign", t)
        while t is not None and self.appraisals < len(self.plan.rounds):
            decision = self.plan.rounds[self.appraisals]
            final = self.appraisals == len(self.plan.rounds) - 1
            self._status(4, t)
            t = self._step("appraise", t, final_round=final)
            self.appraisals += 1
            if t is None or decision.startswith("propose_"):
                break
            t = self._supplement(t) if decision == "request_supplement" else self._step("consult", t)
        if t is not None:
            t = self._step("approve", t)
        if t is not None:
            issue = ISSUE[self.plan.decision]
            self.d["outcome"] = OUTCOME[self.plan.decision]
            t = self._step(issue, t)
            if t is not None and issue == "issue_result":  # the result step's signature, checked
                self.d["e_result"] = self.plan.e_result
        if t is not None:
            self._end_processing(t)
            if self.plan.decision == "stop":
                self._status(8, t)
                self._finished(t)
                self.handling_end = t
                return self._completed(t)
            self._status(9, t)
            self._finished(t)
            t = self._step("return_result", t)
            if t is not None:
                self._status(10, t)
                self.d["returned_at"] = self.handling_end = t
                self._completed(t)

    def _step(self, element: str, opened: datetime, *, final_round: bool = False) -> datetime | None:
        """A task opens at `opened`: its moment done (its Mẫu 05 row written), or None when it is
        still open at the end (its task row written) or the applicant withdrew meanwhile."""
        share = deadlines.allotment(element, self._props(element), self.allotments, self.p.cat.max_days)
        allotted = deadlines.remaining(share, self._used_before(element, opened))
        if element == self.plan.withdraw_at and element not in self.opened:
            self.opened.add(element)  # the applicant withdraws while it is open
            moment = self.cal.add_working_days(opened, self.plan.used(element, allotted) / 2)
            if moment > self.end:
                self._open(element, opened, share)
            else:
                self._record(element, opened, moment, share, allotted, "cancelled")
                self._withdraw(moment)
            return None
        self.opened.add(element)
        done, used = mix.timing(
            self.plan, element, opened, allotted, self.d["due_at"], self.cal, final_round=final_round
        )
        if done > self.end:
            self._open(element, opened, share)
            return None
        self._record(element, opened, done, share, allotted, "completed", used)
        self.d["updated_at"] = done
        return done

    def _supplement(self, t: datetime) -> datetime | None:
        """The applicant is asked for a supplement at t: the clock pauses until it is brought."""
        self._status(5, t)
        self.d["paused_at"] = t
        self.d["supplement_requests"] += 1
        self.segments[-1][1] = t
        pause = {
            "dossier_id": self.d["id"],
            "kind": "supplement",
            "started_at": t,
            "ended_at": None,
            "working_days": None,
            "due_after": None,
        }
        self.rows.pauses.append(pause)
        back = self._step("await_supplement", t)
        if back is None:
            return None
        paused = max(self.cal.working_days_between(t, back), 0.0)
        self.d["paused_days"] += paused
        if paused > 0:
            self.d["due_at"] = deadlines.resumed_due(self.d["due_at"], paused, self.cal)
        self.d["paused_at"] = None
        pause["ended_at"], pause["working_days"] = back, round(paused, 4)
        pause["due_after"] = self.d["due_at"]
        self.segments.append([back, None, self.d["due_at"]])
        return back

    def _withdraw(self, moment: datetime) -> None:
        self._end_processing(moment)
        self.handling_end = moment
        self.d["outcome"] = "withdrawn"
        self._status(7, moment)
        self._finished(moment)
        done = self._step("hand_back", moment)
        if done is not None:
            self._completed(done)

    # -- the dossier's bookkeeping (service/dossiers/follow.py) ----------------------------------

    def _register(self, moment: datetime) -> None:
        d, cal = self.d, self.cal
        d["status"], d["received_at"] = 2, moment
        d["clock_started_at"] = cal.reception_start(moment)
        d["due_at"] = d["original_due_at"] = deadlines.dossier_due(d["clock_started_at"], self.days, cal)
        day = cal.local(moment).date()
        number = self.p.codes[(self.national, day)] = self.p.codes.get((self.national, day), 0) + 1
        d["code"] = format_code(self.national, day, number)
        d["lookup_pin"] = f"{self.ids.randrange(10**6):06d}"
        self.i["business_key"] = d["code"]

    def _status(self, status: int, moment: datetime) -> None:
        self.d["status"], self.d["updated_at"] = status, moment

    def _finished(self, moment: datetime) -> None:
        self.d["finished_at"] = moment
        if self.d["due_at"] is not None:
            self.d["verdict"] = self.cal.dossier_verdict(self.d["due_at"], moment)

    def _end_processing(self, moment: datetime) -> None:
        if self.segments and self.segments[-1][1] is None:
            self.segments[-1][1] = moment

    def _completed(self, moment: datetime) -> None:
        self.i.update(state="completed", ended_at=moment, updated_at=moment)

    def _apology(self) -> None:
        """The apology timer fires once, at apology_due(due) or when armed if that has passed, while
        the processing runs unpaused; its task ends when the head writes Mẫu 04, or is cancelled
        with the handling."""
        for start, stop, due in self.segments:
            paused = self.cal.working_days_between(self.d["original_due_at"], due)  # so far
            fire = max(start, deadlines.apology_due(due, self.cal, self.d["clock_started_at"], paused))
            if fire < (stop or self.end):
                break
        else:
            return
        share = deadlines.allotment("apology", self._props("apology"), self.allotments, self.p.cat.max_days)
        done, used = mix.timing(self.plan, "apology", fire, share, due, self.cal, final_round=False)
        if self.handling_end is not None and self.handling_end < done:
            self._record("apology", fire, self.handling_end, share, share, "cancelled")
        elif done <= self.end:
            self._record("apology", fire, done, share, share, "completed", used)
        elif self.handling_end is None:
            self._open("apology", fire, share)

    def _used_before(self, element: str, opened: datetime) -> float:
        rounds = (self.d["step_use"] or {}).get(element) or {}
        return sum(used for start, used in rounds.items() if datetime.fromisoformat(start) < opened)

    def _record(self, element, opened, ended, share, allotted, outcome, used=None) -> None:
        """A Mẫu 05 row (used: the working days between its moments, when the caller knows them)."""
        used = round(self.cal.working_days_between(opened, ended) if used is None else used, 4)
        if share is not None:
            uses = self.d["step_use"] = self.d["step_use"] or {}
            start = opened.astimezone(UTC).isoformat()
            uses.setdefault(element, {})[start] = max(uses.get(element, {}).get(start, 0.0), used)
        role = UNIT_OF[element]
        self.rows.steps.append(
            {
                "dossier_id": self.d["id"],
                "task_id": self._uuid(),
                "element_id": element,
                "name": self.p.cat.templates[element]["name"],
                "unit": self._unit_name(role),
                "actor": self._actor(element)[0],
                "started_at": opened,
                "ended_at": ended,
                "allotted_days": allotted,
                "used_days": used,
                "verdict": self.cal.verdict(allotted, used) if allotted is not None else None,
                "outcome": outcome,
            }
        )

    def _open(self, element: str, opened: datetime, share) -> None:
        template = self.p.cat.templates[element]
        task_id = self._uuid()
        _username, user_id = self._actor(element)
        due = deadlines.task_due(
            element,
            template["properties"],
            opened_at=opened,
            engine_due=None,
            variables={},
            calendar=self.cal,
            max_days=self.p.cat.max_days,
            step_allotments=self.allotments,
            used_before=self._used_before(element, opened) if share is not None else 0.0,
        )
        self.rows.tasks.append(
            {
                "id": task_id,
                "instance_id": self.i["id"],
                "element_id": element,
                "name": template["name"],
                "lane": template["lane"],
                "candidate_groups": template["candidate_groups"],
                "unit": self._unit_code(UNIT_OF[element]),
                "assignee_id": user_id if element == "appraise" else None,
                "state": "open",
                "form_key": template["form_key"],
                "documentation": template["documentation"],
                "properties": template["properties"],
                "created_at": opened,
                "due_at": due,
                "completed_at": None,
                "completed_by_id": None,
                "sla": None,
            }
        )
        self.rows.candidates += [{"task_id": task_id, "group_name": g} for g in template["candidate_groups"]]
        if element == "await_supplement":
            self.d["paused_at"] = self.d["paused_at"] or opened

    def _props(self, element: str) -> dict:
        return self.p.cat.templates[element]["properties"]

    def _unit_code(self, role: str) -> str:
        return {"reception": self.unit, "handling": self.handling, "agency": self.p.cat.agency}[role]

    def _unit_name(self, role: str) -> str:
        code = self._unit_code(role)
        return self.p.cat.unit_names.get(code, code)[:255]

    def _actor(self, element: str) -> tuple[str | None, int | None]:
        """Who did a step: the reception unit's clerk, the handling unit's officer of the role,
        the consulted agency's officer (usernames; a user id where the user exists)."""
        role = UNIT_OF[element]
        if role == "reception":
            return f"{self.unit.lower()}.clerk", None
        if role == "agency":
            return self.p.cat.coordinator, None
        kind = {"assign": "head", "apology": "head", "appraise": "specialist", "approve": "leader"}.get(
            element, "records"
        )
        return self.p.cat.officers.get(self.handling, {}).get(kind, (kind, None))


# The engine state of a generated instance: none (nothing reads it of a finished instance; an open
# generated dossier is for reading: a command on its instance fails, see bench/generate.py).
PLACEHOLDER = '{"generated_by": "bench/generate.py", "engine_state": null}'
