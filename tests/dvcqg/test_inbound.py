"""Online dossiers from the national portal, over real HTTP: submitted on the simulator's portal,
they start the dossier process (channel online, status 1) and reach the clerk's worklist with
their files; deliveries are idempotent; bad deliveries are refused with nothing kept."""

from __future__ import annotations

import uuid

import requests
import sqlalchemy as sa

from tests.dvcqg.portal import COMPONENT, PDF, PNG, b64, online_dossier
from tests.dvcqg.portal import submit_on_portal as portal_submit


def counts(app) -> dict:
    from service.attachments.models import Attachment
    from service.dossiers.models import Dossier
    from service.extensions import db
    from service.instances.models import ProcessInstance

    with app.app_context():
        found = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in (
                ("dossiers", Dossier),
                ("attachments", Attachment),
                ("instances", ProcessInstance),
            )
        }
        db.session.rollback()
    return found


def submit_on_portal(portal, **spec) -> dict:
    return portal_submit(portal.simulator.url, **spec)


def test_a_dossier_submitted_on_the_portal_reaches_the_clerks_worklist_with_its_files(portal):
    sent = submit_on_portal(portal)
    (answer,) = sent["answers"]
    assert answer["status"] == 201, answer
    receipt = answer["body"]
    assert receipt["portal_id"] == sent["portal_id"] and receipt["status"] == 1 and receipt["code"] is None
    assert len(receipt["files"]) == 1

    dossier = portal.clerk.get(f"/api/v1/dossiers/{receipt['dossier_id']}").json()
    assert dossier["channel"] == "online" and dossier["status"] == 1
    assert dossier["applicant"]["name"] == "Lê Thị Hoa"
    assert [c["name"] for c in dossier["components"]] == [COMPONENT]
    worklist = portal.clerk.get("/api/v1/tasks").json()["items"]
    receive = [t for t in worklist if t["process_instance_id"] == dossier["process_instance_id"]]
    assert [t["element_id"] for t in receive] == ["receive"]

    files = portal.clerk.get(f"/api/v1/process-instances/{dossier['process_instance_id']}/attachments").json()
    items = files["items"] if isinstance(files, dict) else files
    assert [(f["filename"], f["component"], f["content_type"]) for f in items] == [
        ("to-khai.pdf", COMPONENT, "application/pdf")
    ]
    content = portal.clerk.get(f"/api/v1/attachments/{items[0]['id']}/content")
    assert content.status_code == 200 and content.content == PDF
    with portal.app.app_context():
        from service.extensions import db
        from service.instances.models import ProcessInstance

        instance = db.session.get(ProcessInstance, uuid.UUID(dossier["process_instance_id"]))
        assert instance.variables["channel"] == "online"
        assert instance.variables["portal_id"] == sent["portal_id"]
        assert instance.variables["fee"] == {"amount": 200000, "paid": False, "receipt": None}


def test_a_dossier_delivered_twice_is_one_dossier(portal):
    sent = submit_on_portal(portal, deliver="twice")
    first, second = sent["answers"]
    assert first["status"] == 201 and second["status"] in (200, 201)
    assert second["body"]["dossier_id"] == first["body"]["dossier_id"]
    # Without the Idempotency-Key, the portal id alone: the first answer, marked duplicate.
    again = portal.http.post("/api/v1/integrations/dvcqg/dossiers", json=online_dossier(sent["portal_id"]))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["dossier_id"] == first["body"]["dossier_id"]
    assert counts(portal.app) == {"dossiers": 1, "attachments": 1, "instances": 1}


