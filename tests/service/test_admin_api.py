"""The administration API: users, groups, org units and API tokens (administrators only)."""

import pytest

from tests.support import bpmn_path


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["reception"], unit="TTPVHCC")


def _fields(response) -> dict:
    return response.json["error"]["details"]["fields"]


def patch(caller, url, body):
    return caller.client.patch(url, json=body, headers=caller.headers)


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("GET", "/api/v1/users", None, 200),
        ("POST", "/api/v1/users", {"username": "nam", "password": "long-enough-1"}, 201),
        ("GET", "/api/v1/users/clerk", None, 200),
        ("PATCH", "/api/v1/users/clerk", {"is_admin": True}, 200),
        ("POST", "/api/v1/users/clerk/password", {"password": "long-enough-1"}, 204),
        ("GET", "/api/v1/groups", None, 200),
        ("POST", "/api/v1/groups", {"name": "leaders"}, 201),
        ("GET", "/api/v1/units", None, 200),
        ("POST", "/api/v1/units", {"code": "SO-TP", "name": "Sở Tư pháp"}, 201),
        ("PATCH", "/api/v1/units/TTPVHCC", {"name": "Trung tâm"}, 200),
        ("GET", "/api/v1/tokens", None, 200),
        ("POST", "/api/v1/tokens", {"user": "clerk"}, 201),
        ("POST", "/api/v1/tokens/2/revoke", None, 200),
    ],
)
def test_only_administrators_may_use_the_administration_api(admin, clerk, method, url, body, status):
    refused = clerk.client.open(url, method=method, json=body, headers=clerk.headers)
    assert refused.status_code == 403, refused.json
    assert refused.json["error"]["code"] == "forbidden"
    allowed = admin.client.open(url, method=method, json=body, headers=admin.headers)
    assert allowed.status_code == status, allowed.json


def test_an_administrator_creates_lists_and_edits_users_without_ever_seeing_a_hash(admin, clerk):
    assert (
        admin.post("/api/v1/groups", json={"name": "leaders", "description": "Lãnh đạo"}).status_code == 201
    )
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "lan.nguyen",
            "password": "mat-khau-du-dai",
            "display_name": "Nguyễn Thị Lan",
            "groups": ["leaders", "reception"],
            "unit": "TTPVHCC",
        },
    )
    assert created.status_code == 201, created.json
    user = created.json
    assert user["username"] == "lan.nguyen" and user["display_name"] == "Nguyễn Thị Lan"
    assert user["groups"] == ["leaders", "reception"] and user["unit"] == "TTPVHCC"
    assert user["is_active"] is True and user["is_admin"] is False
    assert not {"password", "password_hash"} & set(user)

    listing = admin.get("/api/v1/users").json
    assert [u["username"] for u in listing["items"]] == ["admin", "clerk", "lan.nguyen"]
    assert all("password_hash" not in u and "password" not in u for u in listing["items"])
    assert [u["username"] for u in admin.get("/api/v1/users?q=LAN").json["items"]] == ["lan.nguyen"]
    assert [u["username"] for u in admin.get("/api/v1/users?q=Thị").json["items"]] == ["lan.nguyen"]
    assert [u["username"] for u in admin.get("/api/v1/users?group=reception").json["items"]] == [
        "clerk",
        "lan.nguyen",
    ]
    assert admin.get("/api/v1/users?unit=TTPVHCC").json["total"] == 2
    assert admin.get("/api/v1/users?q=%25").json["total"] == 0  # % is a character, not a wildcard

    changed = patch(
        admin, "/api/v1/users/lan.nguyen", {"groups": ["leaders"], "unit": None, "is_admin": True}
    )
    assert changed.status_code == 200
    assert changed.json["groups"] == ["leaders"] and changed.json["unit"] is None and changed.json["is_admin"]
    assert admin.get("/api/v1/users/lan.nguyen").json == changed.json

    from service.audit.models import AuditEvent
    from service.extensions import db

    with admin.client.application.app_context():
        types = [e.type for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert types == ["group_created", "user_created", "user_updated"]


def test_bad_users_are_refused_with_a_message_per_field(admin, clerk):
    short = admin.post("/api/v1/users", json={"username": "nam", "password": "ngan"})
    assert short.status_code == 422
    assert "8" in _fields(short)["password"][0]
    bad_name = admin.post("/api/v1/users", json={"username": "a b", "password": "long-enough-1"})
    assert bad_name.status_code == 422 and "username" in _fields(bad_name)
    missing = admin.post("/api/v1/users", json={})
    assert set(_fields(missing)) == {"username", "password"}
    taken = admin.post("/api/v1/users", json={"username": "clerk", "password": "long-enough-1"})
    assert taken.status_code == 409 and "clerk" in _fields(taken)["username"][0]
    no_group = admin.post(
        "/api/v1/users", json={"username": "nam", "password": "long-enough-1", "groups": ["nowhere"]}
    )
    assert no_group.status_code == 422 and "nowhere" in _fields(no_group)["groups"][0]
    no_unit = admin.post(
        "/api/v1/users", json={"username": "nam", "password": "long-enough-1", "unit": "XYZ"}
    )
    assert no_unit.status_code == 422 and "XYZ" in _fields(no_unit)["unit"][0]
    assert admin.get("/api/v1/users?q=nam").json["total"] == 0  # nothing half-created
    assert admin.get("/api/v1/users/nobody").status_code == 404


def test_an_administrator_cannot_deactivate_or_demote_themselves(admin):
    for body, field in (({"is_active": False}, "is_active"), ({"is_admin": False}, "is_admin")):
        refused = patch(admin, "/api/v1/users/admin", body)
        assert refused.status_code == 422 and field in _fields(refused)
    me = admin.get("/api/v1/users/admin").json
    assert me["is_active"] and me["is_admin"]


def test_a_deactivated_user_is_refused_at_once_with_a_token_and_with_a_session(admin, clerk, client):
    assert clerk.get("/api/v1/auth/me").status_code == 200
    session = client.application.test_client()
    login = session.post("/api/v1/auth/login", json={"username": "clerk", "password": "password-1"})
    assert login.status_code == 200
    assert session.get("/api/v1/auth/me").status_code == 200

    assert patch(admin, "/api/v1/users/clerk", {"is_active": False}).json["is_active"] is False
    assert clerk.get("/api/v1/auth/me").status_code == 401
    assert session.get("/api/v1/auth/me").status_code == 401
    assert (
        session.post("/api/v1/auth/login", json={"username": "clerk", "password": "password-1"}).status_code
        == 401
    )

    assert patch(admin, "/api/v1/users/clerk", {"is_active": True}).status_code == 200
    # deactivation revoked them: reactivating brings neither back (tests/security/test_sessions.py)
    assert clerk.get("/api/v1/auth/me").status_code == 401
    assert session.get("/api/v1/auth/me").status_code == 401


def test_a_password_reset_replaces_the_old_password(admin, clerk, client):
    short = admin.post("/api/v1/users/clerk/password", json={"password": "short"})
    assert short.status_code == 422 and "password" in _fields(short)
    assert admin.post("/api/v1/users/clerk/password", json={"password": "mat-khau-moi-1"}).status_code == 204
    assert (
        client.post("/api/v1/auth/login", json={"username": "clerk", "password": "password-1"}).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "clerk", "password": "mat-khau-moi-1"}
        ).status_code
        == 200
    )
    assert admin.post("/api/v1/users/nobody/password", json={"password": "mat-khau-moi-1"}).status_code == 404


