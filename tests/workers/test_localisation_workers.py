"""The TTHC publication chain with real processes on PostgreSQL: `motcua procedures load` fills the
catalogue, a Celery worker makes the calls to the national database and the portals (simulator),
an officer approves the localisation diff over HTTP, and every portal is synced once although the
portals fail twice first."""

from __future__ import annotations

import requests

from tests.support import ROOT
from tests.workers.stack import Stack

UNITS = ["SO-TP", "UBND-XA"]


def _open_task(api, instance_id: str, element: str) -> dict | None:
    items = api.request("GET", f"/api/v1/tasks?process_instance_id={instance_id}")["items"]
    found = [t for t in items if t["element_id"] == element and t["state"] == "open"]
    return found[0] if found else None


def _complete(api, task: dict, variables: dict, expect=(200,)) -> dict:
    return api.request(
        "POST", f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables}, expect=expect
    )


def test_a_worker_localises_a_changed_procedure_and_syncs_each_portal_once(make_stack):
    stack: Stack = make_stack(broker="redis")
    stack.motcua("procedures", "load", str(ROOT / "data" / "procedures.json"))
    api = stack.serve()
    api.deploy(ROOT / "bpmn" / "dossier.bpmn")
    api.deploy(ROOT / "bpmn" / "tthc_publication.bpmn")
    worker = stack.worker("worker1", concurrency=2)
    beat = stack.beat()
    stack.wait_ready(worker)
    sim = stack.simulator.url
    changed = {"MaTTHC": "AG-LLTP-01", "ThoiHanGiaiQuyet": 12}
    requests.post(
        f"{sim}/_control/csdl_tthc/procedures", json={"action": "change", "procedure": changed}, timeout=5
    )
    stack.simulator.fail(connector="portal_sync", operation="*", times=2, status=503)

    instance = api.start("tthc_publication", {"units": UNITS})["id"]
    for element, data in (
        (
            "submit_publication_decision",
            {
                "submission_number": "19/TTr",
                "procedures": ["LLTP"],
                "change_types": ["amended"],
                "submitted_on": "2026-03-02",
            },
        ),
        (
            "submit_catalogue_decision",
            {"submission_number": "20/TTr", "levels": ["province"], "submitted_on": "2026-03-02"},
        ),
        ("sign_decision", {"decision_number": "512/QĐ-UBND", "signed_on": "2026-03-03"}),
    ):
        _complete(api, _open_task(api, instance, element), data)
    stack.wait_until(
        lambda: _open_task(api, instance, "approve_localisation") is not None,
        60,
        "the worker published the decision and listed the procedures",
        watch=(worker, beat),
    )
    review = _open_task(api, instance, "approve_localisation")
    (change,) = api.request("GET", f"/api/v1/procedures/changes/{review['id']}")["changes"]
    assert change["fields"] == [{"field": "processing_days", "before": 10.0, "after": 12}]
    _complete(api, review, {"catalogue_decision": "approve"})
    assert api.request("GET", "/api/v1/procedures/AG-LLTP-01")["version"] == 2

    stack.wait_until(lambda: stack.completed() == 1, 90, "the sync finished", watch=(worker, beat))
    journal = [e for e in stack.simulator.journal() if e["connector"] == "portal_sync"]
    assert sorted(e["params"]["portal"] for e in journal) == sorted(["province", *UNITS])  # once each
    retried = stack.scalar("SELECT max(attempts) FROM service_calls WHERE element_id = 'publish_provincial'")
    assert retried == 3  # two 503s, then the call that took effect
    stack.check_alive()
