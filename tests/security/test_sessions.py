"""Revocable sessions (issue 9, finding 5). Each test replays an attack with a copied session cookie
or an API token and asserts the refusal: logout, a password change or reset, deactivation and
"sign out everywhere" end sessions on the server, and sessions end when idle or too old."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

PASSWORD = "password-1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Browser:
    """A test client holding a session cookie, and the CSRF token its writes need."""

    client: object
    csrf: str

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers={"X-CSRFToken": self.csrf}, **kw)

    def me(self) -> int:
        return self.client.get("/api/v1/auth/me").status_code


def api_login(app, username, password=PASSWORD, agent="Firefox/140 (test)") -> Browser:
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.json
    return Browser(client, response.json["csrf_token"])


def page_csrf(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    found = CSRF_META.search(html) or CSRF_INPUT.search(html)
    return found.group(1)


def page_login(app, username, password=PASSWORD) -> Browser:
    client = app.test_client()
    response = client.post(
        "/ui/login",
        data={"csrf_token": page_csrf(client, "/ui/login"), "username": username, "password": password},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/ui/", response.status_code
    return Browser(client, page_csrf(client, "/ui/"))


def copy_of(app, browser: Browser) -> Browser:
    """What an attacker holds after copying the browser's cookie (from a shared PC, a proxy log...)."""
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    return Browser(thief, browser.csrf)


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/ui/login")


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["reception"], unit="TTPVHCC")


def audit_facts(app, type_):
    from service.audit.models import AuditEvent
    from service.extensions import db

    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.type == type_).order_by(AuditEvent.id)
        )
        return [(row.actor, row.data) for row in rows]


# --- logout ---------------------------------------------------------------------------------------


def test_a_cookie_copied_before_an_api_logout_is_refused_after_it(app, clerk):
    victim = api_login(app, "clerk")
    thief = copy_of(app, victim)
    assert thief.me() == 200  # the copy works while the session lives
    assert victim.post("/api/v1/auth/logout").status_code == 204
    assert victim.me() == 401
    refused = thief.get("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    assert thief.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim").status_code == 401
    assert audit_facts(app, "sessions_revoked") == [
        ("clerk", {"username": "clerk", "reason": "logout", "sessions": 1})
    ]


def test_a_cookie_copied_before_a_web_logout_is_sent_to_the_login_page_after_it(app, clerk):
    victim = page_login(app, "clerk")
    thief = copy_of(app, victim)
    assert thief.get("/ui/").status_code == 200
    done = victim.client.post("/ui/logout", data={"csrf_token": victim.csrf})
    assert sent_to_login(done)
    assert sent_to_login(thief.get("/ui/"))
    assert sent_to_login(thief.get("/ui/dossiers"))
    assert thief.me() == 401
    # the login page does not take the dead cookie for a session either
    assert thief.get("/ui/login").status_code == 200


def test_a_cookie_of_the_earlier_kind_holding_only_a_user_id_is_refused(app, clerk):
    from service.extensions import db
    from service.identity.models import User

    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "clerk"))
    forged = app.test_client()
    with forged.session_transaction() as cookie:
        cookie["user_id"] = user_id  # what login stored before sessions were kept on the server
    assert forged.get("/api/v1/auth/me").status_code == 401
    assert sent_to_login(forged.get("/ui/"))
    with forged.session_transaction() as cookie:
        assert "user_id" not in cookie  # dropped: the user logs in again
    assert api_login(app, "clerk").me() == 200


def test_logging_in_again_ends_the_session_the_browser_held(app, clerk):
    victim = api_login(app, "clerk")
    thief = copy_of(app, victim)
    again = victim.client.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert again.status_code == 200
    assert victim.me() == 200
    assert thief.me() == 401