def test_bad_deliveries_are_refused_clearly_and_nothing_is_kept(portal, app):
    path = "/api/v1/integrations/dvcqg/dossiers"
    session = requests.Session()
    session.trust_env = False

    forged = session.post(
        portal.base + path, json=online_dossier(), headers={"Authorization": "Bearer forged"}
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"]

    from service.extensions import db
    from service.identity.operations import create_token, create_user

    with app.app_context():
        other = create_user("other-system", "password-1", unit="TTPVHCC")
        wrong_scope = create_token(other, scopes=["start:dossier"])
        db.session.commit()
    refused = session.post(
        portal.base + path, json=online_dossier(), headers={"Authorization": f"Bearer {wrong_scope}"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "token_scope"
    clerk = portal.clerk.post(path, json=online_dossier())  # a person's token is not the portal
    assert clerk.status_code == 403

    huge = portal.http.post(
        path,
        data=b'{"portal_id": "' + b"x" * (9 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    deep = portal.http.post(
        path, data=("[" * 200 + "]" * 200).encode(), headers={"Content-Type": "application/json"}
    )
    assert deep.status_code == 400 and "nested" in deep.json()["error"]["message"]

    unknown = portal.http.post(path, json=online_dossier(procedure_code="KHONG-CO"))
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_procedure"

    def with_file(content: str, filename: str = "x.pdf") -> dict:
        return online_dossier(
            components=[{"name": COMPONENT, "files": [{"filename": filename, "content_base64": content}]}]
        )

    not_base64 = portal.http.post(path, json=with_file("%%%not base64%%%"))
    assert not_base64.status_code == 422 and not_base64.json()["error"]["code"] == "file_not_base64"
    assert "components/0/files/0/content_base64" in not_base64.json()["error"]["details"]["fields"]
    html = portal.http.post(path, json=with_file(b64(b"<html><script>alert(1)</script></html>"), "a.pdf"))
    assert html.status_code == 422 and html.json()["error"]["code"] == "file_type_not_allowed"
    app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 1024
    large = portal.http.post(path, json=with_file(b64(PDF + b"0" * 2048)))
    assert large.status_code == 413 and large.json()["error"]["code"] == "file_too_large"
    # A good file after a bad one: the whole delivery is refused, the good file is not kept.
    mixed = online_dossier(
        components=[
            {
                "name": COMPONENT,
                "files": [
                    {"filename": "a.png", "content_base64": b64(PNG)},
                    {"filename": "b.pdf", "content_base64": b64(b"MZ\x90\x00" * 8)},
                ],
            }
        ]
    )
    app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 1024 * 1024
    assert portal.http.post(path, json=mixed).status_code == 422
    missing = portal.http.post(path, json={"portal_id": "X-1"})
    assert missing.status_code == 422 and "procedure_code" in missing.json()["error"]["details"]["fields"]

    assert counts(app) == {"dossiers": 0, "attachments": 0, "instances": 0}
    with app.app_context():
        from service.attachments.operations import upload_dir

        assert [p for p in upload_dir().rglob("*") if p.is_file()] == []


def test_a_citizen_submits_on_the_simulators_page_and_sees_the_dossier_listed(portal):
    page = requests.get(f"{portal.simulator.url}/dvc/portal", timeout=10)
    assert page.status_code == 200 and "Nộp hồ sơ trực tuyến" in page.text
    form = {"procedure_code": "AG-LLTP-01", "name": "Phạm <b>An</b>", "component": COMPONENT, "fee": "0"}
    sent = requests.post(
        f"{portal.simulator.url}/dvc/portal/submit",
        data=form,
        files={"file": ("to-khai.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/dvc/portal"
    (dossier,) = requests.get(f"{portal.simulator.url}/dvc/portal/dossiers", timeout=10).json()["dossiers"]
    assert [d["status"] for d in dossier["deliveries"]] == [201]
    receipt = dossier["deliveries"][0]["body"]
    assert len(receipt["files"]) == 1
    motcua = portal.clerk.get(f"/api/v1/dossiers/{receipt['dossier_id']}").json()
    assert motcua["channel"] == "online" and motcua["applicant"]["name"] == "Phạm <b>An</b>"
    listed = requests.get(f"{portal.simulator.url}/dvc/portal", timeout=10).text
    assert dossier["portal_id"] in listed and "Phạm &lt;b&gt;An&lt;/b&gt;" in listed


def test_a_simulator_started_before_the_demo_reads_the_portals_token_from_the_demos_file(portal, tmp_path):
    """`make simulators` starts before `make run`'s demo has written the portal's token: the
    simulator reads it from instance/demo-tokens.txt when the portal pushes (--motcua-token-file)."""
    from tests.integrations.simulation import SimulatorProcess

    tokens = tmp_path / "demo-tokens.txt"
    late = SimulatorProcess(
        tmp_path / "late.log", "--motcua-url", portal.base, "--motcua-token-file", str(tokens)
    )
    try:
        refused = portal_submit(late.url)
        assert refused["answers"][0]["status"] == 401  # no file yet: no token
        tokens.write_text(f"admin\tmct_other\ndvcqg\t{portal.token}\n", encoding="utf-8")
        sent = portal_submit(late.url)
        assert sent["answers"][0]["status"] == 201
    finally:
        late.stop()
