"""bench/generate.py: dossiers with their histories written straight into the tables, as the real
pipeline writes them, in batches that a stopped run resumes."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.history_checks import problems
from tests.support import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ARGS = ["--dossiers", "600", "--units", "12", "--years", "1", "--seed", "7", "--batch", "200"]
ARGS += ["--end", "2026-11-30", "--quiet"]


def test_generated_histories_are_consistent_and_a_stopped_run_resumes(demo_office, monkeypatch):
    from service.calendar.operations import calendar
    from service.dossiers.models import Dossier, DossierCodeSequence
    from service.extensions import db
    from service.instances.models import ProcessInstance
    from service.tasks.models import OPEN, Task

    generate = _generator()
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
