"""The tthc_publication process localises the national TTHC database's procedures into Motcua's
catalogue over real HTTP: the simulator plays the national database and the portals, the workers'
operations run the service calls, an officer approves the diff, and the change is applied as new
versions (dossiers already received keep theirs)."""

import time
from datetime import datetime

import pytest
import requests
import sqlalchemy as sa

from integrations import ConnectorConfig, Connectors, contracts
from service.extensions import db
from service.jobs import dispatch
from service.jobs.models import ServiceCall
from tests.dossiers.test_dossier_flow import accept
from tests.factories import receive_dossier
from tests.integrations.simulation import SimulatorProcess
from tests.support import QR

UNITS = ["UBND-XA", "SO-TP"]


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    process = SimulatorProcess(tmp_path_factory.mktemp("sim") / "simulator.log")
    yield process
    process.stop()


@pytest.fixture
def publication(app, dossier_office, deploy_library, make_user, simulator):
    simulator.reset()
    app.extensions["motcua.connectors"] = Connectors(
        {name: ConnectorConfig(name, simulator.url, timeout=2.0) for name in ("csdl_tthc", "portal_sync")},
        contracts=contracts.load(),  # each call's params and answer checked, as in production
    )
    deploy_library("tthc_publication.bpmn")
    dossier_office.department = make_user("department", groups=["departments"])
    dossier_office.chairman = make_user("chairman", groups=["chairman"])
    dossier_office.it = make_user("it", groups=["it_department"])
    return dossier_office


def national(simulator, action, **procedure):
    response = requests.post(
        f"{simulator.url}/_control/csdl_tthc/procedures",
        json={"action": action, "procedure": procedure},
        timeout=5,
    )
    assert response.status_code == 200, response.text


