"""Every dossier is synced to the national portal when the `dvc` connector is configured: one
received at the counter is named by its code, created on the portal (the simulator, over real
HTTP) by its first push and hears every status after it, in order; without the connector nothing
of it is pushed. The dossier keeps its sync (`dvcqg_synced_at`, `dvcqg_status`), which the index's
"synced to DVCQG" counts, a failing portal leaving it unsynced until the push is retried."""

from __future__ import annotations

import uuid

import requests
import sqlalchemy as sa

from tests.dvcqg.portal import do
from tests.dvcqg.test_status_push import drain, pushes
from tests.support import COMPONENTS, QR


def at_counter(clerk) -> dict:
    """The clerk receives a dossier at the counter (no portal id); its JSON."""
    body = {
        "procedure_code": "AG-LLTP-01",
        "channel": "counter",
        "applicant": {"cccd_qr": QR, "phone": "0912345678"},
        "components": COMPONENTS,
    }
    response = clerk.post("/api/v1/dossiers", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def on_portal(sim_url: str, code: str) -> dict | None:
    """The simulator's portal's record of a dossier not submitted there (by its code)."""
    dossiers = requests.get(f"{sim_url}/dvc/portal/dossiers", timeout=10).json()["dossiers"]
    found = [d for d in dossiers if d["portal_id"] is None and d["code"] == code]
    assert len(found) <= 1, found
    return found[0] if found else None


def checked(portal):
    """The portal fixture with the connector's contract checked on each call, as in production."""
    from integrations import Connectors, contracts

    configs = portal.app.extensions["motcua.connectors"].configs
    portal.app.extensions["motcua.connectors"] = Connectors(configs, contracts=contracts.load())
    return portal


def synced(app, dossier_id: str) -> tuple:
    from service.dossiers.models import Dossier
    from service.extensions import db

    with app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier_id))
        found = (row.dvcqg_synced_at, row.dvcqg_status)
        db.session.rollback()
    return found


def month(app):
    from service.calendar import periods
    from service.dossiers.drill import zone
    from service.models_base import utcnow

    with app.app_context():
        return periods.containing("month", utcnow().astimezone(zone()))


def synced_indicator(caller, period) -> dict:
    response = caller.get(f"/api/v1/reports/indicators?period={period.key}")
    assert response.status_code == 200, response.text
    found = [i for g in response.json()["groups"] for i in g["indicators"] if i["key"] == "synced_to_dvcqg"]
    return found[0]


def test_a_counter_dossiers_statuses_reach_the_portal_in_order_from_its_code_on(portal):
    portal = checked(portal)
    app, sim = portal.app, portal.simulator
    dossier = at_counter(portal.clerk)
    assert dossier["code"] is None and dossier["channel"] == "counter"
    drain(app)
    assert pushes(app) == [] and synced(app, dossier["id"]) == (None, None)  # no code yet: not named

    dossier = do(portal.clerk, dossier, "receive", {"reception_decision": "accept"})
    code = dossier["code"]
    assert dossier["status"] == 2 and code
    dossier = do(portal.clerk, dossier, "digitise", {"all_components_digitised": True})
    assert dossier["status"] == 4
    drain(app)

    record = on_portal(sim.url, code)
    assert record is not None, "the counter dossier is not on the portal"
    assert [s["status"] for s in record["statuses"]] == [2, 4]
    assert [s["code"] for s in record["statuses"]] == [code, code]
    sequences = [s["sequence"] for s in record["statuses"]]
    assert sequences == sorted(sequences)
    # Created by its first push: the procedure, the channel (KenhThucHien 1), the applicant's name.
    assert record["procedure_code"] == "AG-LLTP-01" and record["channel"] == 1
    assert record["applicant"] == "Nguyễn Thị Ánh" and record["received_at"] and record["due_at"]
    journal = [e["params"] for e in sim.journal() if e["operation"] == "update_status"]
    first, later = journal
    assert first["portal_id"] is None and first["applicant_name"] == "Nguyễn Thị Ánh"
    # Nothing more of the applicant (ID number, phone, address), and the name only once.
    assert "applicant_name" not in later and "procedure_code" not in later
    assert not {"phone", "id_number", "address", "applicant"} & (set(first) | set(later))

    synced_at, status = synced(app, dossier["id"])
    assert synced_at is not None and status == 4
    detail = portal.clerk.get(f"/api/v1/dossiers/{code}").json()  # integrators read it too
    assert detail["dvcqg_status"] == 4 and detail["dvcqg_synced_at"] == synced_at.isoformat()
    assert all(state == "sent" for _, state, _ in pushes(app))


def test_nothing_of_a_counter_dossier_is_pushed_without_the_dvc_connector(dossier_office):
    from integrations import Connectors
    from service.audit.models import AuditEvent
    from service.extensions import db

    office, app = dossier_office, dossier_office.app
    app.extensions["motcua.connectors"] = Connectors({})  # e.g. `make run` without the simulators
    response = office.clerk.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": "AG-LLTP-01",
            "channel": "counter",
            "applicant": {"cccd_qr": QR},
            "components": COMPONENTS,
        },
    )
    assert response.status_code == 201, response.json
    dossier = response.json
    from tests.dossiers.test_dossier_flow import do as complete

    dossier = complete(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = complete(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    assert dossier["status"] == 4 and dossier["code"]
    drain(app)
    assert pushes(app) == []
    with app.app_context():
        incidents = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.type == "incident_opened"))
        db.session.rollback()
    assert incidents == 0
    assert synced(app, dossier["id"]) == (None, None)
    report = office.admin.get(f"/api/v1/reports/indicators?period={month(app).key}")
    found = {i["key"]: i for g in report.json["groups"] for i in g["indicators"]}
    assert found["synced_to_dvcqg"]["status"] == "no_data" and found["synced_to_dvcqg"]["points"] is None


