"""A step that opens again for the same dossier gets what remains of its share: appraise after a
consultation is due by its allotment minus the working days its earlier rounds used (nothing left:
due the moment it opens), and Mẫu 05 judges each round against what remained.

Hand-computed on AG-LLTP-01 (appraise 5 working days, consult 2), office hours 07:00-11:30 and
13:30-17:00 (Asia/Ho_Chi_Minh), in a week of March 2027 without holidays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def office(dossier_office, make_user):
    """The dossier process, the catalogue, its officers and a coordinator of the provincial police."""
    dossier_office.police = make_user("police", groups=["coordinators"], unit="CA-TINH")
    return dossier_office


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2027, 3, day, hour, 0, tzinfo=HCM)


def open_step(dossier: dict, element: str) -> dict:
    (step,) = [s for s in dossier["current_steps"] if s["element_id"] == element]
    return step


def consult(office, dossier):
    return appraise(office, dossier, "consult", agencies=["CA-TINH"], consultation_content="Xin ý kiến.")


def test_appraise_reopened_after_consultations_is_due_by_what_remains_of_its_share(office, clock):
    clock.freeze()
    clock.advance_to(at(1))  # Monday
    dossier = to_appraisal(office, receive(office))
    first = open_step(dossier, "appraise")
    assert datetime.fromisoformat(first["due_at"]) == at(8)  # the whole share: 5 working days

    clock.advance_to(at(4))  # Thursday: 3 working days used
    dossier = consult(office, dossier)
    clock.advance_to(at(5))  # Friday: the consultation took 1 of its 2 days
    dossier = do(office.police, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    second = open_step(dossier, "appraise")
    assert datetime.fromisoformat(second["due_at"]) == at(9)  # 5 - 3 = 2 working days: Tuesday

    clock.advance_to(at(10))  # Wednesday: 3 more working days, 1 over what remained
    dossier = consult(office, dossier)
    clock.advance_to(at(11))  # Thursday
    dossier = do(office.police, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    third = open_step(dossier, "appraise")
    assert datetime.fromisoformat(third["due_at"]) == at(11)  # nothing left: due when it opens
    assert datetime.fromisoformat(open_step(dossier, "appraise")["due_at"]) == clock.now()

    dossier = appraise(office, dossier, "propose_approve")  # at once: 0 used of 0
    rounds = [
        (s["element_id"], s["allotted_days"], s["used_days"], s["verdict"])
        for s in dossier["steps"]
        if s["element_id"] in {"appraise", "consult"}
    ]
    assert rounds == [
        ("appraise", 5.0, 3.0, "early"),
        ("consult", 2.0, 1.0, "early"),
        ("appraise", 2.0, 3.0, "late"),
        ("consult", 1.0, 1.0, "on_time"),
        ("appraise", 0.0, 0.0, "on_time"),
    ]
    mau05 = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}/documents/mau-05?format=html")
    assert "Quá hạn" in mau05.get_data(as_text=True)


def test_parallel_consultations_of_one_round_use_its_share_once(office, make_user, clock):
    finance = make_user("finance", groups=["coordinators"], unit="SO-TC")
    clock.freeze()
    clock.advance_to(at(1))  # Monday
    dossier = to_appraisal(office, receive(office))
    both = {"agencies": ["CA-TINH", "SO-TC"], "consultation_content": "Xin ý kiến."}
    dossier = appraise(office, dossier, "consult", **both)
    clock.advance_to(at(2))  # Tuesday: each agency took the same working day, side by side
    dossier = do(office.police, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    dossier = do(finance, dossier, "consult", {"position": "agree", "content": "Đồng ý."})
    dossier = appraise(office, dossier, "consult", **both)  # at once
    # The first round used 1 of consult's 2 days (not 1 + 1): 1 day remains for each agency.
    assert [datetime.fromisoformat(s["due_at"]) for s in dossier["current_steps"]] == [at(3), at(3)]
