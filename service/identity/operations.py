"""Identities as every request meets them: tokens, passwords and principals, the lookups of users
and units, the units' codes and names, and the users, groups and units that set-up creates
(admin.py administers them, audited)."""

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


def units_changed() -> None:
    """A unit was created or changed in this unit of work: read the units again (units())."""
    uow.forget(_UNITS)


def get_or_create_unit(code: str, name: str | None = None) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        unit = OrgUnit(code=code, name=name or code)
        db.session.add(unit)
        db.session.flush()
        units_changed()
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


def find_unit(code: str) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise NotFound(f"No unit with the code {code!r}.")
    return unit


# --- shared by admin.py and sessions.py ---


def field_error(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, code="validation_failed", details={"fields": {field: [message]}})


def audit(type_: str, actor, data: dict) -> None:
    from ..audit.operations import fact, record

    record([fact(type_, at=utcnow(), actor=actor, data=data)])