def test_the_index_counts_the_dossiers_synced_by_the_periods_end_a_failing_portal_not_until_retried(portal):
    from integrations import Connectors
    from service.models_base import utcnow
    from service.reports import indicators

    portal = checked(portal)
    app, sim = portal.app, portal.simulator
    period = month(app)
    before = synced_indicator(portal.admin, period)
    assert before["status"] == "ok" and before["numerator"] == 0 and before["denominator"] == 0

    first = do(portal.clerk, at_counter(portal.clerk), "receive", {"reception_decision": "accept"})
    drain(app)
    assert synced(app, first["id"])[1] == 2
    between = utcnow()

    sim.fail(connector="dvc", operation="update_status", times=50, status=503)  # the portal is down
    second = do(portal.clerk, at_counter(portal.clerk), "receive", {"reception_decision": "accept"})
    drain(app, rounds=10)
    assert [state for _, state, _ in pushes(app)] == ["sent", "failed"]  # an incident
    assert synced(app, second["id"]) == (None, None)
    item = synced_indicator(portal.admin, period)
    assert (item["status"], item["numerator"], item["denominator"], item["rate"]) == ("ok", 1, 2, 0.5)
    assert item["points"] == 3.0  # 0.5 x 6 / 1.0 (the seed's target: every dossier)
    listed = portal.admin.get(item["dossiers"])
    assert listed.status_code == 200 and [d["id"] for d in listed.json()["items"]] == [first["id"]]

    sim.reset()  # the portal is back; the administrator retries the push
    (failed,) = portal.admin.get("/api/v1/integrations/dvcqg/pushes?state=failed").json()
    assert portal.admin.post(f"/api/v1/integrations/dvcqg/pushes/{failed['id']}/retry").status_code == 200
    drain(app)
    assert synced(app, second["id"])[0] is not None
    item = synced_indicator(portal.admin, period)
    assert (item["numerator"], item["denominator"], item["rate"], item["points"]) == (2, 2, 1.0, 6.0)
    record = on_portal(sim.url, second["code"])
    assert record is not None and [s["status"] for s in record["statuses"]] == [2]

    # The daily housekeeping purges the sent pushes: the dossiers stay synced.
    from datetime import timedelta

    from service.dvcqg import pushes as status_pushes
    from service.extensions import db

    with app.app_context():
        assert status_pushes.purge(utcnow() + timedelta(days=1)) == 2
        db.session.commit()
    assert pushes(app) == []
    assert synced_indicator(portal.admin, period)["numerator"] == 2

    with app.app_context():
        # Judged at a moment before the second was synced: only the first had been.
        early = indicators.compute(period, now=between)
        found = {i["key"]: i for g in early["groups"] for i in g["indicators"]}
        assert (found["synced_to_dvcqg"]["numerator"], found["synced_to_dvcqg"]["denominator"]) == (1, 2)
        # The connector removed: what was synced stays data.
        app.extensions["motcua.connectors"] = Connectors({})
        later = indicators.compute(period)
        found = {i["key"]: i for g in later["groups"] for i in g["indicators"]}
        assert found["synced_to_dvcqg"]["status"] == "ok" and found["synced_to_dvcqg"]["numerator"] == 2


def test_a_post_dossiers_first_push_creates_it_with_the_name_only_and_fits_the_contract():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from integrations import contracts
    from service.dvcqg import mapping

    moment = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    dossier = SimpleNamespace(
        portal_id=None,
        channel="post",
        received_at=moment,
        return_due=moment,
        procedure=SimpleNamespace(code="AG-LLTP-01"),
        applicant={"name": "Lê Văn Tâm", "id_number": "089190000555", "phone": "0913", "address": "An Giang"},
    )
    payload = {"from": 1, "to": 2, "code": "000.17.22.H56-261204-0009"}
    first = mapping.status_params(dossier, event_id=7, payload=payload, changed_at=moment, first=True)
    later = mapping.status_params(
        dossier, event_id=8, payload={**payload, "from": 2, "to": 4}, changed_at=moment
    )
    assert first["channel"] == 3 and first["portal_id"] is None  # KenhThucHien 3: by post
    assert (first["procedure_code"], first["applicant_name"]) == ("AG-LLTP-01", "Lê Văn Tâm")
    assert "procedure_code" not in later and "applicant_name" not in later
    assert not any("089190000555" in str(v) or v == "0913" for v in (*first.values(), *later.values()))
    operation = contracts.load()["dvc"].operations["update_status"]
    for params in (first, later):
        assert operation.param_problems(params) == [], params
    assert operation.param_problems({**later, "code": None}) != []  # neither its portal id nor its code
