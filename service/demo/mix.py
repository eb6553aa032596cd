"""The mix of dossiers the demo history and the benchmark's generator make (pure: no database).

One `Plan` per dossier says what happens to it: its channel, the reception's decision, the
appraisal's rounds (supplements asked for, a consultation) and proposal, the leader's decision,
a withdrawal, and its pace (early, on time, late). Each plan draws from a random generator of its
own, seeded by (seed, index), so a dossier's story does not depend on the order the stories are
played in: the demo (service/demo/history.py, through the real engine and step pipeline) and the
generator (bench/generate.py, straight rows) tell the same stories from the same seed.

Durations are in working days of office time (the calendar turns them into moments): a step
uses a share of its allotment (the catalogue's `step_allotments`), more for the step that makes a
late dossier late.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# How often each procedure of the demo catalogue is asked for (data/procedures.json).
PROCEDURE_WEIGHTS = {
    "AG-LLTP-01": 0.30,
    "AG-KS-01": 0.25,
    "AG-CT-01": 0.20,
    "AG-HKD-01": 0.15,
    "AG-GPXD-01": 0.10,
}
CHANNEL_WEIGHTS = {"counter": 0.45, "online": 0.45, "post": 0.10}
RECEPTION_WEIGHTS = {"accept": 0.94, "guide": 0.04, "refuse": 0.02}
SUPPLEMENT_WEIGHTS = {0: 0.82, 1: 0.13, 2: 0.05}
CONSULT_SHARE = 0.08  # of accepted dossiers whose procedure allots a consultation
PROPOSAL_WEIGHTS = {"approve": 0.93, "refuse": 0.05, "stop": 0.02}
PACE_WEIGHTS = {"early": 0.70, "on_time": 0.18, "late": 0.12}
WITHDRAW_SHARE = 0.02  # of accepted dossiers
# The share of its allotment a step uses, by pace (on time and late: see Plan.used).
FACTORS = {"early": (0.15, 0.8), "on_time": (0.6, 1.0), "late": (0.4, 1.0)}
# The steps a late dossier's delay falls on (the specialist's appraisal most often).
LATE_STEPS = {"appraise": 0.6, "approve": 0.2, "assign": 0.1, "issue": 0.1}
# Where a withdrawal comes: while this step is open.
WITHDRAW_AT = ("assign", "appraise", "approve")
SUPPLEMENT_DAYS = (0.5, 6.0)  # the applicant's working days to bring a supplement
APOLOGY_DAYS = (0.1, 0.4)  # the head's working days to write Mẫu 04 once its timer fired
OVERRUN_DAYS = (0.1, 3.0)  # how far past its due moment a late dossier finishes
# The share of results issued electronically, signed with the unit's key (the QĐ 766 "e-results"
# indicator; the target is 100 %, NQ 02): the rest are paper results.
E_RESULT_SHARE = 0.85


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Plan:
    """What happens to one dossier. `rounds`: the appraisal's decisions in order, the last one a
    proposal (propose_approve, propose_refuse, propose_stop); `withdraw_at`: the step during which
    the applicant withdraws (None: no withdrawal); `late_step`: the step that overruns."""

    index: int
    channel: str
    reception: str
    rounds: tuple[str, ...]
    decision: str
    pace: str
    late_step: str | None
    withdraw_at: str | None
    rng: random.Random = field(repr=False)
    # The apology's own draws: its timer fires beside the path, at a moment the player of the
    # real process and the generator reach in different orders; the path's draws stay in step.
    apology_rng: random.Random = field(repr=False, default_factory=random.Random)
    # Whether its result is issued electronically (a draw of its own: the others stay as they were).
    e_result: bool = False

    @property
    def outcome(self) -> str:
        """How its handling is meant to end (dossiers/status.py OUTCOMES), if it gets there."""
        if self.reception != "accept":
            return "guided" if self.reception == "guide" else "not_received"
        if self.withdraw_at:
            return "withdrawn"
        return {"approve": "approved", "refuse": "refused", "stop": "stopped"}[self.decision]

    def used(self, element_id: str, allotted: float | None) -> float:
        """Working days a step uses of what it was allotted (a step without an allotment: a
        short while). A late dossier's delay is not here: the player finishes its late step
        past the dossier's due moment (`overrun`)."""
        low, high = FACTORS[self.pace]
        if not allotted:
            return round(self.rng.uniform(0.02, 0.1), 4)
        return round(allotted * self.rng.uniform(low, high), 4)

    def overrun(self) -> float:
        return round(self.rng.uniform(*OVERRUN_DAYS), 4)

    def on_time_margin(self) -> float:
        """How long before its due moment an on-time dossier's last step ends (same day)."""
        return round(self.rng.uniform(0.01, 0.15), 4)

    def supplement_days(self) -> float:
        return round(self.rng.uniform(*SUPPLEMENT_DAYS), 4)

    def apology_days(self) -> float:
        return round(self.apology_rng.uniform(*APOLOGY_DAYS), 4)


