"""Notifications over real HTTP: the API on a live server, the SMS and Zalo connectors calling the
simulator (a real process), the worker's tick relaying the outbox and sending. Each event sends
one message per recipient and channel, after the commit, never twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from service.dossiers.models import Dossier
from service.extensions import db
from service.jobs import dispatch
from service.notifications.models import NotificationDelivery
from service.outbox import operations as outbox
from service.outbox.models import OutboxEvent
from service.uow import unit_of_work
from tests.factories import receive_dossier
from tests.notifications.conftest import PHONE, PUBLIC_URL
from tests.support import QR

APPLICANT = "84912345678"


def receive(office, **extra):
    applicant = {"cccd_qr": QR, "phone": PHONE, **extra}
    return receive_dossier(office.clerk, "AG-LLTP-01", applicant)


def do(caller, dossier: dict, element: str, variables: dict | None = None) -> dict:
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    task = next(t for t in tasks if t["element_id"] == element)
    response = caller.complete(task["id"], variables or {})
    assert response.status_code == 200, response.json
    return caller.get(f"/api/v1/dossiers/{dossier['id']}").json


def sent(office, **where) -> list[dict]:
    """The simulator's journal (what reached the remote systems), filtered by params."""
    return [
        entry
        for entry in office.simulator.journal()
        if all(entry["params"].get(k) == v or entry.get(k) == v for k, v in where.items())
    ]


def rows(app, **where) -> list[NotificationDelivery]:
    with app.app_context():
        query = sa.select(NotificationDelivery).filter_by(**where).order_by(NotificationDelivery.created_at)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def test_receipt_goes_once_by_sms_and_zalo_after_the_commit_in_vietnamese(app, office):
    dossier = receive(office, zalo_consent=True)
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    assert dossier["status"] == 2
    assert office.simulator.journal() == []  # committed, not yet relayed: nothing sent in the request

    dispatch.tick(app)
    sms = sent(office, connector="sms", phone=APPLICANT)
    zalo = sent(office, connector="zalo", phone=APPLICANT)
    assert len(sms) == 1 and len(zalo) == 1
    with app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        pin, code = row.lookup_pin, row.code
    text = sms[0]["params"]["message"]
    assert text.startswith(f"Hồ sơ {code} đã được tiếp nhận. Hẹn trả kết quả: ")
    assert f"Tra cứu: {PUBLIC_URL}/tra-cuu?ma={code}" in text and f"Mã PIN: {pin}" in text
    assert len(text) <= 3 * 67 and sms[0]["params"]["unicode"] is True
    data = zalo[0]["params"]["template_data"]
    assert zalo[0]["params"]["template_id"] == "motcua_tiep_nhan"
    assert data["ma_ho_so"] == code and data["ma_pin"] == pin
    assert data["thu_tuc"].startswith("Cấp Phiếu lý lịch tư pháp")
    # the Idempotency-Key is the delivery's id; the delivery is sent, with the remote's id
    [delivery] = rows(app, channel="sms", template="receipt")
    assert (
        sms[0]["key"] == str(delivery.id)
        and delivery.state == "sent"
        and delivery.reference.startswith("sms-")
    )

    dispatch.tick(app)  # nothing more
    assert len(sent(office, phone=APPLICANT)) == 2
    with app.app_context():  # the outbox event handed on again: no new delivery, no new message
        db.session.execute(sa.update(OutboxEvent).values(relayed_at=None))
        db.session.commit()
    dispatch.tick(app)
    assert len(rows(app, template="receipt")) == 2
    assert len(sent(office, phone=APPLICANT)) == 2


def test_no_zalo_without_consent_and_an_opt_out_is_respected(app, office):
    opted = office.admin.post(
        "/api/v1/notifications/opt-outs", json={"phone": "0912 345 678", "channel": "sms"}
    )
    assert opted.status_code == 201, opted.json
    assert opted.json["phone"] == APPLICANT
    dossier = receive(office)  # zalo_consent left out: off
    do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dispatch.tick(app)
    assert sent(office, phone=APPLICANT) == []
    [skipped] = rows(app, template="receipt")
    assert (skipped.channel, skipped.state) == ("sms", "skipped")
    again = office.admin.post("/api/v1/notifications/opt-outs", json={"phone": PHONE, "channel": "sms"})
    assert again.status_code == 409


def test_a_rolled_back_step_sends_nothing(app, office):
    dossier = receive(office, zalo_consent=True)
    with app.app_context(), unit_of_work() as unit:
        payload = {"from": 1, "to": 2, "code": None, "dossier_id": dossier["id"]}
        outbox.emit("dossier.status_changed", payload)
        unit.abort()
    dispatch.tick(app)
    assert rows(app) == [] and office.simulator.journal() == []