def _run_until(app, predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dispatch.tick(app)
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _open_task(caller, instance_id, element):
    items = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    found = [t for t in items if t["element_id"] == element and t["state"] == "open"]
    return found[0] if found else None


def to_review(app, office) -> tuple[str, dict]:
    """Start the publication, submit and sign the decision, and let the workers publish it and list
    the national procedures: the officer's review task."""
    started = office.department.start("tthc_publication", variables={"units": UNITS}).json
    assert "id" in started, started
    department = office.department
    submitted = department.complete(
        _open_task(department, started["id"], "submit_publication_decision")["id"],
        {
            "submission_number": "19/TTr-STP",
            "procedures": ["Cấp Phiếu lý lịch tư pháp"],
            "change_types": ["amended"],
            "submitted_on": "2026-03-02",
        },
    )
    assert submitted.status_code == 200, submitted.json
    catalogue = department.complete(
        _open_task(department, started["id"], "submit_catalogue_decision")["id"],
        {"submission_number": "20/TTr-STP", "levels": ["province"], "submitted_on": "2026-03-02"},
    )
    assert catalogue.status_code == 200, catalogue.json
    signed = office.chairman.complete(
        _open_task(office.chairman, started["id"], "sign_decision")["id"],
        {"decision_number": "512/QĐ-UBND", "signed_on": "2026-03-03"},
    )
    assert signed.status_code == 200, signed.json
    assert _run_until(app, lambda: _open_task(office.it, started["id"], "approve_localisation") is not None)
    return started["id"], _open_task(office.it, started["id"], "approve_localisation")


def test_a_changed_procedure_is_localised_after_approval_and_only_new_dossiers_use_it(
    app, publication, simulator, clock
):
    office = publication
    clock.freeze()  # both dossiers are received at the same moment
    before = accept(office, receive_dossier(office.clerk))  # AG-LLTP-01: 10 working days
    national(simulator, "change", MaTTHC="AG-LLTP-01", ThoiHanGiaiQuyet=15, PhiLePhi="250.000 đồng/lần")
    national(simulator, "withdraw", MaTTHC="AG-KS-01")
    instance_id, review = to_review(app, office)

    diff = office.it.get(f"/api/v1/procedures/changes/{review['id']}")
    assert diff.status_code == 200, diff.json
    by_code = {c["code"]: c for c in diff.json["changes"]}
    assert set(by_code) == {"AG-LLTP-01", "AG-KS-01"}  # the others are the same on both sides
    changed = by_code["AG-LLTP-01"]
    assert (changed["kind"], changed["version"], changed["problem"]) == ("changed", 1, None)
    assert {f["field"]: (f["before"], f["after"]) for f in changed["fields"]} == {
        "processing_days": (10.0, 15),
        "fee": ("200.000 đồng/lần/người", "250.000 đồng/lần"),
    }
    assert by_code["AG-KS-01"]["kind"] == "withdrawn"
    assert diff.json["refused"] is False
    assert office.clerk.get(f"/api/v1/procedures/changes/{review['id']}").status_code == 403
    page = office.it.get(f"/ui/tasks/{review['id']}")
    assert page.status_code == 200 and "AG-LLTP-01" in page.text and "250.000 đồng/lần" in page.text

    done = office.it.complete(review["id"], {"catalogue_decision": "approve"})
    assert done.status_code == 200, done.json

    procedure = office.admin.get("/api/v1/procedures/AG-LLTP-01").json
    assert (procedure["version"], procedure["processing_days"], procedure["source"]) == (2, 15, "national")
    assert procedure["step_allotments"]["appraise"] == 5  # the province's own shares are kept
    versions = office.admin.get("/api/v1/procedures/AG-LLTP-01/versions").json
    assert [(v["version"], v["processing_days"], v["valid_to"] is None) for v in versions] == [
        (2, 15, True),
        (1, 10, False),
    ]
    after = accept(office, receive_dossier(office.clerk))
    kept = office.admin.get(f"/api/v1/dossiers/{before['id']}").json
    assert kept["due_at"] == before["due_at"]  # received under version 1: its deadline stays
    assert datetime.fromisoformat(after["due_at"]) > datetime.fromisoformat(before["due_at"])
    withdrawn = office.clerk.post(
        "/api/v1/dossiers",
        json={"procedure_code": "AG-KS-01", "channel": "counter", "applicant": {"cccd_qr": QR}},
    )
    assert withdrawn.status_code == 404, withdrawn.json

    # the sync: the province's portal and each unit's, once each
    assert _run_until(
        app, lambda: office.admin.get(f"/api/v1/process-instances/{instance_id}").json["state"] == "completed"
    )
    portals = requests.get(f"{simulator.url}/_control/portal_sync/portals", timeout=5).json()["portals"]
    assert set(portals) == {"province", *UNITS}
    assert portals["province"]["AG-KS-01"]["active"] is False


def test_a_change_that_breaks_the_step_allotments_is_refused_and_nothing_is_applied(
    app, publication, simulator
):
    office = publication
    national(simulator, "change", MaTTHC="AG-LLTP-01", ThoiHanGiaiQuyet=2)  # shares add up to more
    national(simulator, "change", MaTTHC="AG-KS-01", TenTTHC="Đăng ký khai sinh (sửa đổi)")
    _, review = to_review(app, office)
    diff = office.it.get(f"/api/v1/procedures/changes/{review['id']}").json
    problem = {c["code"]: c["problem"] for c in diff["changes"]}
    assert "AG-LLTP-01" in problem["AG-LLTP-01"] and "step_allotments" in problem["AG-LLTP-01"]
    assert problem["AG-KS-01"] is None
    assert diff["refused"] is True

    refused = office.it.complete(review["id"], {"catalogue_decision": "approve"})
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "catalogue_change_refused"
    assert "AG-LLTP-01" in refused.json["error"]["message"]
    for code in ("AG-LLTP-01", "AG-KS-01"):  # nothing applied, not even the valid change
        assert office.admin.get(f"/api/v1/procedures/{code}").json["version"] == 1
    assert office.it.get(f"/api/v1/tasks/{review['id']}").json["state"] == "open"


def test_the_sync_reaches_each_portal_once_after_a_failure_and_a_retry(app, publication, simulator, clock):
    office = publication
    national(simulator, "change", MaTTHC="AG-KS-01", PhiLePhi="Miễn lệ phí (sửa đổi)")
    simulator.fail(connector="portal_sync", operation="*", times=2, status=503)
    instance_id, review = to_review(app, office)
    assert office.it.complete(review["id"], {"catalogue_decision": "approve"}).status_code == 200

    def completed():
        clock.advance(seconds=5)  # past the retries' backoff
        return office.admin.get(f"/api/v1/process-instances/{instance_id}").json["state"] == "completed"

    assert _run_until(app, completed)
    journal = [e for e in simulator.journal() if e["connector"] == "portal_sync"]
    assert sorted(e["params"]["portal"] for e in journal) == sorted(["province", *UNITS])  # once each
    with app.app_context():  # the two 503s were met and retried: the third attempt took effect
        attempts = db.session.scalar(
            sa.select(ServiceCall.attempts).where(ServiceCall.element_id == "publish_provincial")
        )
    assert attempts == 3


def test_a_portal_that_stays_down_raises_an_incident_and_a_retry_syncs_it_once(
    app, publication, simulator, clock
):
    office = publication
    simulator.fail(
        connector="portal_sync", operation="publish_procedures", times=3, status=503, error="Cổng bảo trì"
    )
    instance_id, review = to_review(app, office)
    assert office.it.complete(review["id"], {"catalogue_decision": "approve"}).status_code == 200

    def incident():
        clock.advance(seconds=5)
        return office.admin.get("/api/v1/incidents").json["total"] == 1

    assert _run_until(app, incident)
    (raised,) = office.admin.get("/api/v1/incidents").json["items"]
    assert raised["element_id"] == "publish_provincial" and "Cổng bảo trì" in raised["error"]
    assert office.admin.post(f"/api/v1/incidents/{raised['id']}/retry").status_code == 200

    def completed():
        return office.admin.get(f"/api/v1/process-instances/{instance_id}").json["state"] == "completed"

    assert _run_until(app, completed)
    journal = [e for e in simulator.journal() if e["connector"] == "portal_sync"]
    assert sorted(e["params"]["portal"] for e in journal) == sorted(["province", *UNITS])