def plan(seed: int, index: int, *, consults: bool = True) -> Plan:
    """The story of dossier number `index` of a data set made with `seed`. consults: whether its
    procedure allots a consultation (and has an agency to consult)."""
    rng = random.Random(f"{seed}:{index}")
    channel = pick(rng, CHANNEL_WEIGHTS)
    reception = pick(rng, RECEPTION_WEIGHTS)
    rounds: list[str] = ["request_supplement"] * pick(rng, SUPPLEMENT_WEIGHTS)
    if consults and rng.random() < CONSULT_SHARE:
        rounds.insert(rng.randint(0, len(rounds)), "consult")
    decision = pick(rng, PROPOSAL_WEIGHTS)
    rounds.append(f"propose_{decision}")
    pace = pick(rng, PACE_WEIGHTS)
    late_step = pick(rng, LATE_STEPS) if pace == "late" else None
    withdraw_at = rng.choice(WITHDRAW_AT) if rng.random() < WITHDRAW_SHARE else None
    apology_rng = random.Random(f"apology:{seed}:{index}")
    e_result = random.Random(f"e_result:{seed}:{index}").random() < E_RESULT_SHARE
    return Plan(
        index,
        channel,
        reception,
        tuple(rounds),
        decision,
        pace,
        late_step,
        withdraw_at,
        rng,
        apology_rng,
        e_result,
    )


# Names for the applicants (a deterministic draw; no real person).
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc", "Quốc", "Thu", "Hoàng", "Kim")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Khoa", "Lan", "Long", "Mai", "Nam")
GIVEN += ("Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trí", "Tuấn", "Uyên", "Vy", "Yến")
PLACES = ("Long Xuyên", "Châu Đốc", "Tân Châu", "Châu Phú", "Thoại Sơn", "Tri Tôn", "Tịnh Biên", "Chợ Mới")


def applicant(seed: int, index: int) -> dict:
    """A made-up applicant for dossier number `index` (name, 12-digit id number, address, phone)."""
    rng = random.Random(f"applicant:{seed}:{index}")
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return {
        "name": name,
        "id_number": f"089{rng.randrange(10**9):09d}",
        "address": f"Số {rng.randint(1, 300)}, phường {rng.choice(PLACES)}, An Giang",
        "phone": f"09{rng.randrange(10**8):08d}",
    }


def late_step(plan: Plan, element_id: str, *, final_round: bool) -> bool:
    """Whether this step is the one that makes a late dossier late (its last appraisal round, when
    the delay falls on the appraisal)."""
    if plan.late_step is None:
        return False
    if plan.late_step == "issue":
        return element_id.startswith("issue_")
    return element_id == plan.late_step and (element_id != "appraise" or final_round)


def done_at(plan: Plan, element_id: str, opened, allotted: float | None, due_at, cal, *, final_round: bool):
    """When a step opened at `opened` is done, by the plan (cal: a calendar.workcal.WorkingCalendar;
    due_at: the dossier's due moment as it stands when the step opens, None before reception)."""
    return timing(plan, element_id, opened, allotted, due_at, cal, final_round=final_round)[0]


def timing(plan: Plan, element_id: str, opened, allotted: float | None, due_at, cal, *, final_round: bool):
    """(when the step is done, the working days it used if the plan's draw says it exactly, else
    None): a generator of rows need not count back what it just counted forward."""
    waits = {"await_supplement": plan.supplement_days, "apology": plan.apology_days}
    if element_id in waits:
        days = waits[element_id]()
        return cal.add_working_days(opened, days), days
    used = plan.used(element_id, allotted)
    natural = cal.add_working_days(opened, used)
    if due_at is None:
        return natural, used
    if late_step(plan, element_id, final_round=final_round):
        late = cal.add_working_days(due_at, plan.overrun())
        return (late, None) if late > natural else (natural, used)
    if plan.pace == "on_time" and element_id.startswith("issue_"):
        target = cal.subtract_working_days(due_at, plan.on_time_margin())
        return (target, None) if target > natural else (natural, used)
    return natural, used
