"""POST /api/v1/messages: a message correlated by name, business key and variables is delivered
to the instances waiting for it, or starts the process that starts on it; ambiguity, absence,
forged variables and other people's instances are refused with nothing delivered."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from service.extensions import db
from service.instances.models import MessageWait
from tests.conftest import Caller
from tests.support import bpmn_path

URL = "/api/v1/messages"
PAID = "payment_received"


@pytest.fixture
def cashier(admin, make_user):
    for name in ("svc_message_wait.bpmn", "svc_message_boundary.bpmn", "engine_message_start.bpmn"):
        assert admin.deploy(bpmn_path(name)).status_code == 201
    return make_user("cashier", groups=["cashiers"], unit="UBND-XA")


def start(caller, key: str, business_key: str | None = None, **variables) -> dict:
    body = {"variables": {"case_number": "C-0", **variables}}
    if business_key:
        body["business_key"] = business_key
    answer = caller.start(key, **body)
    assert answer.status_code == 201, answer.json
    return answer.json


def message(caller, name: str = PAID, **body):
    return caller.post(URL, json={"name": name, **body})


def detail(caller, instance: dict) -> dict:
    return caller.get(f"/api/v1/process-instances/{instance['id']}").json


def waiting(caller, instance: dict) -> bool:
    """Whether the instance still waits for its payment (no task opened yet)."""
    return detail(caller, instance)["tasks"] == []


def test_a_message_by_business_key_resumes_the_right_instance_out_of_several(cashier):
    cases = [start(cashier, "fee_payment", f"HS-{n}", case_number=f"C-{n}") for n in range(3)]
    answer = message(cashier, business_key="HS-1", variables={"paid_amount": 150000})
    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == "delivered"
    (delivered,) = answer.json["instances"]
    assert delivered["id"] == cases[1]["id"]
    assert delivered["definition_key"] == "fee_payment" and delivered["business_key"] == "HS-1"
    resumed = detail(cashier, cases[1])
    assert [t["element_id"] for t in resumed["tasks"]] == ["confirm_payment"]
    assert resumed["variables"]["paid_amount"] == 150000
    assert [e["data"]["name"] for e in resumed["history"] if e["type"] == "message_delivered"] == [PAID]
    assert waiting(cashier, cases[0]) and waiting(cashier, cases[2])


def test_a_message_by_correlation_keys_matches_the_instances_variables(cashier):
    first = start(cashier, "fee_payment", case_number="A-1", amount=5)
    second = start(cashier, "fee_payment", case_number="A-2", amount=5)
    answer = message(cashier, correlation_keys={"case_number": "A-2", "amount": 5})
    assert answer.status_code == 200, answer.json
    assert [i["id"] for i in answer.json["instances"]] == [second["id"]]
    assert waiting(cashier, first) and not waiting(cashier, second)
    # a value matches with its JSON type: the number 5 is not the string "5"
    assert message(cashier, correlation_keys={"case_number": "A-1", "amount": "5"}).status_code == 404
    assert message(cashier, correlation_keys={"case_number": "A-1", "nothing": 1}).status_code == 404
    for odd in ({"a\"]'; --": "x"}, {"case_number": None}, {"case_number": {"nested": ["A-1"]}}):
        assert message(cashier, correlation_keys=odd).status_code == 404
    assert waiting(cashier, first)


def test_all_delivers_to_every_matching_instance(cashier):
    north = [start(cashier, "fee_payment", case_number=f"N-{n}", district="north") for n in range(2)]
    south = start(cashier, "fee_payment", case_number="S-1", district="south")
    answer = message(cashier, correlation_keys={"district": "north"}, all=True)
    assert answer.status_code == 200, answer.json
    assert sorted(i["id"] for i in answer.json["instances"]) == sorted(i["id"] for i in north)
    assert not any(waiting(cashier, i) for i in north)
    assert waiting(cashier, south)


def test_several_matches_without_all_are_a_409_and_nothing_is_delivered(cashier):
    both = [start(cashier, "fee_payment", "HS-9", case_number=f"D-{n}") for n in range(2)]
    answer = message(cashier, business_key="HS-9")
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "message_ambiguous"
    assert sorted(answer.json["error"]["details"]["instances"]) == sorted(i["id"] for i in both)
    assert all(waiting(cashier, i) for i in both)


def test_a_message_nobody_waits_for_and_no_process_starts_on_is_a_404(cashier):
    start(cashier, "fee_payment", "HS-1")
    for body in ({"name": "never_sent"}, {"name": PAID, "business_key": "HS-404"}):
        answer = cashier.post(URL, json=body)
        assert answer.status_code == 404
        assert answer.json["error"]["code"] == "message_not_correlated"


def test_a_one_shot_message_is_delivered_once(cashier):
    case = start(cashier, "fee_payment", "HS-1")
    assert message(cashier, business_key="HS-1").status_code == 200
    again = message(cashier, business_key="HS-1")
    assert again.status_code == 404  # the instance no longer waits for it
    history = detail(cashier, case)["history"]
    assert len([e for e in history if e["type"] == "message_delivered"]) == 1


def test_a_message_no_instance_waits_for_starts_the_process_that_starts_on_it(cashier, make_user):
    portal = make_user("portal", groups=["portal"])
    answer = message(
        portal, "application_submitted", business_key="WEB-1", variables={"applicant_name": "Lê Văn Tám"}
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["outcome"] == "started"
    (started,) = answer.json["instances"]
    assert started["definition_key"] == "online_application" and started["business_key"] == "WEB-1"
    assert started["state"] == "running"
    shown = detail(portal, started)
    assert [t["element_id"] for t in shown["tasks"]] == ["review"]
    assert shown["variables"]["applicant_name"] == "Lê Văn Tám"
    # the review done, the instance waits in a receive task: the next message resumes it
    reviewer = make_user("reviewer", groups=["reviewers"])
    assert reviewer.complete(shown["tasks"][0]["id"]).status_code == 200
    documents = message(portal, "documents_received", business_key="WEB-1", variables={"pages": 3})
    assert documents.status_code == 200, documents.json
    assert detail(portal, started)["state"] == "completed"


def test_a_message_start_takes_only_what_the_start_form_declares_and_only_from_starters(cashier, make_user):
    portal = make_user("portal", groups=["portal"])
    forged = message(portal, "application_submitted", variables={"applicant_name": "A", "approved": True})
    assert forged.status_code == 422
    assert set(forged.json["error"]["details"]["fields"]) == {"approved"}
    refused = message(cashier, "application_submitted", variables={"applicant_name": "A"})
    assert refused.status_code == 403
    assert portal.get("/api/v1/process-instances").json["total"] == 0


def test_a_message_cannot_set_a_variable_the_process_computes(cashier):
    case = start(cashier, "fee_payment", "HS-1", case_number="C-7")
    answer = message(cashier, business_key="HS-1", variables={"invoice_number": "HD-forged"})
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "fields_not_accepted"
    assert set(answer.json["error"]["details"]["fields"]) == {"payload/invoice_number"}
    assert waiting(cashier, case)
    assert detail(cashier, case)["variables"]["invoice_number"] == "HD-C-7"


def test_another_units_user_cannot_message_an_instance_they_may_not_act_on(cashier, make_user):
    case = start(cashier, "fee_payment", "HS-1", case_number="C-1")
    other = make_user("other_cashier", groups=["cashiers"], unit="UBND-PHUONG")
    for body in ({"business_key": "HS-1"}, {"correlation_keys": {"case_number": "C-1"}}, {}):
        answer = message(other, **body)
        # the same answer as for an instance that does not exist: nothing about it leaks
        assert answer.status_code == 404, answer.json
        assert answer.json["error"]["code"] == "message_not_correlated"
    assert waiting(cashier, case)


def test_a_boundary_message_interrupts_the_task_it_is_attached_to(cashier):
    review = start(cashier, "permit_review", "GP-1")
    assert [t["element_id"] for t in review["tasks"]] == ["review"]
    answer = message(cashier, "application_withdrawn", business_key="GP-1", variables={"reason": "moved"})
    assert answer.status_code == 200, answer.json
    shown = detail(cashier, review)
    assert [t["element_id"] for t in shown["tasks"]] == ["hand_back"]
    assert shown["variables"]["withdrawal"] == {"reason": "moved"}
    assert any(e["type"] == "task_cancelled" for e in shown["history"])
    assert cashier.complete(review["tasks"][0]["id"]).status_code == 409  # the review is gone


def test_a_retried_correlation_with_the_same_idempotency_key_delivers_once(cashier):
    case = start(cashier, "fee_payment", "HS-1")
    headers = {"Idempotency-Key": "pay-HS-1-once"}
    first = cashier.post(URL, json={"name": PAID, "business_key": "HS-1"}, headers=headers)
    again = cashier.post(URL, json={"name": PAID, "business_key": "HS-1"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    history = detail(cashier, case)["history"]
    assert len([e for e in history if e["type"] == "message_delivered"]) == 1


def test_the_waits_are_recorded_after_every_step_and_end_with_the_wait(app, cashier):
    case = start(cashier, "fee_payment", "HS-1")

    def names() -> list[str]:
        with app.app_context():
            return list(
                db.session.scalars(
                    sa.select(MessageWait.name).where(MessageWait.instance_id == uuid.UUID(case["id"]))
                )
            )

    assert names() == [PAID]
    assert message(cashier, business_key="HS-1").status_code == 200
    assert names() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 256},
        {"name": PAID, "correlation_keys": {f"k{n}": n for n in range(21)}},
        {"name": PAID, "all": "yes"},
        {"name": PAID, "variables": []},
    ],
)
def test_bad_message_bodies_are_422(cashier, body):
    answer = cashier.post(URL, json=body)
    assert answer.status_code == 422, answer.json


def test_racing_deliveries_of_one_message_to_one_instance_have_exactly_one_winner(
    live_server, admin, make_user
):
    assert admin.deploy(bpmn_path("svc_message_wait.bpmn")).status_code == 201
    cashier = make_user("cashier", groups=["cashiers"])
    case = start(cashier, "fee_payment", "HS-1")
    racers = 4
    barrier = threading.Barrier(racers)

    def deliver():
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {cashier.token}"
            barrier.wait()
            return session.post(f"{live_server}{URL}", json={"name": PAID, "business_key": "HS-1"})

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(lambda _: deliver(), range(racers)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1, codes
    for loser in (r for r in results if r.status_code != 200):
        assert loser.status_code in (404, 409), loser.text
        # found no wait left, or found it and then the new state (no longer waiting), or lost the
        # version check of the instance's UPDATE: in each case nothing of it was applied
        codes = {"message_not_correlated", "event_not_expected", "concurrent_update"}
        assert loser.json()["error"]["code"] in codes
    shown = detail(cashier, case)
    assert len([e for e in shown["history"] if e["type"] == "message_delivered"]) == 1
    assert [t["element_id"] for t in shown["tasks"]] == ["confirm_payment"]


def test_a_suspended_instance_is_not_messaged(cashier):
    case = start(cashier, "fee_payment", "HS-1")
    assert cashier.post(f"/api/v1/process-instances/{case['id']}/suspend").status_code == 200
    assert message(cashier, business_key="HS-1").status_code == 404
    assert cashier.post(f"/api/v1/process-instances/{case['id']}/resume").status_code == 200
    assert message(cashier, business_key="HS-1").status_code == 200


def test_a_message_two_processes_start_on_is_a_409_and_starts_nothing(cashier, admin, make_user):
    copy = (
        bpmn_path("engine_message_start.bpmn")
        .read_bytes()
        .replace(b'id="online_application"', b'id="online_application_copy"')
    )
    assert admin.deploy(copy, "copy.bpmn").status_code == 201
    portal = make_user("portal", groups=["portal"])
    answer = message(portal, "application_submitted", variables={"applicant_name": "A"})
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "message_ambiguous"
    assert answer.json["error"]["details"]["definitions"] == ["online_application", "online_application_copy"]
    assert admin.get("/api/v1/process-instances").json["total"] == 0


def _scoped(admin, username: str, *scopes: str) -> Caller:
    answer = admin.post("/api/v1/tokens", json={"user": username, "name": "system", "scopes": list(scopes)})
    assert answer.status_code == 201, answer.json
    return Caller(admin.client, username, answer.json["token"])


def test_a_scoped_token_correlates_only_the_messages_it_names(cashier, admin):
    case = start(cashier, "fee_payment", "HS-1")
    other = _scoped(admin, "cashier", "messages:application_withdrawn")
    refused = message(other, business_key="HS-1")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "token_scope"
    assert refused.json["error"]["details"]["needs"] == f"messages:{PAID}"
    assert waiting(cashier, case)
    gateway = _scoped(admin, "cashier", f"messages:{PAID}")
    assert message(gateway, business_key="HS-1").status_code == 200


def test_a_scoped_token_starts_on_a_message_only_with_the_start_scope_too(cashier, admin, make_user):
    make_user("portal", groups=["portal"])
    body = {"business_key": "WEB-1", "variables": {"applicant_name": "A"}}
    messages_only = _scoped(admin, "portal", "messages:application_submitted")
    refused = message(messages_only, "application_submitted", **body)
    assert refused.status_code == 403
    assert refused.json["error"]["details"]["needs"] == "start:online_application"
    both = _scoped(admin, "portal", "messages:application_submitted", "start:online_application")
    assert message(both, "application_submitted", **body).status_code == 201
