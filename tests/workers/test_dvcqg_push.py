"""The status pushes to the national portal run on real workers: `motcua serve --no-runner` takes
the online dossier (delivered by the simulator's portal) and the officers' steps, a Celery worker
(with beat's ticks) relays the status events and pushes them to the simulator, in order, once
each, through a failed call. PostgreSQL and Redis; nothing runs in the test process but HTTP."""

from __future__ import annotations

import base64

import requests

from tests.support import ROOT, bpmn_path
from tests.workers.stack import Api, Stack

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COMPONENT = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"


def officer(stack: Stack, api: Api, name: str, group: str, unit: str) -> Api:
    stack.motcua("users", "create", name, "--password", "password-1", "--group", group, "--unit", unit)
    return Api(api.base, stack.motcua("tokens", "create", "--user", name).strip())


def do(caller: Api, dossier: dict, element: str, variables: dict) -> dict:
    tasks = caller.request("GET", f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}")[
        "items"
    ]
    (task,) = [t for t in tasks if t["element_id"] == element]
    caller.request("POST", f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables})
    return caller.request("GET", f"/api/v1/dossiers/{dossier['id']}")


def statuses(sim_url: str, portal_id: str) -> list[int]:
    dossiers = requests.get(f"{sim_url}/dvc/portal/dossiers", timeout=10).json()["dossiers"]
    return [s["status"] for d in dossiers if d["portal_id"] == portal_id for s in d["statuses"]]


def test_a_worker_pushes_the_statuses_of_an_online_dossier_to_the_portal_in_order(make_stack):
    stack = make_stack(broker="redis")
    api = stack.serve()
    worker = stack.worker("worker1", concurrency=2)
    beat = stack.beat()
    stack.motcua(
        "units", "create", "TTPVHCC", "--name", "Trung tâm Phục vụ HCC", "--national-code", "000.17.22.H56"
    )
    stack.motcua("units", "create", "SO-TP", "--name", "Sở Tư pháp")  # handles AG-LLTP-01
    stack.motcua("procedures", "load", str(ROOT / "data" / "procedures.json"))
    assert api.deploy(bpmn_path("dossier.bpmn"))["key"] == "dossier"
    clerk = officer(stack, api, "clerk", "reception", "TTPVHCC")
    stack.motcua("users", "create", "dvcqg", "--password", "password-1", "--unit", "TTPVHCC")
    portal_token = stack.motcua(
        "tokens", "create", "--user", "dvcqg", "--scope", "integrations:dvcqg"
    ).strip()
    sim = stack.simulator.url
    told = requests.post(
        f"{sim}/dvc/portal/config", json={"motcua_url": api.base, "motcua_token": portal_token}, timeout=5
    )
    assert told.status_code == 200
    stack.wait_ready(worker)

    body = {
        "procedure_code": "AG-LLTP-01",
        "applicant": {"name": "Lê Thị Hoa"},
        "components": [
            {
                "name": COMPONENT,
                "files": [{"filename": "to-khai.pdf", "content_base64": base64.b64encode(PDF).decode()}],
            }
        ],
    }
    sent = requests.post(f"{sim}/dvc/portal/dossiers", json=body, timeout=60).json()
    (answer,) = sent["answers"]
    assert answer["status"] == 201, answer
    portal_id = answer["body"]["portal_id"]
    dossier = clerk.request("GET", f"/api/v1/dossiers/{answer['body']['dossier_id']}")
    stack.wait_until(
        lambda: statuses(sim, portal_id) == [1], 60, "status 1 at the portal", watch=(worker, beat)
    )

    stack.simulator.fail(connector="dvc", operation="update_status", times=1, status=503)
    dossier = do(clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = do(clerk, dossier, "digitise", {"all_components_digitised": True})
    assert dossier["status"] == 4  # the assignment opened (dossierStatus 4)
    stack.wait_until(
        lambda: statuses(sim, portal_id) == [1, 2, 4],
        90,
        "statuses 1, 2, 4 at the portal",
        watch=(worker, beat),
    )
    rows = stack.rows("select params->>'status', state, attempts from dvcqg_status_pushes order by event_id")
    assert [(int(s), state) for s, state, _ in rows] == [(1, "sent"), (2, "sent"), (4, "sent")]
    assert rows[1][2] == 2  # the failed call, then its retry
    assert stack.tasks_succeeded(worker, "motcua.push_dvcqg") >= 3
    effects = stack.simulator.stats()["effects_per_key"]
    assert sorted(n for k, n in effects.items() if k.startswith("dvcqg-status-")) == [1, 1, 1]
    stack.check_alive()
