"""Identities as every request meets them: tokens, passwords and principals, the lookups of users
and units, the units' codes and names, and the users, groups and units that set-up creates
(admin.py administers them, audited)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from .. import uow
from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from . import scopes as token_scopes
from .models import ApiToken, Group, OrgUnit, User, cache_versions, user_groups
from .principals import Kept, PrincipalCache
from .touch import TOUCH, touch

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


def units() -> Mapping[str, Unit]:
    """Every org unit by its code, with its name and national code, once per unit of work (a
    dossier's step reads the codes its scoped tasks may name, the name of the unit that handled
    it; a reception, the national code that numbers the dossier).

    A process keeps them with the version they were read under (cache_versions' 'org_units', moved
    by triggers on every write of org_units). A request's principal is read with the version as of
    its transaction (Principal.units_version): when it matches, the units kept are the committed
    ones and no query is needed; otherwise, and in a unit without a principal (workers, commands),
    they are read with their version in one query. A unit that changed org units itself
    (units_changed) reads them every time and keeps nothing for the others: its changes are not
    committed yet."""
    return uow.remember(_UNITS, _load_units)


def units_changed() -> None:
    """A unit was created or changed in this unit of work: read the units again (units())."""
    uow.forget(_UNITS)
    unit = uow.current()
    if unit is not None:
        unit.mark(_UNITS_CHANGED)


@sa.event.listens_for(OrgUnit, "after_insert")
@sa.event.listens_for(OrgUnit, "after_update")
@sa.event.listens_for(OrgUnit, "after_delete")
def _unit_flushed(_mapper, _connection, _target) -> None:
    """Every ORM write of a unit says units_changed() itself (a Core or SQL write must say it)."""
    units_changed()


_IDENTITY_MODELS = (User, ApiToken, Group, OrgUnit)


def principals_changed() -> None:
    """What principals are made of changed in this unit of work: once it commits, this process
    forgets the principals it keeps (principals.py) before the unit's answer leaves, so nothing this
    process serves afterwards predates the change (other processes learn it from the triggers'
    NOTIFY). Said by every ORM write of a user, token, group or unit, and by every UPDATE or DELETE
    of them run through the session, but a token's last-use stamp (touch)."""
    unit = uow.current()
    if unit is not None and not unit.marked(_PRINCIPALS_CHANGED):
        unit.mark(_PRINCIPALS_CHANGED)
        unit.on_commit(_forget_principals)


def _forget_principals() -> None:
    cache = current_app.extensions.get(_PRINCIPALS)
    if cache is not None:
        cache.forget()


for _model in _IDENTITY_MODELS:
    for _event in ("after_insert", "after_update", "after_delete"):
        sa.event.listen(_model, _event, lambda _mapper, _connection, _target: principals_changed())


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _identity_statement(state) -> None:
    """An UPDATE or DELETE of users, tokens, groups or units through the session (not touch's)."""
    if (state.is_update or state.is_delete) and not state.execution_options.get(TOUCH):
        mapper = state.bind_mapper
        if mapper is not None and mapper.class_ in _IDENTITY_MODELS:
            principals_changed()


_PRINCIPALS_CHANGED = "identity.principals.changed"
_UNITS_CHANGED = "identity.units.changed"
_UNITS_KEPT = "motcua.units"


def _load_units() -> Mapping[str, Unit]:
    unit = uow.current()
    changed = unit is None or unit.marked(_UNITS_CHANGED)
    stamp = None if changed else getattr(unit.actor, "units_version", None)
    kept = current_app.extensions.get(_UNITS_KEPT)
    if stamp is not None and kept is not None and kept[0] == stamp:
        return kept[1]
    rows = db.session.execute(_units_query()).all()
    # read-only: the same mapping serves every request of the process
    found = MappingProxyType({code: Unit(name, national_code) for _, code, name, national_code in rows})
    version = rows[0][0] if rows else None
    # Kept only as read in a transaction that wrote no unit itself: the principal's version, read
    # earlier in it, is the one read now (a newer commit is used, not kept: the next request keeps it).
    if version is not None and stamp is not None and version == stamp:
        current_app.extensions[_UNITS_KEPT] = (version, found)
    return found


