"""Demo dossiers with a few months of history, made through the real dossier process.

`make_history` plays the stories of service/demo/mix.py in simulated time: the service's one
clock (`models_base.clock_override`, as the test suite's `clock` fixture moves it) is set to each
moment in turn, and at that moment the demo officers do what the API's views would do, with the
same operations: the clerk receives a dossier (`dossiers.operations.receive`), each officer
completes the task the process opened for their role (`tasks.operations.complete`, after the
route's own check `tasks.permissions.require_task_actor`), an applicant withdraws
(`dossiers.operations.withdraw`), and the workers fire the due timers (the apology, Mẫu 04:
`jobs.operations.fire_timers`) and store the monthly late list on the 5th
(`jobs.operations.late_list_due`). Each is one unit of work, so instances, tasks, Mẫu 05 steps,
pauses, statuses, due dates and outcomes are what the engine and the step pipeline wrote.

The records officer issues a result electronically for the share of plans that say so
(`mix.E_RESULT_SHARE`): before completing the result step, they attach the result as a PDF and
sign it with the unit's key (`attachments.signing.sign`, as `POST /attachments/{id}/signature`
does), so the step pipeline finds a good signature and records the e-result, as it would for a
real one. A unit with no key (no MOTCUA_SIGNING_KEYS_DIR: `motcua demo --history` makes demo keys,
service/demo/pki.py) issues paper results only.

Moments come from the working calendar (`calendar.operations.calendar()`): a step that uses d
working days of its allotment ends `add_working_days(opened, d)`. Nothing after `end` (now) is
played: those dossiers stay open, waiting for the next officer (or for the applicant).
"""

from __future__ import annotations

import functools
import heapq
import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from .. import models_base
from ..attachments import operations as attachments
from ..attachments import signing as result_signing
from ..calendar.operations import calendar
from ..calendar.workcal import WorkingCalendar
from ..dossiers import operations as dossiers
from ..dossiers import queries as dossier_queries
from ..dossiers.models import PAID, Dossier
from ..extensions import db
from ..identity.models import User
from ..identity.operations import principal_for_user
from ..instances.models import ProcessInstance
from ..jobs import calls as service_calls
from ..jobs import operations as jobs
from ..jobs.models import PENDING, ServiceCall
from ..payments import operations as payments
from ..procedures.models import Procedure
from ..signatures import keys
from ..tasks import operations as tasks
from ..tasks import queries as task_queries
from ..tasks.permissions import require_task_actor
from ..tasks.queries import get_with_instance
from ..uow import unit_of_work
from . import forms, mix

# How often each procedure of the demo catalogue is asked for (data/procedures.json).
mix.PROCEDURE_WEIGHTS = {
    "AG-LLTP-01": 0.30,
    "AG-KS-01": 0.25,
    "AG-CT-01": 0.20,
    "AG-HKD-01": 0.15,
    "AG-GPXD-01": 0.10,
}
# Who does what (the `motcua demo` users): the counter, the agencies' officers, the consulted police.
RECEPTION, COORDINATOR = "clerk", "police"
OFFICERS = {
    "SO-TP": {"head": "head", "specialist": "specialist", "leader": "leader", "records": "records"},
    "UBND-XA": {
        "head": "xa_head",
        "specialist": "xa_specialist",
        "leader": "xa_leader",
        "records": "xa_records",
    },
}
ROLE_OF = {
    "receive": "reception",
    "digitise": "reception",
    "await_supplement": "reception",
    "return_result": "reception",
    "hand_back": "reception",
    "assign": "head",
    "apology": "head",
    "appraise": "specialist",
    "approve": "leader",
    "issue_result": "records",
    "issue_refusal": "records",
    "issue_stop_notice": "records",
    "consult": "coordinator",
}
AGENCY = "CA-TINH"  # the unit consulted (its officer: COORDINATOR)
ONLINE_WEEKEND_SHARE = 0.3  # online submissions on a day off, relative to a working day


class HistoryError(Exception):
    """The history cannot be made here (what is missing is said)."""


@dataclass
class Story:
    """A dossier being played: its plan, procedure, and what it has done so far."""

    plan: mix.Plan
    procedure: Procedure
    applicant: dict
    dossier_id: uuid.UUID | None = None
    instance_id: uuid.UUID | None = None
    appraisals: int = 0
    seen: set = field(default_factory=set)  # tasks already given a moment