def test_groups_are_listed_with_their_member_counts(admin, clerk, make_user):
    make_user("clerk2", groups=["reception"])
    assert admin.post("/api/v1/groups", json={"name": "leaders"}).json == {
        "id": 2,
        "name": "leaders",
        "description": None,
        "members": 0,
    }
    groups = admin.get("/api/v1/groups").json
    assert [(g["name"], g["members"]) for g in groups["items"]] == [("leaders", 0), ("reception", 2)]
    taken = admin.post("/api/v1/groups", json={"name": "leaders"})
    assert taken.status_code == 409 and "name" in _fields(taken)
    bad = admin.post("/api/v1/groups", json={"name": "a, b"})
    assert bad.status_code == 422 and "name" in _fields(bad)


def test_units_are_created_and_renamed_with_a_checked_national_code(admin, clerk):
    created = admin.post(
        "/api/v1/units", json={"code": "SO-TP", "name": "Sở Tư pháp", "national_code": "000.10.17.H01"}
    )
    assert created.status_code == 201
    assert created.json["national_code"] == "000.10.17.H01" and created.json["users"] == 0
    units = admin.get("/api/v1/units").json["items"]
    assert [(u["code"], u["users"]) for u in units] == [("SO-TP", 0), ("TTPVHCC", 1)]

    bad = admin.post("/api/v1/units", json={"code": "X", "name": "X", "national_code": "H56"})
    assert bad.status_code == 422 and "000.17.22.H56" in _fields(bad)["national_code"][0]
    assert admin.post("/api/v1/units", json={"code": "SO-TP", "name": "Khác"}).status_code == 409
    twice = admin.post(
        "/api/v1/units", json={"code": "SO-KH", "name": "Khác", "national_code": "000.10.17.H01"}
    )
    assert twice.status_code == 409 and "national_code" in _fields(twice)

    renamed = patch(
        admin, "/api/v1/units/TTPVHCC", {"name": "Trung tâm PVHCC", "national_code": "000.17.22.H56"}
    )
    assert renamed.status_code == 200
    assert renamed.json == {
        "id": renamed.json["id"],
        "code": "TTPVHCC",
        "name": "Trung tâm PVHCC",
        "national_code": "000.17.22.H56",
        "parent_code": None,
        "users": 1,
    }
    assert patch(admin, "/api/v1/units/TTPVHCC", {"national_code": "17.22"}).status_code == 422
    assert patch(admin, "/api/v1/units/TTPVHCC", {"national_code": None}).json["national_code"] is None
    assert patch(admin, "/api/v1/units/NOPE", {"name": "x"}).status_code == 404


