"""Password guessing is throttled on every way in, not only the login page: POST /api/v1/auth/login,
POST /api/v1/auth/password and the account page count wrong passwords per username and address,
and after five within ten minutes refuse for ten minutes (429 with Retry-After), whatever the
password, so a blocked guesser learns nothing."""

from __future__ import annotations

import pytest

from service.identity.throttle import EXTENSION, LoginThrottle
from tests.security.test_sessions import PASSWORD, api_login, page_csrf, page_login

GUESS = "not-the-password"


@pytest.fixture
def now(app):
    """The throttle's clock (seconds), which the test moves."""
    moment = [1000.0]
    app.extensions[EXTENSION] = LoginThrottle(clock=lambda: moment[0])
    return moment


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["reception"], unit="TTPVHCC")


def login(client, username="clerk", password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_api_login_refuses_a_guesser_after_five_wrong_passwords(app, clerk, now):
    client = app.test_client()
    for attempt in range(4):
        assert login(client, password=GUESS).status_code == 401, attempt
    fifth = login(client, password=GUESS)
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == "600"
    assert fifth.json["error"]["code"] == "too_many_requests"

    now[0] += 60
    blocked = login(client)  # the right password changes nothing while blocked
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "540"
    assert login(client, username=" CLERK").status_code == 429  # the same username, spelt otherwise
    assert login(client, address="10.0.0.2").status_code == 200  # the clerk at another desk

    now[0] += 541
    assert login(client).status_code == 200


def test_a_successful_api_login_forgets_the_earlier_failures(app, clerk, now):
    client = app.test_client()
    for _ in range(4):
        login(client, password=GUESS)
    assert login(client).status_code == 200
    for attempt in range(4):
        assert login(client, password=GUESS).status_code == 401, attempt


def test_wrong_current_passwords_on_the_api_are_throttled(app, clerk, now):
    session = api_login(app, "clerk")

    def change(current):
        return session.post(
            "/api/v1/auth/password",
            json={"current_password": current, "new_password": "mat-khau-moi-1"},
        )

    for attempt in range(4):
        assert change(GUESS).status_code == 422, attempt
    assert change(GUESS).status_code == 429
    refused = change(PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 600
    assert session.me() == 200  # nothing changed: the session is alive, the password the same
    now[0] += 601
    assert change(PASSWORD).status_code == 204


def test_a_too_short_new_password_is_not_counted_as_a_guess(app, clerk, now):
    session = api_login(app, "clerk")
    for _ in range(6):
        short = session.post(
            "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "short"}
        )
        assert short.status_code == 422


def test_the_account_page_throttles_wrong_current_passwords(app, clerk, now):
    here = page_login(app, "clerk")
    token = page_csrf(here.client, "/ui/account")

    def change(current):
        return here.client.post(
            "/ui/account",
            data={"csrf_token": token, "current_password": current, "new_password": "mat-khau-moi-1"},
        )

    for attempt in range(4):
        assert change(GUESS).status_code == 422, attempt
    blocked = change(GUESS)
    assert blocked.status_code == 429
    assert "Vui lòng thử lại sau 10 phút." in blocked.get_data(as_text=True)
    assert change(PASSWORD).status_code == 429
    now[0] += 601
    assert change(PASSWORD).status_code == 302


def test_the_throttle_is_documented_on_both_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/auth/password"):
        assert "429" in paths[path]["post"]["responses"], path