def test_the_cookie_carries_a_random_secret_and_the_database_only_its_sha256(app, clerk):
    from service.extensions import db
    from service.identity.models import UserSession

    first, second = api_login(app, "clerk"), api_login(app, "clerk")
    secrets = []
    for browser in (first, second):
        with browser.client.session_transaction() as cookie:
            assert set(cookie) <= {"sid", "csrf_token"}
            secrets.append(cookie["sid"])
    assert secrets[0] != secrets[1] and len(secrets[0]) >= 40
    with app.app_context():
        stored = set(db.session.scalars(sa.select(UserSession.token_hash)))
    assert stored == {hashlib.sha256(secret.encode()).hexdigest() for secret in secrets}


# --- passwords ------------------------------------------------------------------------------------


def test_an_admin_password_reset_ends_the_users_sessions_and_revokes_their_tokens(app, admin, clerk):
    victim = api_login(app, "clerk")
    thief = copy_of(app, victim)
    reset = admin.post("/api/v1/users/clerk/password", json={"password": "mat-khau-moi-1"})
    assert reset.status_code == 204
    assert victim.me() == 401 and thief.me() == 401
    assert clerk.get("/api/v1/auth/me").status_code == 401  # the token
    assert admin.get("/api/v1/tokens?user=clerk&active=true").json["total"] == 0
    assert api_login(app, "clerk", "mat-khau-moi-1").me() == 200
    assert audit_facts(app, "sessions_revoked")[-1] == (
        "admin",
        {"username": "clerk", "reason": "password_reset", "sessions": 1},
    )
    assert audit_facts(app, "tokens_revoked")[-1][1]["reason"] == "password_reset"


def test_an_admin_password_reset_may_keep_the_users_tokens(app, admin, clerk):
    victim = api_login(app, "clerk")
    body = {"password": "mat-khau-moi-1", "keep_tokens": True}
    assert admin.post("/api/v1/users/clerk/password", json=body).status_code == 204
    assert victim.me() == 401
    assert clerk.get("/api/v1/auth/me").status_code == 200
    assert audit_facts(app, "tokens_revoked") == []


def test_the_admin_page_password_reset_ends_sessions_and_keeps_tokens_only_when_ticked(app, admin, clerk):
    victim = page_login(app, "clerk")
    manager = page_login(app, "admin", "password-1")
    form = page_csrf(manager.client, "/ui/admin/users/clerk")
    kept = manager.client.post(
        "/ui/admin/users/clerk/password",
        data={"csrf_token": form, "password": "mat-khau-moi-1", "keep_tokens": "y"},
    )
    assert kept.status_code == 302
    assert sent_to_login(victim.get("/ui/"))
    assert clerk.get("/api/v1/auth/me").status_code == 200  # kept
    again = page_login(app, "clerk", "mat-khau-moi-1")
    dropped = manager.client.post(
        "/ui/admin/users/clerk/password", data={"csrf_token": form, "password": "mat-khau-moi-2"}
    )
    assert dropped.status_code == 302
    assert sent_to_login(again.get("/ui/"))
    assert clerk.get("/api/v1/auth/me").status_code == 401
    assert manager.get("/ui/admin/users/clerk").status_code == 200  # the administrator's own session


def test_changing_ones_own_password_ends_the_other_sessions_and_the_tokens(app, clerk):
    here, elsewhere = api_login(app, "clerk"), api_login(app, "clerk", agent="Chrome/150 (phone)")
    thief = copy_of(app, here)
    wrong = here.post(
        "/api/v1/auth/password", json={"current_password": "guess-1234", "new_password": "x" * 8}
    )
    assert wrong.status_code == 422
    assert "current_password" in wrong.json["error"]["details"]["fields"]
    assert elsewhere.me() == 200 and clerk.get("/api/v1/auth/me").status_code == 200  # nothing changed
    changed = here.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "mat-khau-moi-1"}
    )
    assert changed.status_code == 204
    assert here.me() == 200  # the session that changed it goes on...
    assert thief.me() == 200  # ...and so does a copy of it: the user should sign out everywhere
    assert elsewhere.me() == 401
    assert clerk.get("/api/v1/auth/me").status_code == 401
    assert (
        app.test_client()
        .post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
        .status_code
        == 401
    )
    assert audit_facts(app, "user_password_changed") == [("clerk", {"username": "clerk"})]


