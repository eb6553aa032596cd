"""The demo's history (`motcua demo --history`): dossiers of past months played through the real
dossier process, consistent row by row, with the mix a newcomer should see, made once."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.history_checks import problems

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_month_and_a_half_of_history_is_consistent_and_mixed(demo_office):
    from service.calendar.operations import calendar
    from service.demo.history import make_history
    from service.dossiers.models import Dossier
    from service.extensions import db
    from service.reports.models import LateReport

    end = datetime(2026, 10, 16, 15, 0, tzinfo=TZ)
    with demo_office.app_context():
        counts = make_history(start=date(2026, 9, 1), end=end, per_day=2.0, seed=766)
        dossiers = db.session.scalars(sa.select(Dossier)).all()
        assert counts.dossiers == len(dossiers) > 40
        assert problems(calendar()) == []
        outcomes = Counter(d.outcome for d in dossiers)
        verdicts = Counter(d.verdict for d in dossiers)
        assert outcomes["approved"] > len(dossiers) / 2
        assert {"guided", "not_received", "refused", "withdrawn", "stopped"} & set(outcomes)
        assert verdicts["early"] > verdicts["late"] > 0 and verdicts["on_time"] > 0
        assert set(Counter(d.channel for d in dossiers)) == {"counter", "online", "post"}
        assert any(d.supplement_requests >= 1 for d in dossiers)
        assert any(d.finished_at is None for d in dossiers)  # still open on the last day
        assert [d.status for d in dossiers if d.paused_at is not None]  # one waits for the applicant
        assert all(d.paused_at is None or d.status == 5 for d in dossiers)
        # The September list, stored on 5 October as the workers do, names an officer for every row.
        report = db.session.get(LateReport, "2026-09")
        assert report is not None and report.rows
        assert all(any(r["officer"] for r in row["responsible"]) for row in report.rows)


def test_demo_history_is_made_once(demo_office, clock):
    from service.cli import demo
    from service.dossiers.models import Dossier
    from service.extensions import db

    def count() -> int:
        with demo_office.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier))

    runner = demo_office.test_cli_runner()
    with clock.at(datetime(2026, 10, 8, 10, 0, tzinfo=TZ)):
        first = runner.invoke(demo, ["--history", "--months", "0"])
        assert first.exit_code == 0, first.output
        made = count()
        again = runner.invoke(demo, ["--history", "--months", "0"])
    assert again.exit_code == 0, again.output
    assert made > 5
    assert count() == made
    assert "already holds dossiers" in again.output


def test_the_stories_depend_on_the_seed_only():
    from service.calendar.workcal import WorkingCalendar
    from service.demo import mix
    from service.demo.history import arrivals

    cal = WorkingCalendar(timezone="Asia/Ho_Chi_Minh")
    end = datetime(2026, 9, 30, 17, 0, tzinfo=TZ)
    assert arrivals(cal, date(2026, 9, 1), end, 3.0, 1) == arrivals(cal, date(2026, 9, 1), end, 3.0, 1)
    assert arrivals(cal, date(2026, 9, 1), end, 3.0, 1) != arrivals(cal, date(2026, 9, 1), end, 3.0, 2)
    first, again = mix.plan(1, 7), mix.plan(1, 7)
    assert (first.rounds, first.pace, first.used("appraise", 5.0)) == (
        again.rounds,
        again.pace,
        again.used("appraise", 5.0),
    )
