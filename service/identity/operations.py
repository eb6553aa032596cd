"""Creating and checking identities: users, groups, units, tokens, passwords."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from .. import uow
from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from . import scopes as token_scopes
from . import tree
from .models import ApiToken, Group, OrgUnit, User, user_groups
from .touch import touch

TOKEN_PREFIX = "mct_"  # noqa: S105 - a visible prefix, not a secret
MIN_PASSWORD_LENGTH = 8
# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("motcua-no-such-user")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_or_create_group(name: str) -> Group:
    name = name.strip()
    if not name:
        raise Unprocessable("A group name must not be empty.")
    group = db.session.scalar(sa.select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        db.session.add(group)
        db.session.flush()
    return group


def unit_name(code: str | None) -> str | None:
    """An org unit's name as people know it (its code when no such unit is known; None for none)."""
    if not code:
        return None
    unit = units().get(code)
    return (unit.name if unit else None) or code


_UNITS = "identity.units"


@dataclass(frozen=True)
class Unit:
    name: str
    national_code: str | None


def units() -> dict[str, Unit]:
    """Every org unit by its code, with its name and national code: one query per unit of work (a
    dossier's step reads the codes its scoped tasks may name, the name of the unit that handled
    it; a reception, the national code that numbers the dossier)."""

    def load() -> dict[str, Unit]:
        rows = db.session.execute(sa.select(OrgUnit.code, OrgUnit.name, OrgUnit.national_code))
        return {code: Unit(name, national_code) for code, name, national_code in rows}

    return uow.remember(_UNITS, load)


def get_or_create_unit(code: str, name: str | None = None) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        unit = OrgUnit(code=code, name=name or code)
        db.session.add(unit)
        db.session.flush()
        uow.forget(_UNITS)
    return unit


def create_user(
    username: str,
    password: str,
    *,
    groups: list[str] | tuple[str, ...] = (),
    unit: str | None = None,
    admin: bool = False,
    display_name: str | None = None,
) -> User:
    """Create a user; the password is stored as a salted scrypt hash."""
    username = username.strip()
    if not username:
        raise Unprocessable("A username must not be empty.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"A user named {username!r} already exists.")
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        is_admin=admin,
        display_name=display_name,
        org_unit=get_or_create_unit(unit) if unit else None,
        groups=[get_or_create_group(g) for g in dict.fromkeys(groups)],
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def check_password(username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user


def create_token(
    user: User,
    *,
    name: str | None = None,
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
) -> str:
    """Issue a bearer token for user; the plain token is returned once and never stored.

    scopes: None for the user's full rights, else what the token may do (identity/scopes.py)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            name=name,
            expires_at=expires_at,
            scopes=token_scopes.parse(scopes),
        )
    )
    db.session.flush()
    return token


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: what permissions and the audit need, read in one query."""

    id: int
    username: str
    display_name: str | None
    is_admin: bool
    unit: str | None
    group_names: frozenset[str]
    # A token's scopes (None: a session or an unscoped token, the user's full rights) and its id,
    # which the audit records with what the token did.
    scopes: frozenset[str] | None = None
    token_id: int | None = None


def _principal_query():
    """The principal's columns, from the tables (not the ORM's entities: a plain Core statement,
    no ORM compile or loading step for what every request reads)."""
    users, units, groups = User.__table__.c, OrgUnit.__table__.c, Group.__table__.c
    return (
        sa.select(users.id, users.username, users.display_name, users.is_admin, units.code, groups.name)
        .select_from(User.__table__)
        .outerjoin(OrgUnit.__table__, units.id == users.org_unit_id)
        .outerjoin(user_groups, user_groups.c.user_id == users.id)
        .outerjoin(Group.__table__, groups.id == user_groups.c.group_id)
        .where(users.is_active.is_(True))
    )


def _principal(rows) -> Principal | None:
    if not rows:
        return None
    first = rows[0]
    groups = frozenset(row[5] for row in rows if row[5] is not None)
    return Principal(first[0], first[1], first[2], first[3], first[4], groups)


@functools.cache
def _token_query():
    """The principal of a token: built once (bound parameters token_hash and now), so that a
    request spends nothing on building it or on SQLAlchemy's cache key (it is memoised on the
    statement): every API call runs it."""
    tokens = ApiToken.__table__.c
    return (
        _principal_query()
        .add_columns(tokens.id, tokens.scopes, tokens.last_used_at)
        .join(ApiToken.__table__, tokens.user_id == User.__table__.c.id)
        .where(
            tokens.token_hash == sa.bindparam("token_hash", type_=tokens.token_hash.type),
            tokens.revoked_at.is_(None),
            sa.or_(
                tokens.expires_at.is_(None),
                tokens.expires_at > sa.bindparam("now", type_=tokens.expires_at.type),
            ),
        )
    )


def principal_for_token(token: str) -> Principal | None:
    """The active user a valid, unrevoked, unexpired token belongs to, with the token's scopes (one
    query), or None. Records the token's last use (at most one small UPDATE a minute per token)."""
    now = utcnow()
    rows = db.session.execute(_token_query(), {"token_hash": hash_token(token), "now": now}).all()
    principal = _principal(rows)
    if principal is None:
        return None
    token_id, scopes, last_used_at = rows[0][6], rows[0][7], rows[0][8]
    if last_used_at is None or now - last_used_at >= TOKEN_TOUCH_EVERY:
        touch(ApiToken, token_id, "last_used_at", now, TOKEN_TOUCH_EVERY)
    return replace(principal, scopes=frozenset(scopes) if scopes is not None else None, token_id=token_id)


# A token's last_used_at is written at most this often, so most requests write nothing.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def principal_for_user(user_id: int) -> Principal | None:
    """The principal of an active user id, or None (sessions resolve through sessions.live_session)."""
    return _principal(db.session.execute(_principal_query().where(User.id == user_id)).all())


# --- administration (the /api/v1 users, groups, units and tokens routes, and the admin pages) ---


def _field_error(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, code="validation_failed", details={"fields": {field: [message]}})


def _audit(type_: str, actor, data: dict) -> None:
    from ..audit.operations import fact, record

    record([fact(type_, at=utcnow(), actor=actor, data=data)])


def existing_groups(names) -> list[Group]:
    """The groups of these names, in order; 422 (field groups) naming those that do not exist."""
    names = list(dict.fromkeys(name.strip() for name in names or () if name.strip()))
    if not names:
        return []
    found = {g.name: g for g in db.session.scalars(sa.select(Group).where(Group.name.in_(names)))}
    missing = [name for name in names if name not in found]
    if missing:
        raise _field_error("groups", f"No such group: {', '.join(missing)}. Create it first.")
    return [found[name] for name in names]


def existing_unit(code: str | None) -> OrgUnit | None:
    """The unit of this code (None for no unit); 422 (field unit) when there is no such unit."""
    if not code:
        return None
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code.strip()))
    if unit is None:
        raise _field_error("unit", f"No such unit: {code}. Create it first.")
    return unit