def test_changing_ones_own_password_with_a_token_may_keep_the_tokens(app, clerk):
    other = api_login(app, "clerk")
    body = {"current_password": PASSWORD, "new_password": "mat-khau-moi-1", "keep_tokens": True}
    assert clerk.post("/api/v1/auth/password", json=body).status_code == 204
    assert clerk.get("/api/v1/auth/me").status_code == 200
    assert other.me() == 401


def test_the_account_page_changes_the_password_and_signs_out_everywhere(app, clerk):
    here, elsewhere = page_login(app, "clerk"), page_login(app, "clerk")
    page = here.get("/ui/account")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.get_data(as_text=True)
    token = page_csrf(here.client, "/ui/account")
    wrong = here.client.post(
        "/ui/account",
        data={"csrf_token": token, "current_password": "guess-1234", "new_password": "mat-khau-moi-1"},
    )
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    done = here.client.post(
        "/ui/account",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": "mat-khau-moi-1"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/ui/account"
    assert sent_to_login(elsewhere.get("/ui/"))
    assert clerk.get("/api/v1/auth/me").status_code == 401
    thief = copy_of(app, here)
    out = here.client.post("/ui/account/sessions/revoke", data={"csrf_token": token})
    assert sent_to_login(out)
    assert sent_to_login(here.get("/ui/")) and sent_to_login(thief.get("/ui/"))


# --- deactivation ---------------------------------------------------------------------------------


def test_deactivating_and_reactivating_a_user_leaves_their_old_cookies_and_tokens_dead(app, admin, clerk):
    victim = api_login(app, "clerk")
    thief = copy_of(app, victim)
    off = admin.client.patch("/api/v1/users/clerk", json={"is_active": False}, headers=admin.headers)
    assert off.status_code == 200
    on = admin.client.patch("/api/v1/users/clerk", json={"is_active": True}, headers=admin.headers)
    assert on.status_code == 200 and on.json["is_active"] is True
    assert victim.me() == 401 and thief.me() == 401
    assert clerk.get("/api/v1/auth/me").status_code == 401
    assert api_login(app, "clerk").me() == 200  # the user logs in again
    reasons = {data["reason"] for _actor, data in audit_facts(app, "sessions_revoked")}
    assert reasons == {"deactivated"}
    assert audit_facts(app, "tokens_revoked")[0][1]["reason"] == "deactivated"


def test_deactivating_on_the_admin_page_ends_the_users_sessions_for_good(app, admin, clerk):
    victim = page_login(app, "clerk")
    manager = page_login(app, "admin")
    form = page_csrf(manager.client, "/ui/admin/users/clerk")
    data = {"csrf_token": form, "unit": "TTPVHCC", "groups": ["reception"]}  # is_active unticked
    assert manager.client.post("/ui/admin/users/clerk", data=data).status_code == 302
    assert manager.client.post("/ui/admin/users/clerk", data={**data, "is_active": "y"}).status_code == 302
    assert sent_to_login(victim.get("/ui/"))
    assert clerk.get("/api/v1/auth/me").status_code == 401


# --- lifetimes ------------------------------------------------------------------------------------


def test_a_session_left_idle_ends(app, clerk, clock):
    browser = api_login(app, "clerk")
    thief = copy_of(app, browser)
    clock.advance(hours=7, minutes=59)
    assert browser.me() == 200  # within 8 hours of inactivity; this request counts as activity
    clock.advance(hours=8, minutes=1)
    assert browser.me() == 401 and thief.me() == 401


def test_a_session_in_use_ends_at_its_absolute_expiry(app, clerk, clock):
    browser = api_login(app, "clerk")
    for _ in range(23):  # a request every 7 hours: never idle for 8 hours, 161 hours in all
        clock.advance(hours=7)
        assert browser.me() == 200
    clock.advance(hours=7)  # 168 hours after login
    assert browser.me() == 401


def test_lifetimes_come_from_the_configuration_and_may_be_fractions(app, clerk, clock):
    app.config.update(MOTCUA_SESSION_IDLE_MINUTES=0.5, MOTCUA_SESSION_MAX_HOURS=0.025)  # 30 s, 90 s
    idle = api_login(app, "clerk")
    clock.advance(seconds=29)
    assert idle.me() == 200
    clock.advance(seconds=31)
    assert idle.me() == 401
    old = api_login(app, "clerk")
    for _ in range(3):
        clock.advance(seconds=25)
        assert old.me() == 200
    clock.advance(seconds=25)  # 100 s after login
    assert old.me() == 401


def test_the_signed_cookie_lives_no_longer_than_a_session_and_settings_must_be_positive():
    from service import create_app

    base = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}
    app = create_app({**base, "MOTCUA_SESSION_MAX_HOURS": 0.5})
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    assert create_app(base).config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=7)
    assert create_app(base).config["MOTCUA_SESSION_IDLE_MINUTES"] == 480
    for bad in ({"MOTCUA_SESSION_MAX_HOURS": 0}, {"MOTCUA_SESSION_IDLE_MINUTES": -1}):
        with pytest.raises(ValueError, match="positive"):
            create_app({**base, **bad})


