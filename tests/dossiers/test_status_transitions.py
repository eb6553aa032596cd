"""Every status move the shipped dossier model makes, reached by its own path through the API, and
the moves it does not make listed with their reason; a move the statuses do not allow is refused
in one place (dossiers/status.py) and audited.

Each scenario drives a dossier and names the chain of statuses its audit trail must show
(`dossier_status_changed` facts, from 1 on). The static test checks that the scenarios together
reach every move of `status.TRANSITIONS` but those listed in NOT_MODELLED.
"""

from __future__ import annotations

import itertools

import pytest

from service.dossiers.status import TRANSITIONS, DossierStatus, may_move
from tests.dossiers.test_dossier_flow import accept, appraise, do, receive, to_appraisal
from tests.dossiers.test_dossier_flow import office as office  # the fixture
from tests.dossiers.test_financial_obligation import RECEIPT, request_financial
from tests.support import bpmn_path


def _withdraw(office, dossier):
    ref = dossier["code"] or dossier["id"]
    response = office.clerk.post(f"/api/v1/dossiers/{ref}/withdraw", json={"reason": "Không còn nhu cầu"})
    assert response.status_code == 200, response.json
    return response.json


def _supplement(office, dossier):
    return appraise(
        office, dossier, "request_supplement", missing_items=["Tờ khai"], supplement_reason="Thiếu tờ khai."
    )


def _issued(office, dossier):
    dossier = appraise(office, to_appraisal(office, dossier), "propose_approve")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    return do(
        office.records,
        dossier,
        "issue_result",
        {"result_number": "1/KQ", "issued_on": "2026-11-27"},
    )


def _refused_at_reception(office, dossier):
    return do(office.clerk, dossier, "receive", {"reception_decision": "refuse", "refusal_reason": "Sai."})


def _received(office, dossier):
    return do(office.clerk, dossier, "receive", {"reception_decision": "accept"})


def _returned(office, dossier):
    return do(office.clerk, _issued(office, dossier), "return_result", {"method": "counter"})


def _supplemented(office, dossier):
    dossier = _supplement(office, to_appraisal(office, dossier))
    return do(office.clerk, dossier, "await_supplement", {"supplement_received": True})


def _obligation_met(office, dossier):
    dossier = request_financial(office, to_appraisal(office, dossier))
    return do(office.clerk, dossier, "await_financial", RECEIPT)


def _stopped_with_a_notice(office, dossier):
    dossier = appraise(office, to_appraisal(office, dossier), "propose_stop", proposed_stop_reason="Chết.")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "stop", "stop_reason": "Chết."})
    return do(
        office.records, dossier, "issue_stop_notice", {"notice_number": "2/TB", "issued_on": "2026-11-27"}
    )


# name: (what is done to a new dossier, the statuses its audit trail shows)
MODEL_PATHS = {
    "returned": (_returned, [1, 2, 4, 9, 10]),
    "not received": (_refused_at_reception, [1, 3]),
    "withdrawn before reception": (_withdraw, [1, 7]),
    "withdrawn while numbered": (lambda o, d: _withdraw(o, _received(o, d)), [1, 2, 7]),
    "withdrawn in processing": (lambda o, d: _withdraw(o, to_appraisal(o, d)), [1, 2, 4, 7]),
    "supplemented": (_supplemented, [1, 2, 4, 5, 4]),
    "withdrawn awaiting a supplement": (
        lambda o, d: _withdraw(o, _supplement(o, to_appraisal(o, d))),
        [1, 2, 4, 5, 7],
    ),
    "financial obligation met": (_obligation_met, [1, 2, 4, 6, 4]),
    "withdrawn awaiting a financial obligation": (
        lambda o, d: _withdraw(o, request_financial(o, to_appraisal(o, d))),
        [1, 2, 4, 6, 7],
    ),
    "stopped with a notice": (_stopped_with_a_notice, [1, 2, 4, 8]),
    "withdrawn with the result ready": (lambda o, d: _withdraw(o, _issued(o, d)), [1, 2, 4, 9, 7]),
}
# An administrator's terminate stops the dossier (8) from any status that is not final.
TERMINATED = {
    1: lambda o, d: d,
    2: _received,
    4: lambda o, d: accept(o, d),
    5: lambda o, d: _supplement(o, to_appraisal(o, d)),
    6: lambda o, d: request_financial(o, to_appraisal(o, d)),
    9: _issued,
}
# Allowed moves the shipped model never makes (another model may): it assigns every received
# dossier (2 -> 4) before any appraisal can ask for a supplement, a payment or approve; and a
# dossier waiting for the applicant comes back to processing (4) before anything else happens.
NOT_MODELLED = {(2, 5), (2, 6), (2, 9), (5, 6), (5, 9), (6, 5), (6, 9)}


