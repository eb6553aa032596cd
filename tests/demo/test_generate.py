"""bench/generate.py: dossiers with their histories written straight into the tables, as the real
pipeline writes them, in batches that a stopped run resumes."""

from __future__ import annotations

import importlib.util
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.history_checks import problems
from tests.support import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ARGS = ["--dossiers", "600", "--units", "12", "--years", "1", "--seed", "7", "--batch", "200"]
ARGS += ["--end", "2026-11-30", "--quiet"]


@pytest.fixture
def generate(demo_office):
    """The generator, whose bookkeeping tables are dropped afterwards: on PostgreSQL a worker's
    database outlives the test, and the migration check compares it with the models."""
    from service.extensions import db

    module = _generator()
    yield module
    with demo_office.app_context():
        db.session.remove()
        module.BOOKKEEPING.drop_all(db.engine, checkfirst=True)


def test_generated_histories_are_consistent_and_a_stopped_run_resumes(demo_office, generate, monkeypatch):
    from service.calendar.operations import calendar
    from service.dossiers.models import Dossier, DossierCodeSequence
    from service.extensions import db
    from service.instances.models import ProcessInstance
    from service.tasks.models import OPEN, Task

    real_write, written = generate.write_batch, []

    def stops_at_the_second_batch(conn, batch, rows, touched):
        if written:
            raise RuntimeError("stopped")
        real_write(conn, batch, rows, touched)
        written.append(batch)

    with demo_office.app_context():
        monkeypatch.setattr(generate, "write_batch", stops_at_the_second_batch)
        with pytest.raises(RuntimeError, match="stopped"):
            generate.generate(generate.parse(ARGS))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 200
        monkeypatch.setattr(generate, "write_batch", real_write)
        summary = generate.generate(generate.parse(ARGS))
        assert (summary["generated_now"], summary["resumed_after"]) == (400, 200)
        with pytest.raises(SystemExit, match="the same parameters"):
            generate.generate(generate.parse([*ARGS[:1], "700", *ARGS[2:]]))

        dossiers = db.session.scalars(sa.select(Dossier)).all()
        assert len(dossiers) == 600
        assert problems(calendar()) == []
        assert len({d.unit_code for d in dossiers}) == 12
        outcomes, verdicts = Counter(d.outcome for d in dossiers), Counter(d.verdict for d in dossiers)
        assert outcomes["approved"] > 400 and {"guided", "refused", "stopped"} <= set(outcomes)
        assert verdicts["early"] > verdicts["late"] > 0 and verdicts["on_time"] > 0
        assert set(Counter(d.channel for d in dossiers)) == {"counter", "online", "post"}
        assert any(d.supplement_requests == 2 for d in dossiers)
        # Most results issued electronically (mix.E_RESULT_SHARE), as the demo signs them.
        resulted = [d.e_result for d in dossiers if d.outcome == "approved" and d.finished_at is not None]
        assert resulted and None not in resulted and 0.6 <= sum(resulted) / len(resulted) < 1
        # Codes are unique and the sequences go on from the last number each unit gave that day.
        codes = [d.code for d in dossiers if d.code]
        assert len(codes) == len(set(codes))
        last = Counter((code.rsplit("-", 2)[0], code.rsplit("-", 2)[1]) for code in codes)
        sequences = db.session.scalars(sa.select(DossierCodeSequence)).all()
        assert {(s.unit_code, f"{s.day:%y%m%d}"): s.last for s in sequences} == dict(last)
        # Instances: completed for the finished, running with open tasks for the open ones.
        states = Counter(db.session.scalars(sa.select(ProcessInstance.state)))
        open_dossiers = [d for d in dossiers if d.finished_at is None]
        assert open_dossiers and states["running"] >= len(open_dossiers)
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(Task).where(Task.state == OPEN)
        ) >= len(open_dossiers)


def _same(a, b) -> bool:
    """Equal, moments within a minute and days within 0.002 (the demo's player reads a task's
    allotment back from its due moment, the generator has it exactly)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs((a - b).total_seconds()) <= 60
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 0.002
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


DOSSIER_FIELDS = (
    "status", "outcome", "verdict", "channel", "received_at", "clock_started_at", "due_at", "original_due_at",
    "finished_at", "returned_at", "paused_at", "paused_days", "supplement_requests",
)  # fmt: skip
STEP_FIELDS = (
    "element_id",
    "unit",
    "started_at",
    "ended_at",
    "allotted_days",
    "used_days",
    "verdict",
    "outcome",
)


def test_the_generator_writes_what_the_pipeline_writes(demo_office):
    """The same stories (seed, plan number, procedure, submission moment) played through the real
    process by the demo's history and written by the generator give the same dossiers, Mẫu 05
    steps and open tasks."""
    from service.calendar.operations import calendar
    from service.demo.history import arrivals, make_history
    from service.dossiers.models import Dossier, DossierStep
    from service.extensions import db
    from service.identity.models import OrgUnit
    from service.tasks.models import OPEN, Task

    generate = _generator()
    start, end = date(2026, 9, 1), datetime(2026, 10, 16, 15, 0, tzinfo=TZ)
    with demo_office.app_context():
        counts = make_history(start=start, end=end, per_day=2.0, seed=766)
        cal = calendar()
        stories = {moment: (code, index) for moment, code, index in arrivals(cal, start, end, 2.0, 766)}
        national = db.session.scalar(sa.select(OrgUnit.national_code).where(OrgUnit.code == "TTPVHCC"))
        moments = {index: (moment, code) for moment, (code, index) in stories.items()}

        def arrival(index):  # the demo's reception: the clerk's unit
            moment, code = moments[index]
            return "TTPVHCC", national, moment, code

        player = generate.Player(generate.catalogue(), cal, 766, end, arrival, {})
        compared = 0
        for dossier in db.session.scalars(sa.select(Dossier).order_by(Dossier.submitted_at)):
            _code, index = stories[dossier.submitted_at]
            if index == counts.forced:
                continue
            rows = player.play(index)
            played = tuple(getattr(dossier, f) for f in DOSSIER_FIELDS)
            written = tuple(rows.dossier[f] for f in DOSSIER_FIELDS)
            assert _same(played, written), (index, played, written)
            steps = db.session.scalars(
                sa.select(DossierStep)
                .where(DossierStep.dossier_id == dossier.id)
                .order_by(DossierStep.started_at, DossierStep.element_id)
            )
            played = [tuple(getattr(s, f) for f in STEP_FIELDS) for s in steps]
            written = sorted(
                (tuple(s[f] for f in STEP_FIELDS) for s in rows.steps), key=lambda s: (s[2], s[0])
            )
            assert _same(played, written), (index, played, written)
            tasks = db.session.scalars(
                sa.select(Task.element_id).where(Task.instance_id == dossier.instance_id, Task.state == OPEN)
            )
            assert sorted(tasks) == sorted(t["element_id"] for t in rows.tasks), index
            compared += 1
        assert compared > 40
