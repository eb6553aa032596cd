"""The late list works out who is responsible for its dossiers set-based (reports/operations.py,
`responsible_for`): the number of SQL statements a list takes does not grow with its length.
Hand-made histories in March 2027 (no holidays), AG-LLTP-01, office time Asia/Ho_Chi_Minh: each
third dossier has a late step (rule 1), is held by the specialist when it falls due (rule 2, an
assigned task), or waits for the head's assignment (rule 2, a task with its candidates)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from service.dossiers.models import DossierStep
from service.extensions import db
from service.reports import operations
from tests.dossiers.test_dossier_flow import accept, do, receive
from tests.support import statements

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2027, 3, day, hour, 0, tzinfo=HCM)


def add_dossiers(office, count: int) -> dict[str, int]:
    """`count` dossiers received now, each of the kind (0, 1, 2: see the module) it is given in
    turn; their kinds by code."""
    kinds = {}
    for number in range(count):
        dossier = accept(office, receive(office))
        kinds[dossier["code"]] = number % 3
        if number % 3 == 0:
            do(office.head, dossier, "assign", {"specialist": "specialist"})
        elif number % 3 == 1:
            with office.app.app_context():
                db.session.add(
                    DossierStep(
                        dossier_id=uuid.UUID(dossier["id"]),
                        task_id=uuid.uuid4(),
                        element_id="digitise",
                        name="Số hoá hồ sơ",
                        unit="Bộ phận một cửa",
                        actor="clerk",
                        started_at=at(1, 9),
                        ended_at=at(1, 10),
                        allotted_days=0.1,
                        used_days=0.2,
                        verdict="late",
                    )
                )
                db.session.commit()
    return kinds


def late_list(office, now: datetime) -> tuple[list[dict], int]:
    """The late list of March 2027 judged at `now`, and the statements it took."""
    with office.app.app_context():
        operations.late_rows("2027-03", now=now)  # the definition compiled, nothing else kept
    with office.app.app_context(), statements(office.app) as seen:
        rows = operations.late_rows("2027-03", now=now)
    return rows, len(seen)


def test_the_late_list_takes_as_many_statements_for_three_dossiers_as_for_nine(dossier_office, clock):
    office = dossier_office
    clock.freeze()
    clock.advance_to(at(1))  # Monday
    kinds = add_dossiers(office, 3)  # due on 15/3 at 08:00 (10 working days)
    clock.advance_to(at(2))
    kinds |= add_dossiers(office, 6)  # due on 16/3 at 08:00
    clock.advance_to(at(31, 12))
    few, few_statements = late_list(office, at(15, 12))  # the three received on 1/3
    assert len(few) == 3
    many, many_statements = late_list(office, at(31, 12))  # all nine
    assert len(many) == 9
    assert many_statements == few_statements

    for row in few + many:
        named = [(e["element_id"], e["reason"], e["officer"]) for e in row["responsible"]]
        assert (
            named
            == {
                0: [("appraise", "open_at_due", "specialist")],
                1: [("digitise", "late_step", "clerk")],
                2: [("assign", "open_at_due", None)],
            }[kinds[row["code"]]]
        ), row["code"]
