"""Issue 14's "Done when", end to end over real HTTP against the simulators (one dossier's story):

an online dossier submitted on the portal simulator reaches the clerk's worklist with its files;
it is paused for a supplement and resumes when the applicant supplements on the portal; its fee
(AG-LLTP-01 collects 200.000 đồng through the process here) is paid online, the payment
simulator's signed callback delivering it; the result is signed (PAdES, a key of the tests'
authority, tests/pki.py) and filed in the documents system; it is delivered by post through a
postal operator that fails: the booking is retried, becomes an incident, and the administrator's
retry after the simulator recovers finishes the dossier (status 10, returned by post) with exactly
one booking on the simulator's side; the portal simulator has received its statuses in order.

`test_done_when_in_process` runs on the suite's database (SQLite, or PostgreSQL in its pass) with
Motcua served in a thread and the jobs run inline as the other integration tests run them
(jobs.dispatch.tick). `test_done_when_with_real_workers` runs in the PostgreSQL pass only: `motcua
serve`, a Celery worker and beat on Redis (tests/workers/stack.py), nothing in the test process
but HTTP and reads of the database.

The `tthc_publication` part of "Done when" (a changed procedure localised from the national
database simulator after an officer approves the diff, the next dossier using the new deadline)
is tested by tests/procedures/test_localisation.py
(test_a_changed_procedure_is_localised_after_approval_and_only_new_dossiers_use_it, in process) and
tests/workers/test_localisation_workers.py (real workers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from tests.dvcqg.portal import COMPONENT, PDF, Http, b64, portal_statuses, supplement_on_portal
from tests.integrations.remote import PAYMENT_SECRET, POST_SECRET, point_callbacks
from tests.integrations.simulation import SimulatorProcess
from tests.pki import Authority, write_keys

FEE = 200000
POST_ATTEMPTS = 3  # this environment's retry policy for the post
PASSPHRASE = b"mat-khau-don-vi"
RESULT = {"result_number": "14/PLLTP", "issued_on": "2026-12-04"}
BY_POST = {"method": "post", "delivery_address": "Số 5 Lê Lợi, Long Xuyên", "delivery_phone": "0911222333"}
# 1 received online, 2 accepted, 4 in processing, 5 waiting for a supplement, 4 again, 9 the
# result at the counter, 10 returned (by post)
STATUSES = [1, 2, 4, 5, 4, 9, 10]


@dataclass
class Story:
    """What the story needs of a deployment: officers' HTTP clients, the simulator, and `settle`
    (let the background work run until `predicate` gives something truthy; that thing)."""

    http: dict[str, Http]
    simulator: SimulatorProcess
    settle: Callable[[Callable, str], object]


def _sign_keys(folder) -> tuple[str, str]:
    keys, roots = write_keys(folder, Authority.create(), {"SO-TP": "Sở Tư pháp tỉnh An Giang"}, PASSPHRASE)
    return str(keys), str(roots)


def _set_fee(admin: Http) -> None:
    answer = admin.session.patch(
        admin.base + "/api/v1/procedures/AG-LLTP-01", json={"fee_amount": FEE}, timeout=30
    )
    assert answer.status_code == 200, answer.text


def _tell_portal(simulator: SimulatorProcess, base: str, token: str) -> None:
    told = requests.post(
        f"{simulator.url}/dvc/portal/config", json={"motcua_url": base, "motcua_token": token}, timeout=10
    )
    assert told.status_code == 200, told.text
    point_callbacks(simulator, base)


def _dossier(caller: Http, dossier: dict) -> dict:
    answer = caller.get(f"/api/v1/dossiers/{dossier['id']}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _task(caller: Http, dossier: dict, element: str) -> dict:
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json()["items"]
    matching = [t for t in tasks if t["element_id"] == element]
    assert matching, f"no open {element}: {[t['element_id'] for t in tasks]}"
    return matching[0]


def _do(caller: Http, dossier: dict, element: str, variables: dict) -> dict:
    task = _task(caller, dossier, element)
    answer = caller.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables})
    assert answer.status_code == 200, answer.text
    return _dossier(caller, dossier)


def _files(caller: Http, dossier: dict) -> list[str]:
    listed = caller.get(f"/api/v1/process-instances/{dossier['process_instance_id']}/attachments").json()
    return sorted(f["filename"] for f in (listed["items"] if isinstance(listed, dict) else listed))


def _variables(admin: Http, dossier: dict) -> dict:
    return admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json()["variables"]


def _incident(admin: Http, element: str) -> dict | None:
    items = admin.get("/api/v1/incidents").json()["items"]
    return next((i for i in items if i.get("element_id") == element), None)


def _sign_result(records: Http, task_id: str) -> dict:
    """The records officer uploads the result PDF on the result step and signs it with the unit's key."""
    from service.documents import render_pdf

    uploaded = records.session.post(
        f"{records.base}/api/v1/tasks/{task_id}/attachments",
        files={"file": ("ket-qua.pdf", render_pdf("mau-01", {}), "application/pdf")},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    signed = records.post(f"/api/v1/attachments/{uploaded.json()['id']}/signature")
    assert signed.status_code == 201, signed.text
    return signed.json()


def play(story: Story) -> None:
    http, sim, settle = story.http, story.simulator, story.settle
    clerk, admin, specialist = http["clerk"], http["admin"], http["specialist"]

    # An online dossier submitted on the portal reaches the clerk's worklist with its files.
    body = {
        "procedure_code": "AG-LLTP-01",
        "applicant": {"name": "Lê Thị Hoa", "phone": "0913000222"},
        "components": [
            {"name": COMPONENT, "files": [{"filename": "to-khai.pdf", "content_base64": b64(PDF)}]}
        ],
        "fee": {"amount": FEE, "paid": False},
    }
    sent = requests.post(f"{sim.url}/dvc/portal/dossiers", json=body, timeout=60).json()
    (answer,) = sent["answers"]
    assert answer["status"] == 201, answer
    portal_id = sent["portal_id"]
    dossier = clerk.get(f"/api/v1/dossiers/{answer['body']['dossier_id']}").json()
    assert (dossier["channel"], dossier["status"], dossier["fee_paid"]) == ("online", 1, False)
    worklist = clerk.get("/api/v1/tasks").json()["items"]
    mine = [t["element_id"] for t in worklist if t["process_instance_id"] == dossier["process_instance_id"]]
    assert mine == ["receive"]
    assert _files(clerk, dossier) == ["to-khai.pdf"]

    dossier = _do(clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = _do(clerk, dossier, "digitise", {"all_components_digitised": True})
    assert dossier["status"] == 4 and dossier["code"]
    # The fee step asks the payment platform for a payment request (a service call on the workers).
    request = settle(lambda: _variables(admin, dossier).get("fee_request"), "the fee's payment request")
    assert request["amount"] == FEE

    # Paused for a supplement; the applicant supplements on the portal; the dossier resumes.
    dossier = _do(http["head"], dossier, "assign", {"specialist": "specialist"})
    ask = {
        "appraisal_decision": "request_supplement",
        "appraisal_opinion": "Thiếu bản chụp CCCD.",
        "missing_items": ["Bản chụp CCCD"],
        "supplement_reason": "Thiếu.",
    }
    dossier = _do(specialist, dossier, "appraise", ask)
    assert dossier["status"] == 5 and dossier["paused"] is True
    (supplemented,) = supplement_on_portal(sim.url, portal_id)["answers"]
    assert supplemented["status"] == 201, supplemented
    dossier = _dossier(clerk, dossier)
    assert dossier["status"] == 4 and dossier["paused"] is False
    assert [s["element_id"] for s in dossier["current_steps"]] == ["appraise"]
    assert _files(clerk, dossier) == ["cccd.png", "to-khai.pdf"]

    # Paid online: the payment simulator plays the payer and sends its signed callback.
    paid = requests.post(
        f"{sim.url}/payment/_pay/{request['payment_id']}", json={"outcome": "paid"}, timeout=60
    )
    assert paid.status_code == 200, paid.text
    (callback,) = paid.json()["answers"]
    assert callback["status"] == 200 and callback["body"]["outcome"] == "delivered", callback
    dossier = _dossier(clerk, dossier)
    (payment,) = dossier["payments"]
    assert (payment["state"], payment["channel"], payment["amount"]) == ("paid", "online", FEE)
    assert dossier["fee_paid"] is True

    # Approved; the result signed for real and filed in the documents system.
    dossier = _do(
        specialist,
        dossier,
        "appraise",
        {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đạt."},
    )
    dossier = _do(http["leader"], dossier, "approve", {"approval_decision": "approve"})
    signed = _sign_result(http["records"], _task(http["records"], dossier, "issue_result")["id"])
    (check,) = signed["signatures"]
    assert check["good"] is True and check["signer"] == "Sở Tư pháp tỉnh An Giang"
    dossier = _do(http["records"], dossier, "issue_result", RESULT)
    dossier = settle(
        lambda: (d := _dossier(clerk, dossier))["edms_number"] and d, "the documents system's number"
    )
    assert _variables(admin, dossier)["e_result_signed"] is True
    (filed,) = [e for e in sim.journal() if e["connector"] == "edms"]
    assert filed["params"]["ref"] == dossier["code"]

    # Delivered by post, through a postal operator that fails: retried, then an incident.
    sim.fail(connector="post", operation="book_delivery", times=POST_ATTEMPTS, status=503)
    dossier = _do(clerk, dossier, "return_result", BY_POST)
    found = settle(lambda: _incident(admin, "book_delivery"), "the booking's incident")
    assert found["attempts"] == POST_ATTEMPTS and "503" in found["error"]
    dossier = _dossier(clerk, dossier)
    assert dossier["status"] == 9 and dossier["tracking_number"] is None
    assert [e for e in sim.journal() if e["connector"] == "post"] == []  # no attempt got through
    # The simulator has recovered (its failures are used up): the administrator retries.
    retried = admin.post(f"/api/v1/incidents/{found['id']}/retry")
    assert retried.status_code == 200, retried.text
    dossier = settle(
        lambda: (d := _dossier(clerk, dossier))["status"] == 10 and d, "the dossier returned by post"
    )
    assert dossier["return_method"] == "post" and dossier["tracking_number"] == "EB000000001VN"
    bookings = [e for e in sim.journal() if (e["connector"], e["operation"]) == ("post", "book_delivery")]
    assert len(bookings) == 1 and bookings[0]["params"]["ref"] == dossier["code"]
    assert sim.stats()["effects_per_key"][bookings[0]["key"]] == 1  # exactly one booking
    assert _incident(admin, "book_delivery") is None

    # The portal has received every status, in order, once each.
    statuses = settle(
        lambda: (s := portal_statuses(sim.url, portal_id)) and [x["status"] for x in s] == STATUSES and s,
        "the statuses at the portal",
    )
    assert [s["sequence"] for s in statuses] == sorted(s["sequence"] for s in statuses)
    assert statuses[0]["code"] is None and {s["code"] for s in statuses[1:]} == {dossier["code"]}


# --- in process: the suite's database, Motcua in a thread, the jobs run inline -------------------


def _run_inline(app) -> None:
    """One worker round, as the worker's tick does it: due service calls and status pushes (their
    backoff made due now: the retries' moment, not their behaviour)."""
    from service.dvcqg.models import PENDING, StatusPush
    from service.extensions import db
    from service.jobs import dispatch
    from service.jobs.models import ServiceCall
    from service.models_base import utcnow

    with app.app_context():
        for model in (StatusPush, ServiceCall):
            db.session.execute(
                sa.update(model).where(model.state == PENDING).values(next_attempt_at=utcnow())
            )
        db.session.commit()
    dispatch.tick(app)


def test_done_when_in_process(app, dossier_office, live_server, tmp_path, monkeypatch):
    from integrations import ConnectorConfig, Connectors, contracts
    from service.extensions import db
    from service.identity.operations import create_token, create_user

    with app.app_context():
        portal_user = create_user("dvcqg", "password-1", groups=[], unit="TTPVHCC")
        portal_token = create_token(portal_user, name="DVCQG", scopes=["integrations:dvcqg"])
        db.session.commit()
    keys, roots = _sign_keys(tmp_path / "pki")
    app.config.update(
        MOTCUA_SIGNING_KEYS_DIR=keys,
        MOTCUA_SIGNING_TRUST_ROOTS=roots,
        MOTCUA_PAYMENT_CALLBACK_SECRET=PAYMENT_SECRET,
        MOTCUA_POST_CALLBACK_SECRET=POST_SECRET,
    )
    app.extensions.pop("motcua.signing", None)
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE", PASSPHRASE.decode())
    simulator = SimulatorProcess(tmp_path / "simulator.log")
    try:
        configs = {
            name: ConnectorConfig(name, simulator.url, timeout=10) for name in ("dvc", "payment", "edms")
        }
        configs["post"] = ConnectorConfig(
            "post", simulator.url, timeout=10, attempts=POST_ATTEMPTS, backoff=0.0
        )
        app.extensions["motcua.connectors"] = Connectors(configs, contracts=contracts.load())
        _tell_portal(simulator, live_server, portal_token)
        office = dossier_office
        http = {
            name: Http(live_server, getattr(office, name).token)
            for name in ("admin", "clerk", "head", "specialist", "leader", "records")
        }
        _set_fee(http["admin"])

        def settle(predicate, what: str, rounds: int = 60):
            for _ in range(rounds):
                _run_inline(app)
                found = predicate()
                if found:
                    return found
            pytest.fail(f"{what}: not reached after {rounds} worker rounds")

        play(Story(http=http, simulator=simulator, settle=settle))
    finally:
        simulator.stop()