@dataclass
class Counts:
    dossiers: int = 0
    actions: int = 0
    timers: int = 0
    late_lists: list = field(default_factory=list)
    forced: int | None = None  # the plan changed so that one dossier waits for the applicant now


def arrivals(cal: WorkingCalendar, start: date, end: datetime, per_day: float, seed: int):
    """(moment, procedure code, plan index) of every submission from `start` until `end`: on
    working days at the counter and by post during office hours, online at any hour of any day."""
    rng = random.Random(f"arrivals:{seed}")
    index, day, out = 0, start, []
    while day <= cal.local(end).date():
        working = cal.is_working_day(day)
        count = _poisson(rng, per_day if working else per_day * ONLINE_WEEKEND_SHARE)
        opening = datetime.combine(day, cal.periods[0][0], tzinfo=cal.tz)
        for _ in range(count):
            plan = mix.plan(seed, index)
            if plan.channel != "online" and not working:
                plan = None  # the counter is closed: nobody came
            if plan is not None:
                if plan.channel == "online":
                    moment = datetime.combine(day, time(), tzinfo=cal.tz) + timedelta(
                        minutes=rng.randrange(1440)
                    )
                else:
                    moment = cal.add_working_days(opening, rng.uniform(0.0, 0.95))
                code = mix.pick(rng, mix.PROCEDURE_WEIGHTS)
                if moment < end:
                    out.append((moment, code, index))
            index += 1
        day += timedelta(days=1)
    return sorted(out)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count, total = count + 1, total + rng.expovariate(1.0)
    return count


def may_make() -> str | None:
    """Why a history cannot be made in this database (None: it can)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)):
        return "the database already holds dossiers: no demo history is added to them"
    return None


def make_history(*, start: date, end: datetime, per_day: float = 2.0, seed: int = 766, log=None) -> Counts:
    """Play the dossiers submitted from `start` (a local date) until `end` (an aware moment, now
    for the demo) through the real process; committed one unit of work at a time. The database
    must hold no dossier yet (may_make), the dossier process, the catalogue and the demo users."""
    cal = calendar()
    players = _players()
    procedures = {p.code: p for p in db.session.scalars(sa.select(Procedure))}
    missing = sorted(set(mix.PROCEDURE_WEIGHTS) - set(procedures))
    if missing:
        raise HistoryError(f"the catalogue lacks {', '.join(missing)}: run `motcua procedures load` first")
    queue: list = []
    stories_: dict[int, Story] = {}
    for moment, code, index in arrivals(cal, start, end, per_day, seed):
        procedure = procedures[code]
        plan = mix.plan(seed, index, consults=bool((procedure.step_allotments or {}).get("consult")))
        stories_[index] = Story(plan, procedure, mix.applicant(seed, index))
        heapq.heappush(queue, (moment, index, "submit", None))
    forced = _force_one_paused(stories_, queue, cal, end)
    for month_start in _fifths(start, end, cal):
        heapq.heappush(queue, (month_start, -1, "late_list", None))
    counts, by_instance = Counts(forced=forced), {}
    now = [end]
    before, models_base.clock_override = models_base.clock_override, lambda: now[0]
    try:
        while queue:
            moment, index, action, payload = heapq.heappop(queue)
            if moment > end:
                break
            counts.timers += _fire_timers_until(moment, now, queue, stories_, by_instance, players, cal)
            now[0] = moment
            if action == "late_list":
                counts.late_lists.append(jobs.late_list_due(moment))
                continue
            story = stories_[index]
            with unit_of_work():
                if action == "submit":
                    dossier = dossiers.receive(
                        story.procedure.code,
                        applicant=story.applicant,
                        channel=story.plan.channel,
                        components=_components(story.procedure),
                        actor=players[RECEPTION],
                    )
                    story.dossier_id, story.instance_id = dossier.id, dossier.instance_id
                    by_instance[dossier.instance_id] = index
                    counts.dossiers += 1
                elif action == "withdraw":
                    dossier = db.session.get(Dossier, story.dossier_id)
                    dossiers.withdraw(dossier, reason="Công dân không còn nhu cầu", actor=players[RECEPTION])
                else:
                    _complete(story, payload, players, cal, moment)
            if action != "submit" and action != "withdraw":
                _answer_the_remote_systems(story, moment)
            counts.actions += 1
            _schedule(story, index, moment, queue, players, cal)
            if log and counts.actions % 500 == 0:
                log(f"{counts.dossiers} dossiers, {counts.actions} actions, at {cal.local(moment):%Y-%m-%d}")
        now[0] = end
        counts.timers += _fire_timers_until(end, now, None, stories_, by_instance, players, cal)
    finally:
        models_base.clock_override = before
    return counts


def _players() -> dict:
    names = {RECEPTION, COORDINATOR} | {name for unit in OFFICERS.values() for name in unit.values()}
    rows = dict(db.session.execute(sa.select(User.username, User.id).where(User.username.in_(names))).all())
    missing = sorted(names - set(rows))
    if missing:
        raise HistoryError(f"the demo users {', '.join(missing)} are missing: run `motcua demo` first")
    return {name: principal_for_user(user_id) for name, user_id in rows.items()}


def _components(procedure: Procedure) -> list[dict]:
    return [
        {k: c[k] for k in ("name", "form", "quantity") if k in c}
        for c in procedure.components or []
        if c.get("required", True)
    ]


def _fifths(start: date, end: datetime, cal: WorkingCalendar):
    """08:00 on the 5th of every month after `start` until `end`: the late list's day."""
    year, month = start.year, start.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        moment = datetime(year, month, 5, 8, tzinfo=cal.tz)
        if moment > end:
            return
        yield moment


