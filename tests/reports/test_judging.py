"""The one rule for judging dossiers over a period (service/dossiers/judging.py): which dossiers a
period counts and how each stood at its end, in SQL and in Python, on hand-made histories."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.dossiers import judging
from service.dossiers.judging import Standing
from service.dossiers.models import Dossier, DossierPause
from service.extensions import db
from tests.factories import receive_dossier

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = datetime(2026, 11, 1, tzinfo=HCM), datetime(2026, 12, 1, tzinfo=HCM)


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=HCM)


# name: (received, original due, finished, verdict, pauses [(start, end, due after)])
HISTORIES = {
    "early": (at(11, 5), at(11, 12, 17), at(11, 10), "early", []),
    "on_time": (at(11, 5), at(11, 12, 17), at(11, 12, 10), "on_time", []),
    "carried_late": (at(10, 20), at(11, 3, 17), at(11, 5), "late", []),
    "finished_before": (at(10, 20), at(10, 30, 17), at(10, 25), "early", []),
    "open_in_time": (at(11, 25), at(12, 5, 17), None, None, []),
    "open_late": (at(11, 10), at(11, 20, 17), None, None, []),
    "paused_in_time": (at(11, 10), at(11, 20, 17), None, None, [(at(11, 15), None, None)]),
    "paused_after_due": (at(11, 10), at(11, 20, 17), None, None, [(at(11, 22), None, None)]),
    "resumed": (at(11, 10), at(11, 20, 17), None, None, [(at(11, 15), at(11, 25), at(11, 30, 17))]),
    "late_at_end_finished_after": (at(11, 25), at(11, 30, 17), at(12, 3), "late", []),
    "received_after": (at(12, 2), at(12, 10, 17), None, None, []),
}

# How each stands at the month's end (1/12 00:00), by hand:
AT_END = {
    "early": Standing.EARLY,
    "on_time": Standing.ON_TIME,
    "carried_late": Standing.LATE,  # received in October, still processed in November
    "open_in_time": Standing.OPEN_IN_TIME,
    "open_late": Standing.OPEN_LATE,
    "paused_in_time": Standing.PAUSED,  # the request (15/11) came before the due moment (20/11)
    "paused_after_due": Standing.OPEN_LATE,  # the request (22/11) came after it
    "resumed": Standing.OPEN_LATE,  # the pause moved the due moment to 30/11 17:00, passed at T
    "late_at_end_finished_after": Standing.OPEN_LATE,  # finished on 3/12, late at the month's end
}
# Not counted: finished before the month began, received after it ended.


@pytest.fixture
def dossiers(dossier_office):
    """The histories, as dossiers received through the API and then given their moments."""
    ids = {name: receive_dossier(dossier_office.clerk)["id"] for name in HISTORIES}
    with dossier_office.app.app_context():
        for name, (received, due, finished, verdict, pauses) in HISTORIES.items():
            row = db.session.get(Dossier, uuid.UUID(ids[name]))
            row.received_at = received
            row.original_due_at = due
            row.due_at = pauses[-1][2] if pauses and pauses[-1][2] else due
            row.finished_at, row.verdict = finished, verdict
            row.paused_at = next((start for start, end, _ in pauses if end is None), None)
            for start, end, due_after in pauses:
                db.session.add(
                    DossierPause(
                        dossier_id=row.id,
                        kind="supplement",
                        started_at=start,
                        ended_at=end,
                        due_after=due_after,
                    )
                )
        db.session.commit()
    return {uuid.UUID(value): name for name, value in ids.items()}


def _sql(moment, start=START, end=END):
    rows = db.session.execute(
        sa.select(Dossier.id, judging.standing(moment)).where(judging.counted(start, end))
    ).all()
    return {dossier_id: Standing(value) for dossier_id, value in rows}


def test_a_month_counts_what_was_received_or_processed_in_it_judged_at_its_end(dossier_office, dossiers):
    with dossier_office.app.app_context():
        judged = {dossiers[dossier_id]: value for dossier_id, value in _sql(END).items()}
    assert judged == AT_END


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(11, 14), Standing.OPEN_IN_TIME),  # before the pause: the original due moment (20/11)
        (at(11, 18), Standing.PAUSED),  # waiting for the applicant, asked in time
        (at(11, 26), Standing.OPEN_IN_TIME),  # resumed: due 30/11 17:00
        (at(11, 30, 18), Standing.OPEN_LATE),
    ],
)
def test_the_due_moment_at_a_moment_is_the_one_that_stood_then(dossier_office, dossiers, moment, expected):
    with dossier_office.app.app_context():
        judged = {dossiers[dossier_id]: value for dossier_id, value in _sql(moment).items()}
    assert judged["resumed"] == expected


@pytest.mark.parametrize("moment", [at(11, 14), at(11, 18), at(11, 21), at(11, 26), END, at(12, 5)])
def test_python_and_sql_judge_alike(dossier_office, dossiers, moment):
    with dossier_office.app.app_context():
        in_sql = _sql(moment, START, datetime(2026, 12, 31, tzinfo=HCM))
        for dossier_id, value in in_sql.items():
            row = db.session.get(Dossier, dossier_id)
            pauses = db.session.scalars(
                sa.select(DossierPause).where(DossierPause.dossier_id == dossier_id)
            ).all()
            assert judging.judge_dossier(row, list(pauses), moment) == value, dossiers[dossier_id]


def test_a_past_month_gives_the_same_answer_after_its_dossiers_move_on(dossier_office, dossiers):
    with dossier_office.app.app_context():
        before = _sql(END)
        by_name = {name: dossier_id for dossier_id, name in dossiers.items()}
        # In December: the paused dossier's applicant answers (due moves), the open ones finish.
        pause = db.session.scalar(
            sa.select(DossierPause).where(DossierPause.dossier_id == by_name["paused_in_time"])
        )
        pause.ended_at, pause.due_after = at(12, 4), at(12, 20, 17)
        for name in ("open_late", "open_in_time", "paused_after_due"):
            row = db.session.get(Dossier, by_name[name])
            row.finished_at, row.verdict = at(12, 8), "late"
        db.session.commit()
        assert _sql(END) == before