def admin_create_user(data: dict, *, actor) -> User:
    """Create a user from the admin API or page: groups and unit must exist; 409 if the name is taken."""
    groups = existing_groups(data.get("groups") or ())
    unit = existing_unit(data.get("unit"))
    username = data["username"].strip()
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"A user named {username!r} already exists.",
            details={"fields": {"username": [f"A user named {username!r} already exists."]}},
        )
    if len(data["password"]) < MIN_PASSWORD_LENGTH:
        raise _field_error("password", f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(
        username=username,
        password_hash=generate_password_hash(data["password"]),
        display_name=(data.get("display_name") or "").strip() or None,
        is_admin=bool(data.get("is_admin")),
        org_unit=unit,
        groups=groups,
    )
    db.session.add(user)
    db.session.flush()
    _audit("user_created", actor, _user_facts(user))
    return user


def _user_facts(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "unit": user.org_unit.code if user.org_unit else None,
        "groups": [g.name for g in user.groups],
    }


def update_user(user: User, data: dict, *, actor) -> User:
    """Change display name, groups, unit, active, admin; an admin may not lock themselves out.
    A deactivated user's sessions and API tokens are revoked."""
    if user.id == actor.id:
        if data.get("is_active") is False:
            raise _field_error("is_active", "You cannot deactivate your own account.")
        if data.get("is_admin") is False:
            raise _field_error("is_admin", "You cannot take away your own administrator rights.")
    before = _user_facts(user)
    if "groups" in data:
        user.groups = existing_groups(data["groups"] or ())
    if "unit" in data:
        user.org_unit = existing_unit(data["unit"])
    if "display_name" in data:
        user.display_name = (data["display_name"] or "").strip() or None
    for key in ("is_active", "is_admin"):
        if key in data and data[key] is not None:
            setattr(user, key, bool(data[key]))
    db.session.flush()
    after = _user_facts(user)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if changed:
        _audit("user_updated", actor, {"username": user.username, "changed": changed})
    if not user.is_active:
        # Deactivation ends every session and token for good: reactivating brings none back.
        from . import sessions

        sessions.end_access(user, actor=actor, reason=sessions.DEACTIVATED)
    return user


def set_password(
    user: User, password: str, *, actor, keep_tokens: bool = False, keep_session_id: int | None = None
) -> dict[str, int]:
    """An administrator sets a user's password: every session of the user ends (but keep_session_id,
    the request's own, when administrators reset their own), and every API token unless keep_tokens."""
    from . import sessions

    if len(password) < MIN_PASSWORD_LENGTH:
        raise _field_error("password", f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(password)
    db.session.flush()
    _audit("user_password_reset", actor, {"username": user.username})
    return sessions.end_access(
        user,
        actor=actor,
        reason=sessions.PASSWORD_RESET,
        tokens=not keep_tokens,
        keep_session_id=keep_session_id,
    )


def create_group(name: str, description: str | None = None, *, actor) -> Group:
    name = name.strip()
    if db.session.scalar(sa.select(Group.id).where(Group.name == name)) is not None:
        raise Conflict(
            f"A group named {name!r} already exists.",
            details={"fields": {"name": [f"A group named {name!r} already exists."]}},
        )
    group = Group(name=name, description=(description or "").strip() or None)
    db.session.add(group)
    db.session.flush()
    _audit("group_created", actor, {"name": group.name, "description": group.description})
    return group


def find_unit(code: str) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise NotFound(f"No unit with the code {code!r}.")
    return unit


def _check_national_code(national_code: str | None, unit_id: int | None) -> None:
    if not national_code:
        return
    taken = db.session.scalar(
        sa.select(OrgUnit.code).where(OrgUnit.national_code == national_code, OrgUnit.id != (unit_id or -1))
    )
    if taken is not None:
        message = f"The national code {national_code} is already the code of unit {taken}."
        raise Conflict(message, details={"fields": {"national_code": [message]}})


def create_unit(
    code: str, name: str, national_code: str | None = None, *, parent_code: str | None = None, actor
) -> OrgUnit:
    code = code.strip()
    if db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == code)) is not None:
        message = f"A unit with the code {code!r} already exists."
        raise Conflict(message, details={"fields": {"code": [message]}})
    _check_national_code(national_code, None)
    parent = tree.check_parent(code, parent_code)
    unit = OrgUnit(code=code, name=name.strip(), national_code=national_code or None, parent_code=parent)
    db.session.add(unit)
    db.session.flush()
    uow.forget(_UNITS)
    tree.forget()
    _audit("unit_created", actor, _unit_fact(unit))
    return unit


