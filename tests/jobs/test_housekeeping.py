"""The periodic chores: the daily housekeeping (old outbox events and ended sessions deleted, what
is recent kept), the late list stored from the 5th, and the runner of `make run` running
each chore on its own period (what `motcua beat` schedules on the workers)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from service import relay
from service.extensions import db
from service.identity.models import UserSession
from service.jobs import dispatch
from service.jobs import operations as jobs
from service.models_base import utcnow
from service.outbox import operations as outbox
from service.outbox.models import OutboxEvent
from service.reports.models import LateReport
from service.uow import unit_of_work
from tests.security.test_sessions import api_login


def _emit(app, topic: str) -> None:
    with app.app_context(), unit_of_work():
        outbox.emit(topic, {"at": utcnow().isoformat()})


def _topics(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def _relay(app) -> None:
    with app.app_context():
        relay.relay(utcnow())


def test_relayed_outbox_events_past_their_retention_are_deleted_and_recent_ones_kept(app, clock):
    _emit(app, "old.event")
    clock.advance(days=29)
    _emit(app, "recent.event")
    _relay(app)
    clock.advance(days=2)  # the first is 31 days old, the second 2
    _emit(app, "not.relayed")

    with app.app_context():
        counts = jobs.housekeeping(utcnow())

    assert counts["outbox_events"] == 1
    assert _topics(app) == ["recent.event", "not.relayed"]


def test_an_event_the_relay_has_not_handed_on_is_kept_however_old(app, clock):
    _emit(app, "stuck.event")
    clock.advance(days=365)
    with app.app_context():
        assert jobs.housekeeping(utcnow())["outbox_events"] == 0
    assert _topics(app) == ["stuck.event"]


def test_ended_sessions_are_deleted_after_their_retention_and_live_ones_keep_working(app, make_user, clock):
    make_user("long_gone")
    make_user("still_here")
    gone = api_login(app, "long_gone")
    assert gone.post("/api/v1/auth/logout").status_code in (200, 204)
    clock.advance(days=31)
    here = api_login(app, "still_here")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 2

        counts = jobs.housekeeping(utcnow())

        assert counts["sessions"] == 1
        kept = db.session.scalars(sa.select(UserSession)).all()
        assert [row.user.username for row in kept] == ["still_here"]
    assert here.me() == 200


def test_a_session_idle_past_its_limit_is_deleted_once_the_retention_has_passed(app, make_user, clock):
    make_user("idle_user")
    idle = api_login(app, "idle_user")
    minutes = app.config["MOTCUA_SESSION_IDLE_MINUTES"]
    clock.advance(minutes=minutes + 1, days=29)  # ended by idleness, 29 days ago: kept
    with app.app_context():
        assert jobs.housekeeping(utcnow())["sessions"] == 0
    clock.advance(days=2)
    with app.app_context():
        assert jobs.housekeeping(utcnow())["sessions"] == 1
    assert idle.me() == 401


def test_the_late_list_is_stored_from_the_fifth_of_the_next_month_once(app, clock):
    with clock.at(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)), app.app_context():  # 23:00 on the 4th
        assert jobs.late_list_due(utcnow()) is None
        assert db.session.get(LateReport, "2026-11") is None
    with clock.at(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)), app.app_context():  # 00:30 on the 5th
        assert jobs.late_list_due(utcnow()) == "2026-11"
        first = db.session.get(LateReport, "2026-11").generated_at
    with clock.at(datetime(2026, 12, 20, 3, 0, tzinfo=UTC)), app.app_context():
        assert jobs.late_list_due(utcnow()) == "2026-11"
        assert db.session.get(LateReport, "2026-11").generated_at == first  # kept, not redone


def test_the_runner_runs_each_chore_at_start_then_on_its_own_period(app, clock):
    runner = dispatch.Runner(app, interval=1.0)
    _emit(app, "ancient.event")
    _relay(app)
    clock.advance(days=40)

    assert runner.chores(1000.0) == ["sla", "late_list", "bundles", "housekeeping"]
    assert _topics(app) == []  # the housekeeping ran
    assert runner.chores(1030.0) == []
    assert runner.chores(1061.0) == ["sla"]
    assert runner.chores(1000.0 + 3601) == ["sla", "late_list", "bundles"]
    assert runner.chores(1000.0 + 86401) == ["sla", "late_list", "bundles", "housekeeping"]


def test_motcua_housekeeping_runs_it_by_hand(app, clock):
    from service.cli import main

    _emit(app, "old.event")
    _relay(app)
    clock.advance(days=31)
    result = app.test_cli_runner().invoke(main, ["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 outbox events, 0 ended sessions" in result.stderr
    assert _topics(app) == []


def test_done_external_tasks_are_deleted_after_the_retention_and_open_ones_kept(app, admin, make_user, clock):
    from service.external_tasks.models import OPEN, ExternalTask
    from tests.support import bpmn_path

    assert admin.deploy(bpmn_path("engine_external.bpmn")).status_code == 201
    worker = make_user("worker", groups=["external-workers"])
    for _ in range(2):
        assert admin.start("external_check").status_code == 201
    topics = [{"topic_name": "population-lookup", "lock_duration": 60_000}]
    fetched = worker.post("/api/v1/external-tasks/fetch-and-lock", json={"worker_id": "w1", "topics": topics})
    done = fetched.json[0]["id"]
    body = {"worker_id": "w1", "variables": {}}
    completed = worker.post(f"/api/v1/external-tasks/{done}/complete", json=body)
    assert completed.status_code == 200, completed.json
    clock.advance(days=31)

    with app.app_context():
        assert jobs.housekeeping(utcnow())["external_tasks"] == 1
        assert db.session.scalars(sa.select(ExternalTask.state)).all() == [OPEN]


def test_sent_portal_pushes_are_deleted_after_the_retention_and_unsent_ones_kept(dossier_office, clock):
    from service.dossiers.models import Dossier
    from service.dvcqg.models import FAILED, PENDING, SENT, StatusPush
    from tests.factories import receive_dossier

    receive_dossier(dossier_office.clerk)
    app = dossier_office.app
    with app.app_context(), unit_of_work():
        dossier_id = db.session.scalar(sa.select(Dossier.id))
        now = utcnow()
        for event_id, state in enumerate((SENT, PENDING, FAILED), start=1):
            sent_at = now if state == SENT else None
            db.session.add(StatusPush(event_id=event_id, dossier_id=dossier_id, state=state, sent_at=sent_at))
    clock.advance(days=31)
    with app.app_context(), unit_of_work():
        db.session.add(StatusPush(event_id=4, dossier_id=dossier_id, state=SENT, sent_at=utcnow()))

    with app.app_context():
        assert jobs.housekeeping(utcnow())["portal_status_pushes"] == 1
        rows = sa.select(StatusPush.event_id, StatusPush.state).order_by(StatusPush.event_id)
        kept = db.session.execute(rows)
        assert kept.all() == [(2, PENDING), (3, FAILED), (4, SENT)]
