"""Browser sessions kept on the server, and ending a user's access.

Logging in (the API's POST /auth/login and the login page, both through log_in) adds a row to
user_sessions; the cookie carries only a random secret, the row its sha256. Every request resolves
the secret with the user in one query (live_session) and refuses a session that was revoked, that
was opened more than MOTCUA_SESSION_MAX_HOURS ago or that saw no request for
MOTCUA_SESSION_IDLE_MINUTES. Logout, a password change or reset, deactivation and "sign out
everywhere" revoke rows (and, unless told otherwise, API tokens); each is an audit fact.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models_base import page_of, utcnow
from .models import ApiToken, User, UserSession
from .operations import (
    MIN_PASSWORD_LENGTH,
    Principal,
    _principal,
    _principal_query,
    audit,
    check_password,
    field_error,
    hash_token,
)
from .touch import touch

# The key of the session's secret in Flask's signed cookie (cookies holding only the "user_id" of
# earlier versions are refused: their users log in again).
SESSION_KEY = "sid"
# last_seen_at is written at most this often per session (more often only when the idle limit is
# under twice this), so most requests write nothing.
TOUCH_EVERY = timedelta(minutes=1)

# Why sessions or tokens were ended (the audit facts' "reason").
LOGOUT = "logout"
LOGGED_IN_AGAIN = "logged_in_again"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a reason, not a secret (by an administrator)
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret (by the user)
DEACTIVATED = "deactivated"
SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"


@dataclass(frozen=True)
class LiveSession:
    """The session a request's cookie names: its row id and who it acts as."""

    id: int
    principal: Principal


def limits() -> tuple[timedelta, timedelta]:
    """(the absolute lifetime, the idle limit) of a session, from the configuration."""
    config = current_app.config
    return (
        timedelta(hours=float(config["MOTCUA_SESSION_MAX_HOURS"])),
        timedelta(minutes=float(config["MOTCUA_SESSION_IDLE_MINUTES"])),
    )


def _live(now: datetime):
    """The one rule of a session still in force at `now`: not revoked, not expired, not idle."""
    _maximum, idle = limits()
    return sa.and_(
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
        UserSession.last_seen_at > now - idle,
    )


def _header_text(value: str | None, length: int) -> str | None:
    """A request header as stored for people to read: no NUL or control characters, clipped."""
    if not value:
        return None
    return "".join(c for c in value if c.isprintable())[:length] or None


def log_in(
    username: str,
    password: str,
    *,
    user_agent: str | None = None,
    remote_addr: str | None = None,
    replacing: str | None = None,
) -> tuple[Principal, str] | None:
    """Check the password and open a session: (who, the secret for the cookie), or None.

    replacing: the secret of the session the browser held until now, if any; it is ended.
    """
    user = check_password(username, password)
    if user is None:
        return None
    if isinstance(replacing, str):
        log_out(replacing, actor=user, reason=LOGGED_IN_AGAIN)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    maximum, _idle = limits()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(secret),
            created_at=now,
            last_seen_at=now,
            expires_at=now + maximum,
            user_agent=_header_text(user_agent, 255),
            remote_addr=_header_text(remote_addr, 64),
        )
    )
    db.session.flush()
    found = live_session(secret)
    return (found.principal, secret) if found is not None else None


def live_session(secret: str) -> LiveSession | None:
    """The live session of this secret with its active user (one query), or None.

    Refreshes the session's last_seen_at when it is older than TOUCH_EVERY (one small UPDATE a
    minute per session; a row another request is refreshing at that moment is skipped)."""
    now = utcnow()
    query = (
        _principal_query()
        .add_columns(UserSession.id, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == hash_token(secret), _live(now))
    )
    rows = db.session.execute(query).all()
    principal = _principal(rows)
    if principal is None:
        return None
    session_id, last_seen_at = rows[0][7], rows[0][8]
    _maximum, idle = limits()
    every = min(TOUCH_EVERY, idle / 2)
    if now - last_seen_at >= every:
        touch(UserSession, session_id, "last_seen_at", now, every)
    return LiveSession(session_id, principal)