def _force_one_paused(stories_: dict, queue: list, cal: WorkingCalendar, end: datetime) -> int | None:
    """The first counter dossier of a short procedure (three days at most) received three working
    days before `end` asks for a supplement the applicant has not brought yet: one dossier is
    paused today, whatever the draw."""
    day = cal.local(end).date()
    for _ in range(3):
        day -= timedelta(days=1)
        while not cal.is_working_day(day):
            day -= timedelta(days=1)
    for moment, index, _action, _ in sorted(queue):
        plan, short = stories_[index].plan, stories_[index].procedure.processing_days <= 3
        if cal.local(moment).date() >= day and plan.channel == "counter" and short:
            plan.reception, plan.withdraw_at, plan.pace = "accept", None, "early"
            plan.rounds, plan.decision, plan.late_step = (
                ("request_supplement", "propose_approve"),
                "approve",
                None,
            )
            plan.supplement_days = lambda: 30.0  # still away today
            return index
    return None


def _schedule(
    story: Story, index: int, now: datetime, queue: list, players: dict, cal: WorkingCalendar
) -> None:
    """Give every task the dossier's process has open a moment to be done (once each)."""
    for task in task_queries.open_of(story.instance_id):
        if task.id in story.seen:
            continue
        story.seen.add(task.id)
        if task.element_id == story.plan.withdraw_at:  # the applicant withdraws while it is open
            used = story.plan.used(task.element_id, _allotted(task, cal))
            heapq.heappush(queue, (cal.add_working_days(task.created_at, used / 2), index, "withdraw", None))
            continue
        dossier = db.session.get(Dossier, story.dossier_id)
        final = task.element_id == "appraise" and story.appraisals == len(story.plan.rounds) - 1
        moment = mix.done_at(
            story.plan,
            task.element_id,
            task.created_at,
            _allotted(task, cal),
            dossier.due_at,
            cal,
            final_round=final,
        )
        heapq.heappush(queue, (max(moment, now), index, "complete", task.id))


def _allotted(task, cal: WorkingCalendar) -> float | None:
    """The working days the pipeline allotted to an open task (from its due moment)."""
    return cal.working_days_between(task.created_at, task.due_at) if task.due_at else None


