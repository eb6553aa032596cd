"""Administering identities: the /api/v1 users, groups, units and tokens routes and the admin
pages create and change them here, each change audited; operations.py holds the lookups and the
checks every request makes (tokens, passwords, principals, the units' codes and names)."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models_base import utcnow
from . import tree
from .models import ApiToken, Group, OrgUnit, User
from .operations import MIN_PASSWORD_LENGTH, audit, create_token, field_error, hash_token, units_changed


def existing_groups(names) -> list[Group]:
    """The groups of these names, in order; 422 (field groups) naming those that do not exist."""
    names = list(dict.fromkeys(name.strip() for name in names or () if name.strip()))
    if not names:
        return []
    found = {g.name: g for g in db.session.scalars(sa.select(Group).where(Group.name.in_(names)))}
    missing = [name for name in names if name not in found]
    if missing:
        raise field_error("groups", f"No such group: {', '.join(missing)}. Create it first.")
    return [found[name] for name in names]


def existing_unit(code: str | None) -> OrgUnit | None:
    """The unit of this code (None for no unit); 422 (field unit) when there is no such unit."""
    if not code:
        return None
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code.strip()))
    if unit is None:
        raise field_error("unit", f"No such unit: {code}. Create it first.")
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
        raise field_error("password", f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
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
    audit("user_created", actor, _user_facts(user))
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
            raise field_error("is_active", "You cannot deactivate your own account.")
        if data.get("is_admin") is False:
            raise field_error("is_admin", "You cannot take away your own administrator rights.")
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
        audit("user_updated", actor, {"username": user.username, "changed": changed})
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
        raise field_error("password", f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(password)
    db.session.flush()
    audit("user_password_reset", actor, {"username": user.username})
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
    audit("group_created", actor, {"name": group.name, "description": group.description})
    return group


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
    db.session.flush()  # its insert says units_changed() (operations._unit_flushed)
    tree.forget()
    audit("unit_created", actor, _unit_fact(unit))
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
    units_changed()
    db.session.flush()
    audit("unit_updated", actor, _unit_fact(unit))
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
        raise field_error("user", f"No user named {username!r}.")
    if not user.is_active:
        raise field_error("user", f"User {user.username!r} is deactivated.")
    if expires_at is not None and expires_at <= utcnow():
        raise field_error("expires_at", "The expiry must be in the future.")
    secret = create_token(user, name=(name or "").strip() or None, expires_at=expires_at, scopes=scopes)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    audit(
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
        audit("token_revoked", actor, {"token_id": token.id, "user": token.user.username, "name": token.name})
    return token
