"""Creating and checking identities: users, groups, units, tokens, passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from .models import ApiToken, Group, OrgUnit, User, user_groups

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


def get_or_create_unit(code: str, name: str | None = None) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        unit = OrgUnit(code=code, name=name or code)
        db.session.add(unit)
        db.session.flush()
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


def create_token(user: User, *, name: str | None = None, expires_at: datetime | None = None) -> str:
    """Issue a bearer token for user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name, expires_at=expires_at))
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


def _principal_query():
    return (
        sa.select(
            User.id,
            User.username,
            User.display_name,
            User.is_admin,
            OrgUnit.code,
            Group.name,
        )
        .select_from(User)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(user_groups, user_groups.c.user_id == User.id)
        .outerjoin(Group, Group.id == user_groups.c.group_id)
        .where(User.is_active.is_(True))
    )


def _principal(rows) -> Principal | None:
    if not rows:
        return None
    first = rows[0]
    groups = frozenset(row[5] for row in rows if row[5] is not None)
    return Principal(first[0], first[1], first[2], first[3], first[4], groups)


def principal_for_token(token: str) -> Principal | None:
    """The active user a valid, unrevoked, unexpired token belongs to (one query), or None."""
    query = (
        _principal_query()
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
    )
    return _principal(db.session.execute(query).all())


def principal_for_user(user_id: int) -> Principal | None:
    """The principal of an active user id (a session), or None."""
    return _principal(db.session.execute(_principal_query().where(User.id == user_id)).all())
