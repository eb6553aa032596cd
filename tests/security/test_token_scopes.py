"""System identities: a token with scopes does only what they name, never more than its user may,
its last use is recorded and what it does is audited with it."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Caller
from tests.factories import QR, receive_dossier
from tests.support import bpmn_path


def scoped(admin, username: str, *scopes: str, name: str = "system") -> Caller:
    """A token of `username` with these scopes, issued by the administrator over the API."""
    answer = admin.post("/api/v1/tokens", json={"user": username, "name": name, "scopes": list(scopes)})
    assert answer.status_code == 201, answer.json
    assert answer.json["scopes"] == sorted(set(scopes))
    return Caller(admin.client, username, answer.json["token"])


@pytest.fixture
def portal(admin, make_user):
    """A system user in the reception group (it may start simple_approval), deployed library."""
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    make_user("portal", groups=["reception"], unit="TTPVHCC")
    return admin


@pytest.mark.parametrize(
    "scopes",
    [["write"], ["start"], ["start:"], ["messages:a b"], ["read", "tasks:../x"], [], ["x" * 161]],
)
def test_a_scope_that_is_not_one_of_the_forms_is_422(portal, scopes):
    answer = portal.post("/api/v1/tokens", json={"user": "portal", "scopes": scopes})
    assert answer.status_code == 422, answer.json
    assert "scopes" in answer.json["error"]["details"]["fields"]


def test_a_token_without_scopes_keeps_its_users_full_rights(portal):
    answer = portal.post("/api/v1/tokens", json={"user": "portal"})
    assert answer.json["scopes"] is None
    caller = Caller(portal.client, "portal", answer.json["token"])
    assert caller.start("simple_approval").status_code == 201


def test_a_start_scope_starts_that_process_only(portal):
    source = bpmn_path("simple_approval.bpmn").read_text()
    assert portal.deploy(source.replace('id="simple_approval"', 'id="other_process"')).status_code == 201
    system = scoped(portal, "portal", "start:simple_approval")
    assert system.start("simple_approval", business_key="HS-9").status_code == 201
    refused = system.start("other_process")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "token_scope"
    assert refused.json["error"]["details"]["needs"] == "start:other_process"


def test_a_scope_never_gives_more_than_the_user_may(admin, make_user):
    admin.deploy(bpmn_path("simple_approval.bpmn"))
    make_user("stranger", groups=["it"])
    system = scoped(admin, "stranger", "start:*", "read")
    answer = system.start("simple_approval")
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "forbidden"  # the user's own rule: not a starter


def test_reading_needs_the_read_scope(portal):
    blind = scoped(portal, "portal", "start:simple_approval")
    answer = blind.get("/api/v1/process-definitions")
    assert answer.status_code == 403
    assert answer.json["error"]["details"]["needs"] == "read"
    reader = scoped(portal, "portal", "read")
    assert reader.get("/api/v1/process-definitions").status_code == 200


def test_a_reading_token_cannot_write(portal):
    reader = scoped(portal, "portal", "read")
    assert reader.start("simple_approval").status_code == 403


def test_a_scoped_administrators_token_cannot_reach_the_administration(admin):
    system = scoped(admin, "admin", "read", "start:*", "deploy", "messages:*", "tasks:*")
    for url, body in [
        ("/api/v1/tokens", {"user": "admin"}),
        ("/api/v1/webhooks", {"url": "https://example.org/hook", "events": ["instance.started"]}),
        ("/api/v1/users", {"username": "x", "password": "password-1"}),
    ]:
        answer = system.post(url, json=body)
        assert answer.status_code == 403, (url, answer.json)
        assert answer.json["error"]["code"] == "token_scope"
    # reading is allowed by "read", and the user's own rights still decide what is shown
    assert system.get("/api/v1/users").status_code == 200


def test_deploying_needs_the_deploy_scope(admin):
    reader = scoped(admin, "admin", "read")
    assert reader.deploy(bpmn_path("simple_approval.bpmn")).status_code == 403
    deployer = scoped(admin, "admin", "deploy")
    assert deployer.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201


def test_a_tasks_scope_works_the_tasks_of_that_process_only(portal, make_user):
    started = portal.start("simple_approval").json
    task_id = started["tasks"][0]["id"]
    other = scoped(portal, "portal", "read", "tasks:another_process")
    refused = other.post(f"/api/v1/tasks/{task_id}/claim")
    assert refused.status_code == 403
    assert refused.json["error"]["details"]["needs"] == "tasks:another_process".replace(
        "another_process", "simple_approval"
    )
    worker = scoped(portal, "portal", "read", "tasks:simple_approval")
    assert worker.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    done = worker.complete(task_id, {"title": "Công văn", "sender": "Sở Nội vụ"})
    assert done.status_code == 200, done.json


def test_a_messages_scope_sends_that_message_only(dossier_office):
    dossier = receive_dossier(dossier_office.clerk)
    url = f"/api/v1/process-instances/{dossier['process_instance_id']}/messages"
    other = scoped(dossier_office.admin, "clerk", "messages:supplement")
    refused = other.post(url, json={"name": "withdrawal", "payload": {"withdrawal_reason": "x"}})
    assert refused.status_code == 403
    assert refused.json["error"]["details"]["needs"] == "messages:withdrawal"
    sender = scoped(dossier_office.admin, "clerk", "messages:withdrawal")
    answer = sender.post(url, json={"name": "withdrawal", "payload": {"withdrawal_reason": "x"}})
    assert answer.status_code == 200, answer.json


def test_receiving_a_dossier_needs_start_of_its_process(dossier_office):
    blind = scoped(dossier_office.admin, "clerk", "start:simple_approval")
    body = {
        "procedure_code": "AG-LLTP-01",
        "channel": "online",
        "applicant": {"cccd_qr": QR, "phone": "0912345678"},
    }
    refused = blind.post("/api/v1/dossiers", json=body)
    assert refused.status_code == 403
    assert refused.json["error"]["details"]["needs"] == "start:dossier"
    portal = scoped(dossier_office.admin, "clerk", "start:dossier")
    assert portal.post("/api/v1/dossiers", json=body).status_code == 201


def test_last_use_is_recorded_and_what_the_token_did_is_audited_with_it(app, portal):
    system = scoped(portal, "portal", "start:simple_approval", "read", name="DVCQG")

    def token():
        listed = portal.get("/api/v1/tokens?user=portal").json["items"]
        return next(t for t in listed if t["name"] == "DVCQG")

    assert token()["last_used_at"] is None
    started = system.start("simple_approval").json
    token = token()
    assert token["last_used_at"] is not None
    from service.audit.models import AuditEvent
    from service.extensions import db

    with app.app_context():
        rows = db.session.query(AuditEvent).filter_by(instance_id=uuid.UUID(started["id"])).all()
        assert rows and {(r.actor, r.token_id) for r in rows if r.actor} == {("portal", token["id"])}


def test_the_cli_issues_a_scoped_token(app, make_user):
    make_user("portal", groups=["reception"])
    from service.cli import main

    result = app.test_cli_runner().invoke(
        main, ["tokens", "create", "--user", "portal", "--scope", "read", "--scope", "start:dossier"]
    )
    assert result.exit_code == 0, result.output
    from service.extensions import db
    from service.identity.models import ApiToken

    with app.app_context():
        scopes = [t.scopes for t in db.session.query(ApiToken).filter(ApiToken.name.is_(None)).all()]
        assert ["read", "start:dossier"] in scopes
    bad = app.test_cli_runner().invoke(main, ["tokens", "create", "--user", "portal", "--scope", "all"])
    assert bad.exit_code != 0
