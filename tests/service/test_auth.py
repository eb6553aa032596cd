"""Authentication on every route: bearer tokens, sessions with CSRF, and the CLI that issues them."""

import pytest

from service.identity.auth import PUBLIC_ENDPOINTS
from tests.support import bpmn_path


def test_every_api_route_requires_authentication(app, client):
    public = {
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/api/v1/auth/login",
        "/api/v1/docs/vendor/<path:filename>",
        "/",
        "/api/v1/health",  # public on purpose: load balancers; counts and booleans only
    }
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in public or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", "x").replace(
                f"<uuid:{name}>", "00000000-0000-0000-0000-000000000000"
            )
            url = url.replace(f"<int:{name}>", "1").replace(f"<string:{name}>", "x")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            if rule.endpoint.startswith("ui."):  # web pages send people to the login page
                assert response.status_code == 302, (method, url, response.status_code)
                assert "/ui/login" in response.headers["Location"]
                checked += 1
                continue
            assert response.status_code == 401, (method, url, response.status_code)
            if rule.endpoint.startswith("camunda"):  # Camunda's error format; Basic is asked for
                assert response.json["type"] == "AuthenticationException"
                assert response.headers["WWW-Authenticate"].startswith("Basic")
                checked += 1
                continue
            assert response.json["error"]["code"] == "unauthorized"
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer mct_not-a-real-token", "Token abc"]
)
def test_bad_authorization_headers_are_401(client, header):
    response = client.get("/api/v1/tasks", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["message"]


def test_a_valid_token_identifies_its_user(make_user):
    clerk = make_user("clerk", groups=["reception"], unit="TTPVHCC")
    me = clerk.get("/api/v1/auth/me").json
    assert me == {
        "username": "clerk",
        "display_name": None,
        "is_admin": False,
        "groups": ["reception"],
        "unit": "TTPVHCC",
        "csrf_token": None,
    }


def test_a_deactivated_users_token_stops_working(app, make_user):
    clerk = make_user("clerk")
    from service.extensions import db
    from service.identity.operations import find_user

    working = clerk.get("/api/v1/auth/me")
    assert working.status_code == 200 and working.json["username"] == "clerk"
    with app.app_context():
        find_user("clerk").is_active = False
        db.session.commit()
    refused = clerk.get("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"


def test_session_login_logout_and_csrf(app, make_user):
    make_user("designer", groups=["designers"], password="s3cret-pass")
    browser = app.test_client()
    wrong = browser.post("/api/v1/auth/login", json={"username": "designer", "password": "nope-nope"})
    assert wrong.status_code == 401
    unknown = browser.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert unknown.status_code == 401
    assert unknown.json["error"]["message"] == wrong.json["error"]["message"]
    login = browser.post("/api/v1/auth/login", json={"username": "designer", "password": "s3cret-pass"})
    assert login.status_code == 200
    csrf_token = login.json["csrf_token"]
    assert browser.get("/api/v1/auth/me").json["username"] == "designer"
    data = bpmn_path("simple_approval.bpmn").read_bytes()
    from io import BytesIO

    no_csrf = browser.post("/api/v1/process-definitions", data={"file": (BytesIO(data), "a.bpmn")})
    assert no_csrf.status_code == 400
    assert "CSRF" in no_csrf.json["error"]["message"]
    with_csrf = browser.post(
        "/api/v1/process-definitions",
        data={"file": (BytesIO(data), "a.bpmn")},
        headers={"X-CSRFToken": csrf_token},
    )
    assert with_csrf.status_code == 201
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf_token}).status_code == 204
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_login_body_is_validated(client):
    response = client.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422
    assert "password" in response.json["error"]["details"]["fields"]


def test_session_cookie_is_httponly_and_secure_by_default(app, make_user):
    make_user("clerk", password="password-1")
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": "clerk", "password": "password-1"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


def test_openapi_document_is_public_and_generated_from_the_schemas(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/tasks/{task_id}/complete" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert "StartArgs" in spec["components"]["schemas"]


def test_browsable_api_docs_are_served_with_locally_installed_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/vendor/swagger-ui-bundle.js" in html
    asset = client.get("/api/v1/docs/vendor/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.data) > 100_000


def test_the_root_sends_browsers_to_the_pages_and_scripts_to_the_api_map(app, client):
    browser = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 302 and browser.headers["Location"] == "/ui/"
    script = client.get("/")
    assert script.status_code == 200 and script.json["api"] == "/api/v1"
    assert client.get("/", headers={"Accept": "application/json"}).json["docs"] == "/api/v1/docs"
