"""The unit of work (service/uow.py) and the outbox (service/outbox): one commit, then what follows."""

import pytest
import sqlalchemy as sa

from service import uow
from service.extensions import db
from service.outbox import operations as outbox
from service.outbox.models import OutboxEvent


@pytest.fixture
def seen(app):
    events = []
    outbox.subscribe(app, "test.happened", events.append)
    return events


def _rows() -> list[tuple[str, dict]]:
    return [(e.topic, e.payload) for e in db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id))]


def test_events_are_written_with_the_change_and_published_after_the_commit(app, seen):
    with app.app_context():
        with uow.unit_of_work():
            outbox.emit("test.happened", {"n": 1})
            outbox.emit("other.topic", {"n": 2})
            assert seen == []  # not before the commit
        assert [(e.topic, e.payload) for e in seen] == [("test.happened", {"n": 1})]
        assert _rows() == [("test.happened", {"n": 1}), ("other.topic", {"n": 2})]


def test_a_unit_that_fails_keeps_and_publishes_nothing_but_compensates(app, seen):
    done = []
    with app.app_context():
        with pytest.raises(RuntimeError), uow.unit_of_work() as unit:
            outbox.emit("test.happened", {"n": 1})
            unit.after(lambda: done.append("after"))
            unit.on_rollback(lambda: done.append("rolled back"))
            raise RuntimeError("boom")
        assert seen == [] and _rows() == []
        assert done == ["after", "rolled back"]


def test_an_aborted_unit_rolls_back_without_raising(app, seen):
    done = []
    with app.app_context():
        with uow.unit_of_work() as unit:
            outbox.emit("test.happened")
            unit.on_rollback(lambda: done.append("rolled back"))
            unit.abort()
        assert seen == [] and _rows() == [] and done == ["rolled back"]


def test_a_committed_unit_runs_its_after_callbacks_but_not_its_compensations(app):
    done = []
    with app.app_context():
        with uow.unit_of_work() as unit:
            unit.after(lambda: done.append("after"))
            unit.on_rollback(lambda: done.append("rolled back"))
        assert done == ["after"]


def test_a_failing_subscriber_is_logged_and_the_others_still_run(app, seen, caplog):
    def broken(event):
        raise ValueError("subscriber bug")

    outbox.subscribe(app, "test.happened", broken)
    outbox.subscribe(app, "test.happened", lambda event: seen.append("after the broken one"))
    with app.app_context():
        with uow.unit_of_work():
            outbox.emit("test.happened", {"n": 1})
        assert len(seen) == 2 and seen[1] == "after the broken one"
    assert "outbox subscriber of test.happened failed" in caplog.text


def test_opened_joins_the_open_unit_or_opens_one(app, seen):
    with app.app_context():
        with uow.unit_of_work() as outer, uow.opened() as inner:
            assert inner is outer
        with uow.opened():
            outbox.emit("test.happened")
        assert len(seen) == 1


def test_a_request_is_one_unit_its_events_published_only_if_it_succeeds(app, admin, seen):
    """The calendar's override route writes nothing of a refused request: its unit rolls back."""

    @app.post("/_test/emit/<int:status>")
    def emit_then_answer(status):
        outbox.emit("test.happened", {"status": status})
        return {"ok": status < 400}, status

    assert admin.post("/_test/emit/201").status_code == 201
    assert admin.post("/_test/emit/409").status_code == 409
    assert [e.payload for e in seen] == [{"status": 201}]
    with app.app_context():
        assert _rows() == [("test.happened", {"status": 201})]


def test_discard_drops_what_the_dropped_part_asked_for_and_keeps_what_follows(app, seen):
    """A page that shows a refused form again discards the failed half (uow.discard) and commits
    the rest: the dropped part's event is never published, its compensation runs at once, its
    cached reads are read again; what the unit asks for afterwards happens as usual."""
    done = []
    with app.app_context():
        with uow.unit_of_work() as unit:
            outbox.emit("test.happened", {"n": "dropped"})
            unit.on_rollback(lambda: done.append("compensated"))
            unit.after(lambda: done.append("after"))
            assert uow.remember("key", lambda: "first read") == "first read"
            uow.discard()
            assert done == ["compensated"]
            assert uow.remember("key", lambda: "read again") == "read again"
            outbox.emit("test.happened", {"n": "kept"})
        assert [e.payload for e in seen] == [{"n": "kept"}]
        assert _rows() == [("test.happened", {"n": "kept"})]
        assert done == ["compensated", "after"]
