"""Creating and checking identities: users, groups, units, tokens, passwords."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from .models import ApiToken, Group, OrgUnit, User

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


def user_for_token(token: str) -> User | None:
    """The active user a valid, unrevoked, unexpired token belongs to, or None."""
    row = (
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.token_hash == hash_token(token))
            # one query for the token, its user, the user's groups and unit
            .options(
                joinedload(ApiToken.user).joinedload(User.groups),
                joinedload(ApiToken.user).joinedload(User.org_unit),
            )
        )
        .unique()
        .first()
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row.user if row.user.is_active else None