def test_last_seen_is_written_at_most_once_a_minute(app, clerk, clock):
    from service.extensions import db
    from service.identity.models import UserSession

    def last_seen():
        with app.app_context():
            return db.session.scalar(sa.select(UserSession.last_seen_at))

    browser = api_login(app, "clerk")
    at_login = last_seen()
    clock.advance(seconds=30)
    assert browser.me() == 200
    assert last_seen() == at_login  # no write
    clock.advance(seconds=31)
    assert browser.me() == 200
    refreshed = last_seen()
    assert refreshed - at_login >= timedelta(seconds=61)
    clock.advance(seconds=50)
    for _ in range(3):
        assert browser.me() == 200
    assert last_seen() == refreshed


# --- sign out everywhere --------------------------------------------------------------------------


def test_signing_out_everywhere_ends_two_sessions_at_once(app, clerk):
    office, home = api_login(app, "clerk"), api_login(app, "clerk", agent="Safari (home)")
    thief = copy_of(app, home)
    listed = office.get("/api/v1/auth/sessions").json
    assert listed["total"] == 2
    ended = office.post("/api/v1/auth/sessions/revoke")
    assert ended.status_code == 200 and ended.json == {"sessions": 2}
    assert office.me() == 401 and home.me() == 401 and thief.me() == 401
    assert clerk.get("/api/v1/auth/me").status_code == 200  # API tokens are not sessions
    assert audit_facts(app, "sessions_revoked") == [
        ("clerk", {"username": "clerk", "reason": "signed_out_everywhere", "sessions": 2})
    ]


def test_an_administrator_signs_a_user_out_everywhere(app, admin, clerk):
    first, second = api_login(app, "clerk"), page_login(app, "clerk")
    ended = admin.post("/api/v1/users/clerk/sessions/revoke")
    assert ended.status_code == 200 and ended.json == {"sessions": 2}
    assert first.me() == 401 and sent_to_login(second.get("/ui/"))
    third = page_login(app, "clerk")
    manager = page_login(app, "admin")
    user_page = manager.get("/ui/admin/users/clerk").get_data(as_text=True)
    assert 'data-testid="sessions"' in user_page and "Đăng xuất khỏi mọi nơi" in user_page
    done = manager.client.post(
        "/ui/admin/users/clerk/sessions/revoke",
        data={"csrf_token": page_csrf(manager.client, "/ui/admin/users/clerk")},
    )
    assert done.status_code == 302
    assert sent_to_login(third.get("/ui/"))
    assert manager.get("/ui/admin/users/clerk").status_code == 200
    assert admin.get("/api/v1/users/nobody/sessions").status_code == 404
    assert admin.post("/api/v1/users/nobody/sessions/revoke").status_code == 404


