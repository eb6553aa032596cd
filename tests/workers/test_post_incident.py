"""A failing postal connector (issue 14, "Done when"): with real processes on PostgreSQL (the API,
a Celery worker and beat on Redis, the simulator), a dossier returned by post meets a postal
operator that answers 503: the booking is retried with backoff, then becomes an incident; once
the simulator has recovered, an administrator's retry books the delivery and the dossier is
returned by post (status 10) with its tracking number, with exactly one booking on the
simulator's side (one side effect for the call's idempotency key)."""

from __future__ import annotations

from pathlib import Path

from tests.support import COMPONENTS, QR
from tests.workers.stack import ROOT, Api

ATTEMPTS = 3  # MOTCUA_CONNECTOR_POST_ATTEMPTS: this environment's retry policy for the post
STEPS = (
    ("receive", "clerk", {"reception_decision": "accept"}),
    ("digitise", "clerk", {"all_components_digitised": True}),
    ("assign", "head", {"specialist": "specialist"}),
    ("appraise", "specialist", {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đạt."}),
    ("approve", "leader", {"approval_decision": "approve"}),
    ("issue_result", "records", {"result_number": "7/PLLTP", "issued_on": "2026-12-04"}),
    ("return_result", "clerk", {"method": "post", "delivery_address": "Số 5 Lê Lợi, Long Xuyên"}),
)


def _officers(stack) -> dict[str, Api]:
    stack.motcua("demo")
    lines = (Path(stack.env["MOTCUA_INSTANCE_DIR"]) / "demo-tokens.txt").read_text().split("\n")
    tokens = dict(line.split("\t") for line in lines if line)
    return tokens


def post_journal(stack) -> list:
    """The simulator's journal of the post (the status sync to DVCQG left out)."""
    return [j for j in stack.simulator.journal() if j["connector"] == "post"]


def _complete(api: Api, dossier: dict, element: str, variables: dict) -> None:
    tasks = api.request("GET", f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}")
    (task,) = [t for t in tasks["items"] if t["element_id"] == element]
    api.request("POST", f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables})


def test_a_failing_post_retries_raises_an_incident_and_a_retry_books_once(make_stack):
    stack = make_stack(
        broker="redis",
        extra_env={"MOTCUA_CONNECTOR_POST_ATTEMPTS": str(ATTEMPTS), "MOTCUA_CONNECTOR_POST_BACKOFF": "0.5"},
    )
    stack.motcua("deploy", str(ROOT / "bpmn" / "dossier.bpmn"))
    stack.motcua("procedures", "load", str(ROOT / "data" / "procedures.json"))
    tokens = _officers(stack)
    base = stack.serve()
    api = {name: Api(base.base, token) for name, token in tokens.items()}
    worker = stack.worker("worker1", "--pool=threads", concurrency=2)
    stack.beat()
    stack.wait_ready(worker)

    # The postal operator is down for exactly the attempts this environment allows
    stack.simulator.fail(connector="post", operation="book_delivery", times=ATTEMPTS, status=503)
    body = {
        "procedure_code": "AG-LLTP-01",
        "channel": "counter",
        "applicant": {"cccd_qr": QR, "phone": "0912345678"},
        "components": COMPONENTS,
    }
    dossier = api["clerk"].request("POST", "/api/v1/dossiers", json=body)
    for element, who, variables in STEPS:
        _complete(api[who], dossier, element, variables)

    def incident():
        items = api["admin"].request("GET", "/api/v1/incidents")["items"]
        return items[0] if items else None

    found = stack.wait_until(incident, 60, "the booking's incident", watch=(worker,))
    assert found["element_id"] == "book_delivery" and found["attempts"] == ATTEMPTS
    assert "503" in found["error"]
    dossier = api["clerk"].request("GET", f"/api/v1/dossiers/{dossier['id']}")
    assert dossier["status"] == 9 and dossier["tracking_number"] is None
    assert post_journal(stack) == []  # every attempt failed before the side effect

    # The simulator has recovered (its failures are used up): the administrator retries
    api["admin"].request("POST", f"/api/v1/incidents/{found['id']}/retry")

    def returned():
        current = api["clerk"].request("GET", f"/api/v1/dossiers/{dossier['id']}")
        return current if current["status"] == 10 else None

    dossier = stack.wait_until(returned, 60, "the dossier returned by post", watch=(worker,))
    assert dossier["return_method"] == "post" and dossier["tracking_number"] == "EB000000001VN"
    assert [(j["connector"], j["operation"]) for j in post_journal(stack)] == [("post", "book_delivery")]
    # The dossier's statuses are synced to the national portal too (the dvc connector is
    # configured): once the portal has its last one, no call of it is left in flight.
    stack.wait_until(
        lambda: stack.rows("select dvcqg_status from dossiers") == [(10,)], 60, "status 10 at the portal"
    )
    stats = stack.simulator.stats()
    effects = {k: n for k, n in stats["effects_per_key"].items() if not k.startswith("dvcqg-status-")}
    synced = len(stats["effects_per_key"]) - len(effects)  # one call each: the portal never failed
    (key,) = stack.rows("select idempotency_key from service_calls where element_id = 'book_delivery'")
    assert effects == {key[0]: 1}  # exactly one booking
    assert stats["calls"] - synced == ATTEMPTS + 1  # three refused attempts, then the retry
    states = stack.rows("select state, attempts from service_calls where element_id = 'book_delivery'")
    assert [(s.state, s.attempts) for s in states] == [("done", 1)]  # the retry starts the count anew
    assert api["admin"].request("GET", "/api/v1/incidents")["total"] == 0