@functools.cache
def _units_query():
    """Every unit, each row with the units' version (NULL if its row is missing: nothing is kept)."""
    units = OrgUnit.__table__.c
    return sa.select(_units_version(), units.code, units.name, units.national_code)


_UNITS_VERSION = "org_units"


def _units_version():
    """The org units' version, as a column of the principal's query."""
    return (
        sa.select(cache_versions.c.version)
        .where(cache_versions.c.name == _UNITS_VERSION)
        .scalar_subquery()
        .label("units_version")
    )


def get_or_create_unit(code: str, name: str | None = None) -> OrgUnit:
    unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        unit = OrgUnit(code=code, name=name or code)
        db.session.add(unit)
        db.session.flush()  # its insert says units_changed() (_unit_flushed)
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
    # the org units' version as of the principal's read (units() compares it with its own)
    units_version: int | None = None


def _principal_query():
    """The principal's columns, from the tables (not the ORM's entities: a plain Core statement,
    no ORM compile or loading step for what every request reads)."""
    users, units, groups = User.__table__.c, OrgUnit.__table__.c, Group.__table__.c
    return (
        sa.select(
            users.id,
            users.username,
            users.display_name,
            users.is_admin,
            units.code,
            groups.name,
            _units_version(),
        )
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
    return Principal(first[0], first[1], first[2], first[3], first[4], groups, units_version=first[6])


@functools.cache
def _token_query():
    """The principal of a token: built once (bound parameters token_hash and now), so that a
    request spends nothing on building it or on SQLAlchemy's cache key (it is memoised on the
    statement): every API call runs it."""
    tokens = ApiToken.__table__.c
    return (
        _principal_query()
        .add_columns(tokens.id, tokens.scopes, tokens.last_used_at, tokens.expires_at)
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
    query, or none while the process keeps it: principals.py), or None. Records the token's last
    use (at most one small UPDATE a minute per token)."""
    now = utcnow()
    token_hash = hash_token(token)
    cache = principal_cache()
    generation = None
    if cache is not None:
        kept = cache.get(token_hash, now)
        if kept is not None:
            if kept.last_used_at is None or now - kept.last_used_at >= TOKEN_TOUCH_EVERY:
                touch(ApiToken, kept.principal.token_id, "last_used_at", now, TOKEN_TOUCH_EVERY)
                cache.used(token_hash, kept, now)
            return kept.principal
        generation = cache.generation()  # taken before the read: a change during it is seen
    rows = db.session.execute(_token_query(), {"token_hash": token_hash, "now": now}).all()
    principal = _principal(rows)
    if principal is None:
        return None
    token_id, scopes, last_used_at, expires_at = rows[0][7], rows[0][8], rows[0][9], rows[0][10]
    if last_used_at is None or now - last_used_at >= TOKEN_TOUCH_EVERY:
        touch(ApiToken, token_id, "last_used_at", now, TOKEN_TOUCH_EVERY)
        last_used_at = now
    principal = replace(
        principal, scopes=frozenset(scopes) if scopes is not None else None, token_id=token_id
    )
    if cache is not None and generation is not None:
        cache.put(token_hash, Kept(principal, expires_at, last_used_at, generation))
    return principal


_PRINCIPALS = "motcua.principals"


def principal_cache() -> PrincipalCache | None:
    """This app's kept principals (PostgreSQL with MOTCUA_PRINCIPAL_CACHE), or None."""
    extensions = current_app.extensions
    if _PRINCIPALS not in extensions:
        cache = None
        engine = db.engine
        if current_app.config.get("MOTCUA_PRINCIPAL_CACHE", True) and engine.dialect.name == "postgresql":
            cache = PrincipalCache(engine.dialect.create_connect_args(engine.url))
        extensions.setdefault(_PRINCIPALS, cache)
    return extensions[_PRINCIPALS]


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