def log_out(secret: str, *, actor, reason: str = LOGOUT) -> bool:
    """End the session of this secret (whether it was still live or not); True if it was live."""
    now = utcnow()
    ended = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == hash_token(secret), _live(now))
        .values(revoked_at=now)
        .returning(UserSession.user_id)
        .execution_options(synchronize_session=False)
    ).all()
    if ended:
        username = db.session.scalar(sa.select(User.username).where(User.id == ended[0][0]))
        audit("sessions_revoked", actor, {"username": username, "reason": reason, "sessions": 1})
    return bool(ended)


def end_access(
    user, *, actor, reason: str, tokens: bool = True, keep_session_id: int | None = None
) -> dict[str, int]:
    """Revoke every live session of `user` (an object with id and username) and, if `tokens`, every
    live API token; keep_session_id names a session to leave alone (the request's own, when users
    change their own password). Records an audit fact for each kind revoked; returns the counts."""
    now = utcnow()
    which = [UserSession.user_id == user.id, _live(now)]
    if keep_session_id is not None:
        which.append(UserSession.id != keep_session_id)
    ended = db.session.execute(
        sa.update(UserSession)
        .where(*which)
        .values(revoked_at=now)
        .returning(UserSession.id)
        .execution_options(synchronize_session=False)
    ).all()
    revoked = []
    if tokens:
        revoked = db.session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
            .values(revoked_at=now)
            .returning(ApiToken.id)
            .execution_options(synchronize_session=False)
        ).all()
    if ended:
        facts = {"username": user.username, "reason": reason, "sessions": len(ended)}
        audit("sessions_revoked", actor, facts)
    if revoked:
        token_ids = sorted(row[0] for row in revoked)
        audit("tokens_revoked", actor, {"username": user.username, "reason": reason, "tokens": token_ids})
    return {"sessions": len(ended), "tokens": len(revoked)}


def sign_out_everywhere(user, *, actor) -> dict[str, int]:
    """End every session of `user`, this request's included (API tokens are left alone)."""
    return end_access(user, actor=actor, reason=SIGNED_OUT_EVERYWHERE, tokens=False)


def change_password(
    principal, current: str, new: str, *, keep_tokens: bool = False, keep_session_id: int | None = None
) -> dict[str, int]:
    """Users change their own password, giving the current one: their other sessions end (all of
    them but keep_session_id, the request's own), and their API tokens unless keep_tokens."""
    user = db.session.get(User, principal.id)
    if user is None or not check_password_hash(user.password_hash, current):
        raise field_error("current_password", "This is not your current password.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise field_error("new_password", f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(new)
    db.session.flush()
    audit("user_password_changed", principal, {"username": user.username})
    return end_access(
        user,
        actor=principal,
        reason=PASSWORD_CHANGED,
        tokens=not keep_tokens,
        keep_session_id=keep_session_id,
    )


def list_sessions(user_id: int, *, current_id: int | None = None, page: int = 1, per_page: int = 50):
    """A user's live sessions, most recently used first (never their secrets), and their total."""
    now = utcnow()
    _maximum, idle = limits()
    rows, total = page_of(
        UserSession,
        sa.and_(UserSession.user_id == user_id, _live(now)),
        (UserSession.last_seen_at.desc(), UserSession.id.desc()),
        page,
        per_page,
    )
    items = [
        {
            "id": row.id,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "expires_at": row.expires_at,
            "idle_expires_at": min(row.expires_at, row.last_seen_at + idle),
            "user_agent": row.user_agent,
            "remote_addr": row.remote_addr,
            "current": row.id == current_id,
        }
        for row in rows
    ]
    return items, total


def purge(before: datetime) -> int:
    """Delete the sessions that ended before `before` (logged out or revoked, expired, or idle past
    the limit); their ending is in the audit. Returns how many were deleted."""
    _maximum, idle = limits()
    ended = sa.or_(
        UserSession.revoked_at < before,
        UserSession.expires_at < before,
        UserSession.last_seen_at < before - idle,
    )
    return db.session.execute(sa.delete(UserSession).where(ended)).rowcount