def update_unit(unit: OrgUnit, data: dict, *, actor) -> OrgUnit:
    if "national_code" in data:
        _check_national_code(data["national_code"], unit.id)
        unit.national_code = data["national_code"] or None
    if data.get("name"):
        unit.name = data["name"].strip()
    if "parent_code" in data:
        unit.parent_code = tree.check_parent(unit.code, data["parent_code"])
        tree.forget()
    uow.forget(_UNITS)
    db.session.flush()
    _audit("unit_updated", actor, _unit_fact(unit))
    return unit


def _unit_fact(unit: OrgUnit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "national_code": unit.national_code,
        "parent_code": unit.parent_code,
    }


def issue_token(
    username: str, *, name: str | None = None, expires_at=None, scopes: list[str] | None = None, actor
) -> tuple[ApiToken, str]:
    """A new token for an active user: the row and the secret (returned this once). With scopes,
    a system identity's token that may do only what they name (identity/scopes.py)."""
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise _field_error("user", f"No user named {username!r}.")
    if not user.is_active:
        raise _field_error("user", f"User {user.username!r} is deactivated.")
    if expires_at is not None and expires_at <= utcnow():
        raise _field_error("expires_at", "The expiry must be in the future.")
    secret = create_token(user, name=(name or "").strip() or None, expires_at=expires_at, scopes=scopes)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    _audit(
        "token_created",
        actor,
        {"token_id": token.id, "user": user.username, "name": token.name, "scopes": token.scopes},
    )
    return token, secret


def revoke_token(token_id: int, *, actor, in_use_hash: str | None = None) -> ApiToken:
    """Revoke a token now (it stops working at the next request); revoking twice changes nothing.

    in_use_hash: the hash of the token the request itself uses, which may not revoke itself (409).
    """
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no token {token_id}.")
    if in_use_hash is not None and token.token_hash == in_use_hash and token.revoked_at is None:
        raise Conflict("This is the token of this very request; revoke it with another token or a session.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        _audit(
            "token_revoked", actor, {"token_id": token.id, "user": token.user.username, "name": token.name}
        )
    return token
