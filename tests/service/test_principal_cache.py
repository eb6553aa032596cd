"""A bearer token's principal kept per process (identity/principals.py): on PostgreSQL a request
presenting a kept token reads nothing, and whatever changes a principal, committed from wherever
(another process, psql, a migration), is seen by the next request once PostgreSQL delivers its
notification; while the listener is not connected, every request reads its principal.

The suite's app reads principals at every request (conftest); these tests turn production's
cache on, with a real listener on the test's own database.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.extensions import db
from service.identity import operations as identity
from service.identity.principals import Kept, PrincipalCache
from service.models_base import utcnow
from tests.conftest import BACKEND
from tests.support import statements

on_sqlite = pytest.mark.skipif(BACKEND == "postgres", reason="what SQLite does")


def _until(condition, what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.01)


@pytest.fixture
def cache(app):
    if BACKEND != "postgres":
        pytest.skip("PostgreSQL notifies; SQLite keeps nothing (the PostgreSQL pass runs this)")
    app.config["MOTCUA_PRINCIPAL_CACHE"] = True
    with app.app_context():
        kept = identity.principal_cache()
    assert kept is not None
    kept.generation()  # starts the listener
    _until(lambda: kept.live, "the listener is live")
    return kept


@pytest.fixture
def principal_reads(app):
    """The statements that read a token's principal."""

    def reads_principal(statement: str) -> bool:
        return "api_tokens.token_hash =" in statement and statement.lstrip().startswith("SELECT")

    with statements(app, reads_principal) as seen:
        yield seen


def _elsewhere(app, sql: str) -> None:
    """A write committed by another connection (another process, psql)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(sql))


def _settled(app, cache) -> None:
    """Every notification sent so far has been delivered (they arrive in commit order: ours last)."""
    marker = uuid.uuid4().hex
    _elsewhere(app, f"NOTIFY motcua_identity, '{marker}'")
    _until(lambda: cache.delivered == marker, "our notification is delivered")


def _kept(cache, caller) -> bool:
    return cache.get(identity.hash_token(caller.token), utcnow()) is not None


def test_a_kept_token_is_not_read_again(app, cache, make_user, principal_reads):
    clerk = make_user("clerk", groups=["clerks"])
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").status_code == 200
    assert len(principal_reads) == 1
    for _ in range(3):
        answer = clerk.get("/api/v1/auth/me")
        assert answer.status_code == 200 and answer.get_json()["username"] == "clerk"
    assert len(principal_reads) == 1


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE api_tokens SET revoked_at = now()",
        "UPDATE users SET is_active = false WHERE username = 'clerk'",
        "DELETE FROM api_tokens",
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute'",
    ],
)
def test_a_change_committed_elsewhere_refuses_the_next_request(app, cache, make_user, change):
    clerk = make_user("clerk", groups=["clerks"])
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").status_code == 200
    assert _kept(cache, clerk)
    _elsewhere(app, change)
    _until(lambda: not _kept(cache, clerk), "the notification is delivered")
    assert clerk.get("/api/v1/auth/me").status_code == 401


def test_groups_and_units_changed_elsewhere_are_seen(app, cache, make_user):
    clerk = make_user("clerk", groups=["clerks"])
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").get_json()["groups"] == ["clerks"]
    _elsewhere(app, "UPDATE groups SET name = 'receptionists' WHERE name = 'clerks'")
    _until(lambda: not _kept(cache, clerk), "the notification is delivered")
    assert clerk.get("/api/v1/auth/me").get_json()["groups"] == ["receptionists"]
    _elsewhere(app, "DELETE FROM user_groups")
    _until(lambda: not _kept(cache, clerk), "the notification is delivered")
    assert clerk.get("/api/v1/auth/me").get_json()["groups"] == []


def test_the_last_use_written_every_minute_keeps_the_principal(app, cache, make_user):
    clerk = make_user("clerk")
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").status_code == 200
    generation = cache.generation()
    _elsewhere(app, "UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'")
    _elsewhere(app, "UPDATE users SET preferences = '{}'")
    time.sleep(0.2)  # had a notification been sent, it would have arrived
    assert cache.generation() == generation and _kept(cache, clerk)


def test_without_the_listener_every_request_reads(app, cache, make_user, principal_reads):
    clerk = make_user("clerk")
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").status_code == 200
    listener = cache.listener_pid()
    assert listener is not None
    cache.retry_seconds = (3.0,)  # the listener stays down long enough to be seen down
    _elsewhere(app, f"SELECT pg_terminate_backend({listener})")
    _until(lambda: not cache.live, "the listener's loss is seen")
    reads = len(principal_reads)
    assert clerk.get("/api/v1/auth/me").status_code == 200
    assert len(principal_reads) == reads + 1  # read, not kept
    # a change that sends no notification (its trigger disabled) is still seen while down
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_identity_changed"))
        conn.execute(sa.text("UPDATE api_tokens SET revoked_at = now()"))
        conn.execute(sa.text("ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_identity_changed"))
    assert clerk.get("/api/v1/auth/me").status_code == 401
    _until(lambda: cache.live, "the listener is back")
    assert cache.listener_pid() not in (None, listener)
    assert clerk.get("/api/v1/auth/me").status_code == 401  # a new listener starts from nothing


@pytest.fixture
def silent(app, cache):
    """The identity triggers disabled: no notification comes; only the process's own forgetting."""
    tables = ("users", "api_tokens", "user_groups", "groups", "org_units")
    for table in tables:
        _elsewhere(app, f"ALTER TABLE {table} DISABLE TRIGGER {table}_identity_changed")
    yield
    for table in tables:
        _elsewhere(app, f"ALTER TABLE {table} ENABLE TRIGGER {table}_identity_changed")