def test_each_step_tells_the_applicant_and_the_officers_once(app, office, clock):
    dossier = receive(office, zalo_consent=True)
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = do(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    dispatch.tick(app)
    # the assignment waits for the unit heads: the head is told by Zalo (their contact's channel)
    [group] = sent(office, phone="84987000001")
    assert group["connector"] == "zalo" and group["params"]["template_id"] == "motcua_viec_nhom"
    assert group["params"]["template_data"]["nhom"] == "unit_heads"
    assert group["params"]["template_data"]["duong_dan"].startswith(f"{PUBLIC_URL}/ui/tasks/")

    dossier = do(office.head, dossier, "assign", {"specialist": "specialist"})
    dispatch.tick(app)
    mine = sent(office, phone="84987000002")
    assert sorted(e["connector"] for e in mine) == ["sms", "zalo"]
    text = next(e for e in mine if e["connector"] == "sms")["params"]["message"]
    assert text.startswith("Có việc mới giao cho anh/chị: ") and f"(hồ sơ {dossier['code']})" in text

    variables = {
        "appraisal_decision": "request_supplement",
        "appraisal_opinion": "Thiếu giấy tờ.",
        "missing_items": ["Bản chụp CCCD"],
        "supplement_reason": "Thiếu bản chụp CCCD.",
    }
    dossier = do(office.specialist, dossier, "appraise", variables)
    assert dossier["status"] == 5
    dispatch.tick(app)
    [supplement] = sent(office, connector="sms", template="supplement")
    assert supplement["params"]["message"] == (
        f"Hồ sơ {dossier['code']} cần bổ sung: Thiếu bản chụp CCCD. Mời ông/bà liên hệ Bộ phận Một cửa."
    )
    assert sent(office, connector="zalo", template_id="motcua_bo_sung")[0]["params"]["template_data"][
        "ly_do"
    ] == ("Thiếu bản chụp CCCD")

    dossier = do(office.clerk, dossier, "await_supplement", {"supplement_received": True})
    dossier = do(
        office.specialist,
        dossier,
        "appraise",
        {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đạt."},
    )
    dossier = do(office.leader, dossier, "approve", {"approval_decision": "approve"})
    dossier = do(
        office.records, dossier, "issue_result", {"result_number": "1/PLLTP", "issued_on": "2026-11-26"}
    )
    assert dossier["status"] == 9
    dispatch.tick(app)
    [result] = sent(office, connector="sms", template="result")
    assert result["params"]["message"].startswith(f"Hồ sơ {dossier['code']} đã có kết quả.")
    dispatch.tick(app)
    # one message per (event, recipient, channel): no key was sent twice
    keys = [e["key"] for e in office.simulator.journal()]
    assert len(keys) == len(set(keys))
    assert {r.template for r in rows(app, recipient="applicant")} == {"receipt", "supplement", "result"}
    assert all(r.state == "sent" for r in rows(app))


def test_the_apology_tells_the_new_appointment(app, office):
    from service.calendar.operations import calendar
    from service.jobs.operations import fire_timers

    dossier = receive(office)
    dossier = do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dossier = do(office.clerk, dossier, "digitise", {"all_components_digitised": True})
    dossier = do(office.head, dossier, "assign", {"specialist": "specialist"})
    with app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        assert fire_timers(row.instance_id, row.due_at + timedelta(minutes=1))
        cal = calendar()
        after = cal.next_working_day(row.due_at.astimezone(cal.tz).date())
    variables = {"reason": "Chờ xác minh.", "new_due_date": after.isoformat(), "new_due_time": "16:30"}
    do(office.head, dossier, "apology", variables)
    dispatch.tick(app)
    [apology] = sent(office, connector="sms", template="apology")
    assert apology["params"]["message"] == (
        f"Xin lỗi ông/bà: hồ sơ {dossier['code']} chưa giải quyết kịp hạn. "
        f"Ngày hẹn trả mới: 16:30 {after.strftime('%d/%m/%Y')}."
    )


def test_a_failing_gateway_is_retried_then_dead_lettered_and_replayed(app, office, clock):
    clock.freeze()
    office.simulator.fail(connector="sms", operation="send", times=5, status=503)
    dossier = receive(office)
    do(office.clerk, dossier, "receive", {"reception_decision": "accept"})
    dispatch.tick(app)
    [delivery] = rows(app, template="receipt")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "HTTP 503" in delivery.last_error
    dispatch.tick(app)  # not due yet: the contract's backoff is 30 s
    assert rows(app, template="receipt")[0].attempts == 1
    for wait in (30, 60, 120, 240):
        clock.advance(seconds=wait)
        dispatch.tick(app)
    [delivery] = rows(app, template="receipt")
    assert (delivery.state, delivery.attempts) == ("dead", 5)  # the contract's five attempts
    assert sent(office, connector="sms") == []

    listed = office.admin.get("/api/v1/notification-deliveries?state=dead").json
    assert [item["id"] for item in listed["items"]] == [str(delivery.id)]
    assert office.clerk.get("/api/v1/notification-deliveries").status_code == 403
    replayed = office.admin.post(f"/api/v1/notification-deliveries/{delivery.id}/replay")
    assert replayed.status_code == 200 and replayed.json["state"] == "pending"
    dispatch.tick(app)
    assert len(sent(office, connector="sms")) == 1
    assert rows(app, template="receipt")[0].state == "sent"
    again = office.admin.post(f"/api/v1/notification-deliveries/{delivery.id}/replay")
    assert again.status_code == 409


def test_templates_are_data_the_admin_reads_and_contacts_are_checked(app, office):
    listed = office.admin.get("/api/v1/notifications/templates")
    assert listed.status_code == 200
    ids = {t["id"] for t in listed.json["items"]}
    assert {"receipt", "supplement", "result", "apology", "task", "task_group"} <= ids
    assert office.clerk.get("/api/v1/notifications/templates").status_code == 403

    def put(caller, url, body):
        return caller.client.put(url, json=body, headers=caller.headers)

    bad = put(office.admin, "/api/v1/notifications/contacts/head", {"phone": "0123456789"})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "phone_invalid"
    assert put(office.clerk, "/api/v1/notifications/contacts/head", {"phone": PHONE}).status_code == 403
    own = put(office.clerk, "/api/v1/notifications/contacts/clerk", {"phone": PHONE, "sms": True})
    assert own.status_code == 200 and own.json["phone"] == APPLICANT and own.json["zalo"] is True