def test_sessions_are_listed_with_when_and_where_but_never_their_secret(app, admin, clerk):
    here = api_login(app, "clerk", agent="Firefox/140 (counter 3)")
    api_login(app, "clerk", agent="Chrome/150 (phone)")
    with here.client.session_transaction() as cookie:
        secret = cookie["sid"]
    mine = here.get("/api/v1/auth/sessions")
    assert mine.status_code == 200
    items = mine.json["items"]
    assert [item["user_agent"] for item in items] == ["Chrome/150 (phone)", "Firefox/140 (counter 3)"]
    assert [item["current"] for item in items] == [False, True]
    assert set(items[0]) == {
        "id",
        "created_at",
        "last_seen_at",
        "expires_at",
        "idle_expires_at",
        "user_agent",
        "remote_addr",
        "current",
    }
    seen = admin.get("/api/v1/users/clerk/sessions")
    assert seen.status_code == 200 and seen.json["total"] == 2
    for body in (mine.get_data(as_text=True), seen.get_data(as_text=True)):
        assert secret not in body and hashlib.sha256(secret.encode()).hexdigest() not in body
    here.post("/api/v1/auth/logout")
    assert admin.get("/api/v1/users/clerk/sessions").json["total"] == 1  # only live ones


def test_a_user_agent_with_control_characters_is_stored_readably(app, clerk):
    browser = api_login(app, "clerk", agent="Evil\x00Agent\x1b[31m" + "x" * 400)
    agent = browser.get("/api/v1/auth/sessions").json["items"][0]["user_agent"]
    assert agent.startswith("EvilAgent[31m") and len(agent) == 255


# --- who may do it --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/users/admin/sessions", None),
        ("GET", "/api/v1/users/admin/sessions?per_page=-1", None),
        ("POST", "/api/v1/users/admin/sessions/revoke", None),
        ("POST", "/api/v1/users/admin/password", {"password": "mat-khau-moi-1"}),
        ("POST", "/api/v1/users/admin/password", {"password": 1, "keep_tokens": "maybe"}),
        ("POST", "/api/v1/users/admin/password", {}),
        ("PATCH", "/api/v1/users/admin", {"is_active": "no way", "unknown": 1}),
    ],
)
def test_a_non_administrator_cannot_touch_another_users_sessions_even_with_a_bad_body(
    app, admin, clerk, method, url, body
):
    victim = api_login(app, "admin")
    refused = clerk.client.open(url, method=method, json=body, headers=clerk.headers)
    assert refused.status_code == 403, refused.json
    assert refused.json["error"]["code"] == "forbidden"
    assert victim.me() == 200
    assert admin.get("/api/v1/auth/me").status_code == 200
    browser = api_login(app, "clerk")  # a session is no better than a token
    assert (
        browser.client.open(url, method=method, json=body, headers={"X-CSRFToken": browser.csrf}).status_code
        == 403
    )


def test_a_non_administrator_cannot_use_the_admin_pages_sign_out_button(app, admin, clerk):
    victim = page_login(app, "admin")
    clerk_browser = page_login(app, "clerk")
    refused = clerk_browser.client.post(
        "/ui/admin/users/admin/sessions/revoke", data={"csrf_token": clerk_browser.csrf}
    )
    assert refused.status_code == 403
    assert victim.get("/ui/").status_code == 200


def test_the_session_routes_are_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/auth/password",
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions/revoke",
        "/api/v1/users/{username}/sessions",
        "/api/v1/users/{username}/sessions/revoke",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {"OwnPasswordArgs", "SessionPage", "Session", "SignedOut"} <= set(schemas)
    assert "keep_tokens" in schemas["PasswordArgs"]["properties"]
    assert "token_hash" not in schemas["Session"]["properties"]
