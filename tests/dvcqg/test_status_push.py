"""Every status change of a portal dossier reaches the portal (the simulator, over real HTTP), in
order and once each: through a failed call (retried, the later statuses waiting behind it), an
event relayed again, and retries that run out (an incident, retried by an administrator). The
supplement sent on the portal resumes the dossier paused for it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.dvcqg.portal import COMPONENT, do, portal_statuses, submit_on_portal, supplement_on_portal


def tick(app) -> None:
    from service.jobs import dispatch

    dispatch.tick(app)


def hurry(app) -> None:
    """Make every push waiting for its backoff due now (the retry's moment, not its behaviour)."""
    from service.dvcqg.models import PENDING, StatusPush
    from service.extensions import db
    from service.models_base import utcnow

    with app.app_context():
        db.session.execute(
            sa.update(StatusPush).where(StatusPush.state == PENDING).values(next_attempt_at=utcnow())
        )
        db.session.commit()


def drain(app, rounds: int = 12) -> None:
    """Tick until no push is left to send (bounded)."""
    from service.dvcqg.models import PENDING, StatusPush
    from service.extensions import db

    for _ in range(rounds):
        hurry(app)
        tick(app)
        with app.app_context():
            left = db.session.scalar(sa.select(sa.func.count()).where(StatusPush.state == PENDING))
            db.session.rollback()
        if not left:
            return


def pushes(app) -> list[tuple[int, str, int]]:
    from service.dvcqg.models import StatusPush
    from service.extensions import db

    with app.app_context():
        rows = db.session.execute(
            sa.select(
                StatusPush.params["status"].as_integer(), StatusPush.state, StatusPush.attempts
            ).order_by(StatusPush.event_id)
        ).all()
        db.session.rollback()
    return [tuple(row) for row in rows]


def received(portal, sent: dict) -> dict:
    (answer,) = sent["answers"]
    assert answer["status"] == 201, answer
    return portal.clerk.get(f"/api/v1/dossiers/{answer['body']['dossier_id']}").json()


def test_statuses_reach_the_portal_in_order_once_each_through_a_failure_a_replay_and_a_supplement(portal):
    app, sim = portal.app, portal.simulator
    sent = submit_on_portal(sim.url)
    portal_id = sent["portal_id"]
    dossier = received(portal, sent)
    drain(app)
    assert [s["status"] for s in portal_statuses(sim.url, portal_id)] == [1]

    # The portal fails the next call: status 2 is retried, and 4 waits behind it.
    sim.fail(connector="dvc", operation="update_status", times=1, status=503)
    dossier = do(portal.clerk, dossier, "receive", {"reception_decision": "accept"})
    tick(app)
    assert pushes(app)[-1][1:] == ("pending", 1)
    dossier = do(portal.clerk, dossier, "digitise", {"all_components_digitised": True})
    tick(app)  # 2 is not due yet (backoff): 4 is not sent before it
    assert [s["status"] for s in portal_statuses(sim.url, portal_id)] == [1]
    drain(app)
    statuses = portal_statuses(sim.url, portal_id)
    assert [s["status"] for s in statuses] == [1, 2, 4]
    assert statuses[0]["code"] is None and statuses[1]["code"] == dossier["code"] == statuses[2]["code"]

    # Processing asks for a supplement (5); the applicant supplements on the portal (4 again).
    dossier = do(office_http(portal, "head"), dossier, "assign", {"specialist": "specialist"})
    specialist = office_http(portal, "specialist")
    ask = {"appraisal_decision": "request_supplement", "appraisal_opinion": "Thiếu bản chụp CCCD."}
    dossier = do(
        specialist,
        dossier,
        "appraise",
        {**ask, "missing_items": ["Bản chụp CCCD"], "supplement_reason": "Thiếu."},
    )
    assert dossier["status"] == 5 and dossier["paused"] is True
    answer = supplement_on_portal(sim.url, portal_id, deliver="twice")
    first, second = answer["answers"]
    assert first["status"] == 201 and second["status"] in (200, 201), answer
    dossier = portal.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json()
    assert dossier["status"] == 4 and dossier["paused"] is False
    assert [s["element_id"] for s in dossier["current_steps"]] == ["appraise"]
    files = portal.clerk.get(f"/api/v1/process-instances/{dossier['process_instance_id']}/attachments").json()
    items = files["items"] if isinstance(files, dict) else files
    assert sorted(f["filename"] for f in items) == ["cccd.png", "to-khai.pdf"]
    assert {f["component"] for f in items} == {COMPONENT}
    drain(app)

    # Every event relayed again: no push is made twice, the portal hears nothing new.
    from service.extensions import db
    from service.outbox.models import OutboxEvent

    with app.app_context():
        db.session.execute(sa.update(OutboxEvent).values(relayed_at=None))
        db.session.commit()
    before = len(pushes(app))
    drain(app)
    assert len(pushes(app)) == before

    opinion = {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đủ điều kiện."}
    dossier = do(specialist, dossier, "appraise", opinion)
    dossier = do(office_http(portal, "leader"), dossier, "approve", {"approval_decision": "approve"})
    result = {"result_number": "123/PLLTP", "issued_on": "2026-11-26"}
    dossier = do(office_http(portal, "records"), dossier, "issue_result", result)
    dossier = do(portal.clerk, dossier, "return_result", {"method": "counter"})
    assert dossier["status"] == 10
    drain(app)

    statuses = portal_statuses(sim.url, portal_id)
    assert [s["status"] for s in statuses] == [1, 2, 4, 5, 4, 9, 10]
    assert [s["sequence"] for s in statuses] == sorted(s["sequence"] for s in statuses)
    stats = sim.stats()
    status_keys = {k: n for k, n in stats["effects_per_key"].items() if k.startswith("dvcqg-status-")}
    assert len(status_keys) == 7 and set(status_keys.values()) == {1}
    assert all(state == "sent" for _, state, _ in pushes(app))


def office_http(portal, name: str):
    from tests.dvcqg.portal import Http

    return Http(portal.base, getattr(portal.office, name).token)


def test_retries_that_run_out_are_an_incident_holding_the_later_statuses_until_retried(portal):
    app, sim = portal.app, portal.simulator
    sim.fail(connector="dvc", operation="update_status", times=50, status=503)
    sent = submit_on_portal(sim.url)
    dossier = received(portal, sent)
    dossier = do(portal.clerk, dossier, "receive", {"reception_decision": "accept"})
    drain(app, rounds=10)
    assert pushes(app) == [(1, "failed", 5), (2, "pending", 0)]
    assert portal_statuses(sim.url, sent["portal_id"]) == []

    from service.audit.models import AuditEvent
    from service.extensions import db
    from service.outbox.models import OutboxEvent

    with app.app_context():
        incident = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "incident_opened"))
        assert incident.instance_id == uuid.UUID(dossier["process_instance_id"])
        assert "503" in incident.message
        raised = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.topic == "incident.raised"))
        assert raised.payload["operation"] == "dvc/update_status"
        db.session.rollback()

    listed = portal.admin.get("/api/v1/incidents").json()["items"]
    assert [(i["kind"], i["operation"], i["process_instance_id"]) for i in listed] == [
        ("dvcqg_push", "dvc/update_status", dossier["process_instance_id"])
    ]
    sim.reset()  # the portal is back
    failed = portal.admin.get("/api/v1/integrations/dvcqg/pushes?state=failed").json()
    assert len(failed) == 1 and failed[0]["id"] == listed[0]["push_id"]
    assert portal.clerk.post(f"/api/v1/integrations/dvcqg/pushes/{failed[0]['id']}/retry").status_code == 403
    retried = portal.admin.post(f"/api/v1/integrations/dvcqg/pushes/{failed[0]['id']}/retry")
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    drain(app)
    assert [s["status"] for s in portal_statuses(sim.url, sent["portal_id"])] == [1, 2]
    again = portal.admin.post(f"/api/v1/integrations/dvcqg/pushes/{failed[0]['id']}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "push_not_failed"


def test_a_supplement_is_refused_when_the_dossier_waits_for_none_and_for_an_unknown_dossier(portal):
    sim = portal.simulator
    sent = submit_on_portal(sim.url)
    dossier = received(portal, sent)
    answer = supplement_on_portal(sim.url, sent["portal_id"])
    (refused,) = answer["answers"]
    assert refused["status"] == 409 and refused["body"]["error"]["code"] == "not_waiting_for_supplement"
    files = portal.clerk.get(f"/api/v1/process-instances/{dossier['process_instance_id']}/attachments").json()
    items = files["items"] if isinstance(files, dict) else files
    assert [f["filename"] for f in items] == ["to-khai.pdf"]  # nothing of the refused supplement kept
    unknown = portal.http.post(
        "/api/v1/integrations/dvcqg/dossiers/KHONG-CO/supplements", json={"supplement_id": "BS-1"}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "portal_dossier_not_found"