def _complete(story: Story, task_id, players: dict, cal: WorkingCalendar, moment: datetime) -> None:
    task, instance = get_with_instance(task_id, with_state=True)
    if task.state != "open" or instance.state != "running":
        return  # cancelled meanwhile (a withdrawal, the end of the handling)
    actor = players[_player(story, task.element_id)]
    require_task_actor(actor, task, instance.started_by_id)
    dossier = db.session.get(Dossier, story.dossier_id)
    specialist = OFFICERS[story.procedure.unit_code]["specialist"]
    new_due = cal.local(cal.add_working_days(dossier.due_at, 2)).date() if dossier.due_at else None
    variables = forms.variables(
        story.plan,
        task.element_id,
        round_=story.appraisals,
        moment=cal.local(moment),
        specialist=specialist,
        agency=AGENCY,
        applicant=story.applicant["name"],
        new_due=new_due,
    )
    if task.element_id == "appraise":
        story.appraisals += 1
    if task.element_id == "issue_result" and not dossier_queries.fee_paid(dossier):
        # The demo's applicants pay the procedure's fee at the counter before the result is issued
        # (the result step's fee check, service/payments).
        payments.record(
            dossier,
            purpose="fee",
            payment_id=f"counter:demo-{dossier.id}",
            state=PAID,
            amount=dossier.procedure.fee_amount,
            receipt_number=f"BL-{dossier.code}",
            paid_at=moment,
            channel="counter",
            actor=players[RECEPTION],
        )
    if story.plan.e_result and _issues_result(task) and keys.signer_for(task.unit or actor.unit):
        _sign_result(task, actor)
    tasks.complete(task_id, variables, actor=actor, loaded=(task, instance))


def _issues_result(task) -> bool:
    """The result step (its element says `signedResult=true`: the pipeline checks its PDFs)."""
    return str((task.properties or {}).get(result_signing.RESULT_PROPERTY, "")).lower() == "true"


def _sign_result(task, actor) -> None:
    """The records officer attaches the result as a PDF and signs it with the unit's key."""
    pdf = attachments.store(task.id, io.BytesIO(result_pdf()), "ket-qua.pdf", component=None, actor=actor)
    result_signing.sign(pdf, task, actor=actor)


@functools.cache
def result_pdf() -> bytes:
    """The demo's result document (one for every dossier: each gets its own signed copy)."""
    from weasyprint import HTML  # slow to load, as documents.render_pdf does

    html = (
        "<html lang='vi'><body style='font-family: DejaVu Sans, sans-serif'>"
        "<h2>KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH</h2>"
        "<p>Bản kết quả mẫu của dữ liệu thử (demo) Motcua: không có giá trị pháp lý.</p>"
        "</body></html>"
    )
    return HTML(string=html).write_pdf()


def _answer_the_remote_systems(story: Story, moment: datetime) -> None:
    """The calls the dossier's process made of systems the demo has no connector for, answered as
    those systems would: the postal operator's booking of a result returned by post
    (post/book_delivery: a tracking number, so the dossier is returned by post, status 10), and the
    documents system's filing of a signed result (edms/file_result: its document number)."""
    calls = db.session.execute(
        sa.select(ServiceCall.id, ServiceCall.operation).where(
            ServiceCall.instance_id == story.instance_id,
            ServiceCall.operation.in_(("post/book_delivery", "edms/file_result")),
            ServiceCall.state == PENDING,
        )
    ).all()
    for call_id, operation in calls:
        if operation == "post/book_delivery":
            answer = {"ok": True, "tracking_number": f"EB{call_id:09d}VN", "status": "booked"}
        else:
            answer = {"ok": True, "document_number": f"{call_id}/KQ-DEMO", "filed_at": moment.isoformat()}
        service_calls.answer_call(call_id, answer, moment)


def _player(story: Story, element_id: str) -> str:
    role = ROLE_OF[element_id]
    if role == "reception":
        return RECEPTION
    if role == "coordinator":
        return COORDINATOR
    return OFFICERS[story.procedure.unit_code][role]


def _fire_timers_until(moment, now, queue, stories_, by_instance, players, cal) -> int:
    """Fire, in order, every timer due by `moment` (the workers' tick, at the timer's own moment),
    and give the tasks they opened (the apology) their moments."""
    fired = 0
    while True:
        row = db.session.execute(
            sa.select(ProcessInstance.id, ProcessInstance.next_timer_at)
            .where(ProcessInstance.state == "running", ProcessInstance.next_timer_at <= moment)
            .order_by(ProcessInstance.next_timer_at)
            .limit(1)
        ).first()
        db.session.rollback()
        if row is None:
            return fired
        # A timer due before the step that armed it fires at the workers' next tick: right after.
        now[0] = at = max(row.next_timer_at, now[0])
        if not jobs.fire_timers(row.id, at):
            return fired
        fired += 1
        index = by_instance.get(row.id)
        if queue is not None and index is not None:
            _schedule(stories_[index], index, at, queue, players, cal)
