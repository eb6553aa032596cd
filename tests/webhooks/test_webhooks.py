"""Webhooks over real HTTP: subscriptions through the API, the relay from the outbox, signed
deliveries to a receiver on a loopback port, retries with backoff while it fails or is down,
dead letters and replays, refused destinations. The work runs through the same tick the
workers and the runner process run (tests/workers run it in a real worker process)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.extensions import db
from service.jobs import dispatch
from service.webhooks.models import WebhookDelivery
from tests.support import bpmn_path
from tests.webhooks.receiver import Receiver

SECRET = "a-secret-of-thirty-two-characters!"
EVENTS = ["instance.started", "task.created", "task.completed", "instance.completed"]


@pytest.fixture
def receiver():
    running = Receiver(SECRET).start()
    yield running
    running.stop()


@pytest.fixture
def hooks(app, admin, make_user):
    """The simple approval process deployed, a clerk who starts it, private receivers allowed."""
    app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = True
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    return make_user("clerk", groups=["reception"])


def subscribe(admin, url, events=EVENTS, **extra):
    response = admin.post("/api/v1/webhooks", json={"url": url, "events": events, "secret": SECRET, **extra})
    assert response.status_code == 201, response.json
    return response.json


def tick(app):
    """What a worker's tick does: relay the outbox, send what is due."""
    dispatch.tick(app)


def deliveries(app, **where):
    with app.app_context():
        query = sa.select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.created_at)
        return db.session.scalars(query).all()


def start_and_register(clerk):
    started = clerk.post(
        "/api/v1/process-instances", json={"definition_key": "simple_approval", "business_key": "CV-1"}
    )
    assert started.status_code == 201, started.json
    task = clerk.get("/api/v1/tasks").json["items"][0]["id"]
    done = clerk.complete(task, {"title": "Công văn số 12", "sender": "Sở Tư pháp"})
    assert done.status_code == 200, done.json
    return started.json["id"]


def test_subscribed_events_arrive_signed_once_each_with_their_data(app, admin, hooks, receiver):
    made = subscribe(admin, receiver.url)
    assert made["secret"] == SECRET and made["events"] == sorted(EVENTS)
    listed = admin.get("/api/v1/webhooks").json["items"]
    assert listed[0]["url"] == receiver.url and "secret" not in listed[0]

    instance_id = start_and_register(hooks)
    tick(app)

    assert all(r.signed for r in receiver.attempts)
    assert receiver.events() == ["instance.started", "task.completed", "task.created", "task.created"]
    started = next(r for r in receiver.accepted.values() if r.event == "instance.started")
    assert started.body["instance_id"] == instance_id
    assert started.body["delivery"] == started.delivery
    assert started.body["data"]["definition_key"] == "simple_approval"
    tick(app)  # nothing more: each event was relayed once and delivered once
    assert len(receiver.attempts) == 4
    assert {d.state for d in deliveries(app)} == {"delivered"}


def test_only_the_subscribed_types_and_active_subscriptions_get_events(app, admin, hooks, receiver):
    subscribe(admin, receiver.url, events=["task.completed"])
    other = Receiver(SECRET).start()
    try:
        paused = subscribe(admin, other.url)
        assert (
            admin.client.patch(
                f"/api/v1/webhooks/{paused['id']}", json={"active": False}, headers=admin.headers
            ).status_code
            == 200
        )
        start_and_register(hooks)
        tick(app)
        assert receiver.events() == ["task.completed"]
        assert other.attempts == []
    finally:
        other.stop()


def test_a_failing_receiver_gets_the_event_once_it_answers_again(app, admin, hooks, receiver, clock):
    clock.freeze()
    subscribe(admin, receiver.url, events=["instance.started"])
    receiver.failing = True
    hooks.post("/api/v1/process-instances", json={"definition_key": "simple_approval", "business_key": "A"})

    tick(app)
    [delivery] = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 503)
    tick(app)  # not due yet: the first retry waits MOTCUA_WEBHOOK_BACKOFF_SECONDS (10 s)
    assert len(receiver.attempts) == 1
    clock.advance(seconds=10)
    tick(app)
    assert len(receiver.attempts) == 2
    clock.advance(seconds=19)
    tick(app)  # the second retry waits 20 s
    assert len(receiver.attempts) == 2

    receiver.failing = False
    clock.advance(seconds=1)
    tick(app)
    [delivery] = deliveries(app)
    assert delivery.state == "delivered" and delivery.attempts == 3
    assert {r.delivery for r in receiver.attempts} == {str(delivery.id)}  # one id on every attempt
    assert list(receiver.accepted) == [str(delivery.id)]