def _moves(chain):
    return set(itertools.pairwise(chain))


def test_the_scenarios_reach_every_allowed_move_but_those_listed():
    allowed = {(int(a), int(b)) for a, targets in TRANSITIONS.items() for b in targets if a != b}
    reached = set().union(*(_moves(chain) for _, chain in MODEL_PATHS.values()))
    reached |= {(status, 8) for status in TERMINATED}
    assert reached <= allowed
    assert allowed - reached == NOT_MODELLED
    assert not any(
        may_move(DossierStatus(a), DossierStatus(b)) for a in (3, 7, 8, 10) for b in range(1, 11) if a != b
    )


def _chain(office, dossier) -> list[int]:
    instance = office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json
    changes = [e["data"] for e in instance["history"] if e["type"] == "dossier_status_changed"]
    for before, after in itertools.pairwise(changes):
        assert before["to"] == after["from"]
    return [1] + [change["to"] for change in changes]


@pytest.mark.parametrize("name", list(MODEL_PATHS))
def test_the_model_moves_the_status_along_its_path(office, name):
    drive, expected = MODEL_PATHS[name]
    dossier = drive(office, receive(office))
    assert dossier["status"] == expected[-1]
    assert _chain(office, dossier) == expected


@pytest.mark.parametrize("status", list(TERMINATED))
def test_an_administrators_terminate_stops_the_dossier_from(office, status):
    dossier = TERMINATED[status](office, receive(office))
    assert dossier["status"] == status
    response = office.admin.post(f"/api/v1/process-instances/{dossier['process_instance_id']}/terminate")
    assert response.status_code == 200, response.json
    dossier = office.admin.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert dossier["status"] == 8 and dossier["finished_at"]
    # how the handling ended, kept once set: a result already issued stays "approved"
    assert dossier["outcome"] == ("approved" if status == 9 else "stopped")
    assert dossier["paused"] is False  # a paused clock ends with the dossier
    assert _chain(office, dossier)[-2:] == [status, 8]


def test_a_move_the_statuses_do_not_allow_is_refused_and_audited(office, admin):
    """A model whose result step claims the dossier was refused at reception (4 -> 3) moves nothing."""
    source = bpmn_path("dossier.bpmn").read_text(encoding="utf-8")
    marker = '<spiffworkflow:property name="dossierOutcome" value="approved" />'
    assert source.count(marker) == 1
    bad = source.replace(marker, marker + '\n<spiffworkflow:property name="dossierStatus" value="3" />')
    assert admin.deploy(bad, "dossier.bpmn").status_code == 201  # version 2 of the dossier process
    dossier = appraise(office, to_appraisal(office, receive(office)), "propose_approve")
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    assert dossier["status"] == 4  # kept
    instance = office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json
    (refusal,) = [e for e in instance["history"] if e["type"] == "dossier_status_refused"]
    assert refusal["data"] == {"from": 4, "to": "3", "code": dossier["code"]}
    assert "cannot move" in refusal["message"]
    dossier = do(
        office.records,
        dossier,
        "issue_result",
        {"result_number": "1/KQ", "issued_on": "2026-11-27"},
    )
    assert dossier["status"] == 9  # the allowed moves that follow still happen
    assert _chain(office, dossier) == [1, 2, 4, 9]
