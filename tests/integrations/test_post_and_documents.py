"""The result by post and the signed result in the agency's documents system (issue 14), over real
HTTP: the return step with method post books the delivery with the postal operator (the
simulator), the dossier is "returned by post" (status 10) with the item's tracking number on the
dossier, Mẫu 05 and Mẫu 06, and the post's signed tracking callbacks (sent twice) move its status
once; a result signed with the unit's key is filed in the documents system, which receives the
signed PDF itself, and its document number is shown on the dossier, its page and Mẫu 05."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import requests

from integrations.codes import SIGNATURE_HEADER
from integrations.webhooks import sign
from service.attachments.models import Attachment
from service.extensions import db
from service.models_base import utcnow
from tests.attachments.test_attachments import upload
from tests.attachments.test_signatures import PASSPHRASE, _result_pdf
from tests.dossiers.test_dossier_flow import appraise, do, receive, to_appraisal
from tests.dossiers.test_dossier_flow import office as office  # the fixture
from tests.integrations.remote import (
    POST_SECRET,
    connect,
    journal,
    point_callbacks,
    run_calls,
    simulator_fixture,
)
from tests.pki import Authority, write_keys

remote_simulator = simulator_fixture()
RESULT = {"result_number": "45/PLLTP", "issued_on": "2026-12-04"}


@pytest.fixture(scope="module")
def authority():
    return Authority.create()


@pytest.fixture
def remote(office, remote_simulator, live_server, authority, tmp_path, monkeypatch):
    keys, roots = write_keys(tmp_path / "pki", authority, {"SO-TP": "Sở Tư pháp tỉnh An Giang"}, PASSPHRASE)
    office.app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE_SO_TP", PASSPHRASE.decode())
    connect(office.app, remote_simulator)
    point_callbacks(remote_simulator, live_server)
    office.simulator = remote_simulator
    return office


def _at_issue_result(office):
    dossier = appraise(office, to_appraisal(office, receive(office)), "propose_approve")
    return do(office.leader, dossier, "approve", {"approval_decision": "approve"})


def _task(caller, dossier, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    return next(t for t in tasks if t["element_id"] == element)


def _track(simulator, tracking_number, status, times=1) -> list:
    answer = requests.post(
        f"{simulator.url}/post/_status/{tracking_number}", json={"status": status, "times": times}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["answers"]


def test_the_result_is_returned_by_post_with_its_tracking_number(remote):
    dossier = do(remote.records, _at_issue_result(remote), "issue_result", RESULT)
    assert run_calls(remote.app) == []  # a paper result: nothing for the documents system
    dossier = do(
        remote.clerk,
        dossier,
        "return_result",
        {"method": "post", "delivery_address": "Số 5 Lê Lợi, Long Xuyên", "delivery_phone": "0911222333"},
    )
    assert dossier["status"] == 9 and dossier["tracking_number"] is None  # booked by a worker
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("book_delivery", "post/book_delivery", "done")]
    (booking,) = journal(remote.simulator)
    assert booking["params"]["address"] == {"address": "Số 5 Lê Lợi, Long Xuyên", "phone": "0911222333"}
    assert booking["params"]["ref"] == dossier["code"]
    assert booking["params"]["recipient"]["name"] == "Nguyễn Thị Ánh"

    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert (dossier["status"], dossier["return_method"]) == (10, "post")  # returned by post
    assert dossier["tracking_number"] == "EB000000001VN" and dossier["shipment_status"] == "booked"
    assert dossier["returned_at"] is not None

    answers = _track(remote.simulator, "EB000000001VN", "delivered", times=2)
    assert [a["body"]["outcome"] for a in answers] == ["updated", "duplicate"]
    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert dossier["shipment_status"] == "delivered"

    mau05 = remote.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    text = mau05.get_data(as_text=True)
    assert "số hiệu bưu gửi <b>EB000000001VN</b>" in text and "Đã phát thành công" in text
    mau06 = remote.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-06?format=html")
    assert "Số hiệu: EB000000001VN" in mau06.get_data(as_text=True)
    page = remote.clerk.get(f"/ui/dossiers/{dossier['code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="tracking-number">EB000000001VN' in html and "Đã phát thành công" in html
    assert 'data-testid="return-method">Bưu chính' in html
    register = remote.clerk.get("/api/v1/reports/register?period=month:" + dossier["received_at"][:7]).json
    row = next(r for r in register["items"] if r["code"] == dossier["code"])
    assert (row["return_method"], row["tracking_number"]) == ("post", "EB000000001VN")


def test_the_post_callback_is_signed_and_names_the_dossiers_item(remote, live_server):
    dossier = do(remote.records, _at_issue_result(remote), "issue_result", RESULT)
    do(remote.clerk, dossier, "return_result", {"method": "post"})
    run_calls(remote.app)
    body = {"tracking_number": "EB000000999VN", "ref": dossier["code"], "status": "delivered"}
    unsigned = requests.post(f"{live_server}/api/v1/post/callback", json=body, timeout=10)
    assert unsigned.status_code == 401
    data = json.dumps(body).encode()
    wrong_item = requests.post(
        f"{live_server}/api/v1/post/callback",
        data=data,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(POST_SECRET, data)},
        timeout=10,
    )
    assert wrong_item.status_code == 409 and wrong_item.json()["error"]["code"] == "unknown_item"


def test_the_signed_result_is_filed_in_the_documents_system_with_its_number(remote):
    dossier = _at_issue_result(remote)
    task = _task(remote.records, dossier, "issue_result")
    uploaded = upload(remote.records, task["id"], _result_pdf(), "ket-qua.pdf")
    assert uploaded.status_code == 201, uploaded.json
    signed = remote.records.post(f"/api/v1/attachments/{uploaded.json['id']}/signature")
    assert signed.status_code == 201, signed.json
    signed_bytes = remote.records.get(signed.json["download_url"]).data
    dossier = do(remote.records, dossier, "issue_result", RESULT)
    assert dossier["current_steps"] == []  # filing first: the result reaches the counter after
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("file_result", "edms/file_result", "done")]
    (filing,) = journal(remote.simulator)
    sent = filing["params"]["document"]
    assert sent["sha256"] == hashlib.sha256(signed_bytes).hexdigest()
    assert sent["name"] == "ket-qua-ky-so.pdf" and filing["params"]["result_number"] == "45/PLLTP"
    documents = requests.get(f"{remote.simulator.url}/edms/_documents", timeout=5).json()
    ((number, received),) = documents.items()
    assert received["sha256_ok"] and received["pdf"] and received["size"] == len(signed_bytes)

    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert dossier["edms_number"] == number
    assert [s["element_id"] for s in dossier["current_steps"]] == ["return_result"]
    mau05 = remote.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?format=html")
    assert number in mau05.get_data(as_text=True)
    page = remote.records.get(f"/ui/dossiers/{dossier['code']}").get_data(as_text=True)
    assert f'data-testid="edms-number">{number}<' in page
    variables = remote.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json[
        "variables"
    ]
    assert "content_base64" not in str(variables)  # the bytes never enter the engine state


def test_a_filing_whose_file_is_gone_is_an_incident_naming_it(remote):
    dossier = _at_issue_result(remote)
    task = _task(remote.records, dossier, "issue_result")
    uploaded = upload(remote.records, task["id"], _result_pdf(), "ket-qua.pdf")
    signed = remote.records.post(f"/api/v1/attachments/{uploaded.json['id']}/signature").json
    do(remote.records, dossier, "issue_result", RESULT)
    with remote.app.app_context():
        db.session.get(Attachment, uuid.UUID(signed["id"])).deleted_at = utcnow()
        db.session.commit()
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("file_result", "edms/file_result", "failed")]
    assert "is gone" in calls[0][4]
    assert journal(remote.simulator) == []
    incidents = remote.admin.get("/api/v1/incidents").json["items"]
    assert [i["element_id"] for i in incidents] == ["file_result"]


def test_the_post_picks_up_the_documents_and_the_check_opens_when_they_arrive(remote):
    body = {
        "procedure_code": "AG-LLTP-01",
        "channel": "post",
        "applicant": {"name": "Lê Văn Bình", "address": "Ấp 3, xã Mỹ Hòa Hưng", "phone": "0913000111"},
        "pickup": {"address": "Ấp 3, xã Mỹ Hòa Hưng", "phone": "0913000111"},
    }
    refused = remote.clerk.post("/api/v1/dossiers", json={**body, "channel": "counter"})
    assert refused.status_code == 422 and "pickup" in refused.json["error"]["details"]["fields"]
    dossier = remote.clerk.post("/api/v1/dossiers", json=body).json
    assert dossier["status"] == 1 and dossier["current_steps"] == []  # waits for the documents
    calls = run_calls(remote.app)
    assert [c[:3] for c in calls] == [("book_pickup", "post/book_pickup", "done")]
    (booking,) = journal(remote.simulator)
    assert booking["params"]["address"] == body["pickup"] and booking["params"]["ref"] == dossier["id"]
    assert _track(remote.simulator, "EB000000001VN", "picked_up")[0]["body"]["outcome"] == "updated"
    answers = _track(remote.simulator, "EB000000001VN", "delivered", times=2)
    assert [a["body"]["outcome"] for a in answers] == ["delivered", "duplicate"]
    dossier = remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert [s["element_id"] for s in dossier["current_steps"]] == ["receive"]
    assert dossier["status"] == 1 and dossier["tracking_number"] is None  # the result's, later
    dossier = do(remote.clerk, dossier, "receive", {"reception_decision": "accept"})
    assert dossier["status"] == 2


def test_a_pickup_callback_names_the_dossiers_booking(remote, live_server):
    dossier = remote.clerk.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": "AG-LLTP-01",
            "channel": "post",
            "applicant": {"name": "Lê Văn Bình"},
            "pickup": {"address": "Ấp 3"},
        },
    ).json
    run_calls(remote.app)
    body = {"tracking_number": "EB000000777VN", "ref": dossier["id"], "kind": "pickup", "status": "delivered"}
    data = json.dumps(body).encode()
    answer = requests.post(
        f"{live_server}/api/v1/post/callback",
        data=data,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(POST_SECRET, data)},
        timeout=10,
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "unknown_item"
    assert remote.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json["current_steps"] == []