@pytest.mark.parametrize(
    "change",
    [
        lambda admin, clerk: admin.client.patch(
            "/api/v1/users/clerk", json={"is_active": False}, headers=admin.headers
        ),
        lambda admin, clerk: admin.post(f"/api/v1/tokens/{_token_id(admin, clerk)}/revoke"),
        lambda admin, clerk: admin.client.patch(
            "/api/v1/users/clerk", json={"groups": []}, headers=admin.headers
        ),
    ],
    ids=["deactivated", "revoked", "groups"],
)
def test_a_change_made_by_this_process_is_seen_before_its_answer(app, cache, make_user, silent, change):
    admin = make_user("admin", admin=True)
    clerk = make_user("clerk", groups=["clerks"])
    _settled(app, cache)
    assert clerk.get("/api/v1/auth/me").get_json()["groups"] == ["clerks"]
    assert _kept(cache, clerk)
    assert change(admin, clerk).status_code == 200
    assert not _kept(cache, clerk)  # no notification came (silent): the process forgot it itself
    answer = clerk.get("/api/v1/auth/me")
    assert answer.status_code == 401 or answer.get_json()["groups"] == []


def _token_id(admin, clerk) -> int:
    tokens = admin.get("/api/v1/tokens?per_page=200").get_json()["items"]
    return next(token["id"] for token in tokens if token["user"] == clerk.username)


@on_sqlite
def test_sqlite_keeps_no_principals(app, make_user, principal_reads):
    app.config["MOTCUA_PRINCIPAL_CACHE"] = True
    clerk = make_user("clerk")
    with app.app_context():
        assert identity.principal_cache() is None
    for _ in range(3):
        assert clerk.get("/api/v1/auth/me").status_code == 200
    assert len(principal_reads) == 3


def test_a_last_use_stamp_forgets_nothing_a_revocation_does(app):
    from service import uow
    from service.identity.models import ApiToken
    from service.identity.touch import touch

    with app.app_context():
        user = identity.create_user("clerk", "password-1")
        identity.create_token(user)
        db.session.commit()
        token_id = db.session.scalar(sa.select(ApiToken.id))
        with uow.unit_of_work() as unit:
            touch(ApiToken, token_id, "last_used_at", utcnow(), identity.TOKEN_TOUCH_EVERY)
            assert not unit.marked("identity.principals.changed")
            db.session.execute(
                sa.update(ApiToken).values(revoked_at=utcnow()).execution_options(synchronize_session=False)
            )
            assert unit.marked("identity.principals.changed")


def test_an_expired_token_is_refused_by_the_clock():
    cache = PrincipalCache(None)
    cache._went(live=True)
    now = utcnow()
    kept = Kept("principal", now + timedelta(seconds=1), now, cache.generation())
    cache.put("hash", kept)
    assert cache.get("hash", now) is kept
    assert cache.get("hash", now + timedelta(seconds=1)) is None


def test_what_was_read_during_a_change_is_not_kept():
    cache = PrincipalCache(None)
    cache._went(live=True)
    generation = cache.generation()
    cache.forget()  # a notification arrived while the principal was read
    cache.put("hash", Kept("principal", None, None, generation))
    assert cache.get("hash", utcnow()) is None
    cache._went(live=False)
    cache.put("hash", Kept("principal", None, None, cache.generation() or 0))
    assert cache.generation() is None and cache.get("hash", utcnow()) is None


def test_an_outage_of_the_listener_warns_once_not_at_every_retry(caplog):
    """A listener that cannot reach PostgreSQL tries again and again (after 0.5 s, then up to
    every 10 s): the log says so once per outage, its later retries only at DEBUG."""
    import logging
    import socket

    from service.identity.principals import PrincipalCache

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache = PrincipalCache(((), {"host": "127.0.0.1", "port": port, "connect_timeout": 1}))
    cache.retry_seconds = (0.01,)
    caplog.set_level(logging.DEBUG, logger="service.identity.principals")

    def failures() -> list:
        return [r for r in caplog.records if "listening on" in r.getMessage() and "failed" in r.getMessage()]

    try:
        assert cache.generation() is None  # not live: nothing may be kept
        _until(lambda: len(failures()) >= 4, "four failed attempts")
    finally:
        cache.close()
    levels = [record.levelno for record in failures()]
    assert levels[0] == logging.WARNING and set(levels[1:]) == {logging.DEBUG}, levels
