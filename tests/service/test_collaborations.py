"""A collaboration over the real app: bpmn/lien_thong_birth.bpmn deploys as one definition, one
instance runs the commune's, the police's and the social insurance office's pools, and each agency's
officers see and complete only their own pool's tasks (another agency's officer in the same group
gets nothing and 403); the messages between pools cannot be sent from outside."""

import pytest

from tests.support import ROOT

MODEL = ROOT / "bpmn" / "lien_thong_birth.bpmn"
APPLICATION = {
    "child_name": "Nguyễn Gia Bảo",
    "child_birth_date": "2026-11-20",
    "child_sex": "nam",
    "mother_name": "Trần Thị Hạnh",
    "residence_address": "Ấp Mỹ Hòa, xã Mỹ Hòa Hưng, tỉnh An Giang",
}


@pytest.fixture
def agencies(app, admin, make_user):
    from service.extensions import db
    from service.identity.operations import get_or_create_unit

    with app.app_context():
        for code in ("UBND-XA", "CA-XA", "BHXH-KV", "UBND-XB", "CA-TINH"):
            get_or_create_unit(code, code)
        db.session.commit()
    return {
        "admin": admin,
        "registrar": make_user("registrar", groups=["specialists"], unit="UBND-XA"),
        "chair": make_user("chair", groups=["leaders"], unit="UBND-XA"),
        "police": make_user("police", groups=["police_officers"], unit="CA-XA"),
        "insurer": make_user("insurer", groups=["insurance_officers"], unit="BHXH-KV"),
        # the same groups in other agencies
        "other_registrar": make_user("other_registrar", groups=["specialists"], unit="UBND-XB"),
        "other_police": make_user("other_police", groups=["police_officers"], unit="CA-TINH"),
        # a commune officer who also holds the police's and the insurer's groups
        "commune_greedy": make_user(
            "commune_greedy", groups=["specialists", "police_officers", "insurance_officers"], unit="UBND-XA"
        ),
    }


def _deploy(admin):
    deployed = admin.deploy(MODEL)
    assert deployed.status_code == 201, deployed.json
    return deployed.json


def _mine(caller) -> list[tuple[str, str]]:
    return sorted((t["element_id"], t["unit"]) for t in caller.get("/api/v1/tasks").json["items"])


def _task(caller, element_id) -> dict:
    (task,) = [t for t in caller.get("/api/v1/tasks").json["items"] if t["element_id"] == element_id]
    return task


def test_the_deploy_answer_describes_the_collaboration(agencies):
    body = _deploy(agencies["admin"])
    assert body["key"] == "lien_thong_birth" and body["diagram_only"] is False
    (definition,) = body["definitions"]
    assert (definition["key"], definition["version"], definition["created"]) == ("lien_thong_birth", 1, True)
    assert [(p["process"], p["starts"], p["unit"]) for p in definition["pools"]] == [
        ("lt_commune", "start", "UBND-XA"),
        ("lt_police", "message", "CA-XA"),
        ("lt_insurance", "message", "BHXH-KV"),
    ]
    assert body["non_executable"] == []
    (line,) = body["report"]
    assert line["element_id"] == "lien_thong_birth" and "deliver the messages between them" in line["message"]
    keys = {d["key"] for d in agencies["admin"].get("/api/v1/process-definitions").json["items"]}
    assert "lien_thong_birth" in keys and not keys & {"lt_commune", "lt_police", "lt_insurance"}
    detail = agencies["admin"].get("/api/v1/process-definitions/lien_thong_birth").json
    assert detail["start_form"] == "lien_thong_birth_apply" and detail["starter_groups"] == ["specialists"]
    again = agencies["admin"].deploy(MODEL)
    assert again.status_code == 200 and again.json["definitions"][0]["created"] is False