def test_a_receiver_that_was_down_gets_every_event_when_it_is_back(app, admin, hooks, receiver, clock):
    clock.freeze()
    subscribe(admin, receiver.url)
    receiver.stop()
    start_and_register(hooks)
    tick(app)
    assert {(d.state, d.last_status) for d in deliveries(app)} == {("pending", None)}
    assert all("ConnectionError" in d.last_error for d in deliveries(app))

    receiver.start()  # on the same port
    clock.advance(seconds=10)
    tick(app)
    assert receiver.events() == ["instance.started", "task.completed", "task.created", "task.created"]


def test_exhausted_retries_go_to_the_dead_letters_and_a_replay_delivers(app, admin, hooks, receiver, clock):
    app.config["MOTCUA_WEBHOOK_MAX_ATTEMPTS"] = 2
    clock.freeze()
    subscribe(admin, receiver.url, events=["instance.started"])
    receiver.failing = True
    hooks.post("/api/v1/process-instances", json={"definition_key": "simple_approval", "business_key": "A"})
    tick(app)
    clock.advance(seconds=10)
    tick(app)
    dead = admin.get("/api/v1/webhook-deliveries", query_string={"state": "dead"}).json
    assert dead["total"] == 1
    letter = dead["items"][0]
    assert letter["attempts"] == 2 and letter["last_status"] == 503 and letter["event"] == "instance.started"
    clock.advance(hours=2)
    tick(app)
    assert len(receiver.attempts) == 2  # dead: not retried by itself

    receiver.failing = False
    replayed = admin.post(f"/api/v1/webhook-deliveries/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.json["state"] == "pending"
    tick(app)
    assert list(receiver.accepted) == [letter["id"]]
    assert admin.post(f"/api/v1/webhook-deliveries/{letter['id']}/replay").status_code == 200


def test_internal_addresses_are_refused_unless_allowed(app, admin, hooks, receiver, clock):
    app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = False
    for literal in (receiver.url, "http://localhost:8080/x", "https://[::1]/x", "https://10.1.2.3/x"):
        refused = admin.post("/api/v1/webhooks", json={"url": literal, "events": ["instance.started"]})
        assert refused.status_code == 422 and "url" in refused.json["error"]["details"]["fields"], literal
    # A host name is checked at each delivery (its addresses can change after it was subscribed).
    app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = True
    subscribe(admin, receiver.url, events=["instance.started"])
    app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = False
    clock.freeze()
    hooks.post("/api/v1/process-instances", json={"definition_key": "simple_approval", "business_key": "A"})
    tick(app)
    [delivery] = deliveries(app)
    assert delivery.state == "pending" and "internal address" in delivery.last_error
    assert receiver.attempts == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://example.gov.vn/x", "events": ["task.created"]}, "url"),
        ({"url": "https://user:pw@example.gov.vn/x", "events": ["task.created"]}, "url"),
        ({"url": "https://example.gov.vn/x", "events": ["service_call.queued"]}, "events"),
        ({"url": "https://example.gov.vn/x", "events": []}, "events"),
        ({"url": "https://example.gov.vn/x", "events": ["task.created"], "secret": "short"}, "secret"),
    ],
)
def test_bad_subscriptions_are_422_naming_the_field(admin, body, field):
    response = admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]


def test_only_administrators_manage_webhooks(hooks):
    assert hooks.get("/api/v1/webhooks").status_code == 403
    body = {"url": "https://example.gov.vn/x", "events": ["task.created"]}
    assert hooks.post("/api/v1/webhooks", json=body).status_code == 403
    assert hooks.get("/api/v1/webhook-deliveries").status_code == 403


def test_deleting_a_subscription_stops_its_deliveries(app, admin, hooks, receiver):
    made = subscribe(admin, receiver.url)
    response = admin.client.delete(f"/api/v1/webhooks/{made['id']}", headers=admin.headers)
    assert response.status_code == 204
    start_and_register(hooks)
    tick(app)
    assert receiver.attempts == [] and deliveries(app) == []


def test_external_tasks_and_new_return_dates_are_events_one_may_subscribe_to(app, admin, hooks, receiver):
    from service.outbox import operations as outbox
    from service.uow import unit_of_work

    subscribe(admin, receiver.url, events=["external_task.created", "dossier.reappointed"])
    assert admin.deploy(bpmn_path("engine_external.bpmn")).status_code == 201
    assert admin.start("external_check").status_code == 201
    with app.app_context(), unit_of_work():  # what dossiers.follow.record_steps writes for Mẫu 04
        outbox.emit("dossier.reappointed", {"code": "000.00.00.H01-261204-0001", "appointed_at": "x"})
    tick(app)

    assert sorted(receiver.events()) == ["dossier.reappointed", "external_task.created"]
    created = next(r for r in receiver.accepted.values() if r.event == "external_task.created")
    assert created.body["data"]["topic"] == "population-lookup"