def test_a_token_secret_is_shown_once_and_a_revoked_token_is_refused_at_once(admin, clerk):
    issued = admin.post("/api/v1/tokens", json={"user": "clerk", "name": "máy quét"})
    assert issued.status_code == 201
    secret = issued.json["token"]
    assert secret.startswith("mct_") and issued.json["user"] == "clerk" and issued.json["name"] == "máy quét"
    token_id = issued.json["id"]

    listing = admin.get("/api/v1/tokens?user=clerk").json
    assert listing["total"] == 2  # the fixture's and this one
    assert all("token" not in t and "token_hash" not in t for t in listing["items"])
    assert secret not in admin.get("/api/v1/tokens").get_data(as_text=True)

    bearer = {"Authorization": f"Bearer {secret}"}
    assert admin.client.get("/api/v1/auth/me", headers=bearer).json["username"] == "clerk"
    revoked = admin.post(f"/api/v1/tokens/{token_id}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert admin.client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert clerk.get("/api/v1/auth/me").status_code == 200  # the clerk's other token still works
    assert admin.post(f"/api/v1/tokens/{token_id}/revoke").json["revoked_at"] == revoked.json["revoked_at"]
    assert admin.get("/api/v1/tokens?active=false").json["total"] == 1
    assert admin.get("/api/v1/tokens?active=true").json["total"] == 2
    assert admin.post("/api/v1/tokens/999999/revoke").status_code == 404


def test_bad_token_requests_are_refused(admin, clerk):
    nobody = admin.post("/api/v1/tokens", json={"user": "nobody"})
    assert nobody.status_code == 422 and "user" in _fields(nobody)
    past = admin.post("/api/v1/tokens", json={"user": "clerk", "expires_at": "2020-01-01T00:00:00+07:00"})
    assert past.status_code == 422 and "expires_at" in _fields(past)
    own = admin.get("/api/v1/tokens?user=admin").json["items"][0]["id"]
    refused = admin.post(f"/api/v1/tokens/{own}/revoke")
    assert refused.status_code == 409
    assert admin.get("/api/v1/auth/me").status_code == 200
    patch(admin, "/api/v1/users/clerk", {"is_active": False})
    inactive = admin.post("/api/v1/tokens", json={"user": "clerk"})
    assert inactive.status_code == 422 and "user" in _fields(inactive)


def test_procedure_catalogue_files_are_loaded_by_administrators_only(admin, clerk):
    from io import BytesIO

    def upload(caller, text, name):
        return caller.post(
            "/api/v1/procedures/load",
            data={"file": (BytesIO(text.encode()), name)},
            content_type="multipart/form-data",
        )

    catalogue = '[{"code": "T-01", "name": "Thủ tục thử", "processing_days": 5}]'
    assert upload(clerk, catalogue, "c.json").status_code == 403
    loaded = upload(admin, catalogue, "c.json")
    assert loaded.status_code == 200 and loaded.json == {"created": 1, "updated": 0}
    csv = "code,name,processing_days,components\nT-01,Thủ tục thử (sửa),3,Tờ khai;Bản sao CCCD\n"
    assert upload(admin, csv, "c.csv").json == {"created": 0, "updated": 1}
    assert admin.get("/api/v1/procedures/T-01").json["components"][1]["name"] == "Bản sao CCCD"
    bad = upload(admin, '[{"code": "T-02", "name": "x", "processing_days": -1}]', "c.json")
    assert bad.status_code == 422 and bad.json["error"]["details"]["record"] == 1
    assert upload(admin, "not json", "c.json").status_code == 422
    assert upload(admin, "x", "c.txt").status_code == 422
    assert upload(admin, "\xff", "c.json").status_code == 422


def test_the_admin_routes_are_in_the_openapi_document(admin):
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    paths = admin.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/users",
        "/api/v1/groups",
        "/api/v1/units",
        "/api/v1/tokens",
        "/api/v1/procedures/load",
    ):
        assert path in paths