def test_each_agency_sees_and_completes_only_its_own_pool(agencies):
    _deploy(agencies["admin"])
    registrar, chair, police, insurer = (agencies[k] for k in ("registrar", "chair", "police", "insurer"))
    other_registrar, other_police, greedy = (
        agencies[k] for k in ("other_registrar", "other_police", "commune_greedy")
    )
    started = registrar.start("lien_thong_birth", variables=APPLICATION)
    assert started.status_code == 201, started.json
    instance_id = started.json["id"]
    assert _mine(registrar) == [("register_birth", "UBND-XA")]
    assert _mine(other_registrar) == []  # a specialist of another commune
    register = _task(registrar, "register_birth")
    assert other_registrar.get(f"/api/v1/tasks/{register['id']}").status_code == 403
    refused = other_registrar.complete(register["id"], {"birth_certificate_no": "1", "personal_id": "0" * 12})
    assert refused.status_code == 403 and refused.json["error"]["details"]["unit"] == "UBND-XA"
    done = registrar.complete(
        register["id"], {"birth_certificate_no": "15/2026", "personal_id": "089226000123"}
    )
    assert done.status_code == 200, done.json
    assert chair.complete(_task(chair, "sign_birth")["id"], {"signed_on": "2026-11-23"}).status_code == 200

    # the commune's messages opened a task in each of the other pools, each for its own agency
    assert _mine(police) == [("register_residence", "CA-XA")]
    assert _mine(insurer) == [("issue_card", "BHXH-KV")]
    for outsider in (registrar, chair, other_police, greedy):
        assert _mine(outsider) == []
    residence, card = _task(police, "register_residence"), _task(insurer, "issue_card")
    for outsider in (other_police, greedy, registrar):
        assert outsider.get(f"/api/v1/tasks/{residence['id']}").status_code == 403
        assert outsider.post(f"/api/v1/tasks/{residence['id']}/claim").status_code == 403
        assert outsider.complete(residence["id"], {"residence_registered": True}).status_code == 403
    assert (
        greedy.complete(card["id"], {"card_number": "X" * 10, "card_valid_from": "2026-11-20"}).status_code
        == 403
    )
    assert police.get(f"/api/v1/tasks/{card['id']}").status_code == 403  # nor one agency the other's

    # the answers cross back as messages; nobody may send them from outside, the starter included
    for caller in (registrar, agencies["admin"]):
        forged = caller.post(
            f"/api/v1/process-instances/{instance_id}/messages",
            json={"name": "lt_residence_done", "payload": {"registered": True}},
        )
        assert forged.status_code == 409, forged.json
        assert "between the pools" in forged.json["error"]["message"]
        # nor by correlation: the instance is not listed as waiting, and nothing starts on them
        for name in ("lt_residence_done", "lt_residence_request"):
            correlated = caller.post("/api/v1/messages", json={"name": name, "all": True})
            assert correlated.status_code == 404, correlated.json
    answered = police.complete(
        residence["id"],
        {
            "residence_registered": True,
            "residence_registered_on": "2026-11-24",
            "residence_note": "Hộ của mẹ",
        },
    )
    assert answered.status_code == 200, answered.json
    assert _mine(registrar) == []  # the commune still waits for the insurance card
    issued = insurer.complete(card["id"], {"card_number": "TE1898922600123", "card_valid_from": "2026-11-20"})
    assert issued.status_code == 200, issued.json
    assert _mine(registrar) == [("return_result", "UBND-XA")]
    assert _mine(police) == [] and _mine(insurer) == []
    returned = registrar.complete(
        _task(registrar, "return_result")["id"], {"returned_on": "2026-11-25", "returned_to": "Trần Thị Hạnh"}
    )
    assert returned.status_code == 200, returned.json
    instance = agencies["admin"].get(f"/api/v1/process-instances/{instance_id}").json
    assert instance["state"] == "completed"
    assert instance["variables"]["residence"]["registered_on"] == "2026-11-24"
    assert instance["variables"]["insurance"]["card_number"] == "TE1898922600123"


def test_tasks_are_due_in_working_days_from_their_allotment(agencies):
    _deploy(agencies["admin"])
    registrar = agencies["registrar"]
    registrar.start("lien_thong_birth", variables=APPLICATION)
    task = _task(registrar, "register_birth")
    assert task["due_at"] is not None  # allotment 1 working day, counted by service/deadlines.py


def test_the_start_form_refuses_what_another_pool_answers(agencies):
    _deploy(agencies["admin"])
    forged = agencies["registrar"].start(
        "lien_thong_birth", variables={**APPLICATION, "residence": {"registered": True}}
    )
    assert forged.status_code == 422
