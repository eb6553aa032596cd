"""Identity's reads: lists of users, groups, units and tokens (never a secret), and the names
people know users, groups and units by.

Reads live here; the lookups writes start from (find_user, find_unit) and the writes every request
or set-up makes in operations.py; the administrators' writes in admin.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import uow
from ..extensions import db
from ..models_base import page_of, utcnow
from .models import ApiToken, Group, OrgUnit, User, user_groups


def active_user(username: str) -> User | None:
    """The active user of that username, with their org unit, once per unit of work: a form's
    `username` field is checked with it and the task its step opens is assigned with it (the
    dossier's assignment names its specialist: one read for both)."""

    def load() -> User | None:
        query = (
            sa.select(User)
            .where(User.username == username, User.is_active.is_(True))
            .options(joinedload(User.org_unit))
        )
        with db.session.no_autoflush:  # users only: a step's own changes are written with its others
            return db.session.scalar(query)

    return uow.remember(f"identity.active_user:{username}", load)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_users(*, q=None, group=None, unit=None, active=None, page=1, per_page=50):
    """Users by username, with their unit and groups; filters: text, group name, unit code, active."""
    conditions = []
    if q:
        like = _like(q)
        conditions.append(
            sa.or_(
                sa.func.lower(User.username).like(like, escape="\\"),
                sa.func.lower(sa.func.coalesce(User.display_name, "")).like(like, escape="\\"),
            )
        )
    if group:
        conditions.append(
            User.id.in_(
                sa.select(user_groups.c.user_id)
                .join(Group, Group.id == user_groups.c.group_id)
                .where(Group.name == group)
            )
        )
    if unit:
        conditions.append(User.org_unit_id.in_(sa.select(OrgUnit.id).where(OrgUnit.code == unit)))
    if active is not None:
        conditions.append(User.is_active.is_(active))
    return page_of(User, sa.and_(sa.true(), *conditions), (User.username,), page, per_page)


def list_groups(*, page=1, per_page=50) -> tuple[list[dict], int]:
    """Groups by name, each with its number of members."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Group)) or 0
    members = (
        sa.select(sa.func.count())
        .select_from(user_groups)
        .where(user_groups.c.group_id == Group.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Group, members).order_by(Group.name).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [_with(group, members=count) for group, count in rows], total


def _with(row, **extra) -> dict:
    data = {column.key: getattr(row, column.key) for column in sa.inspect(row).mapper.column_attrs}
    return {**data, **extra}


def list_units(*, page=1, per_page=50) -> tuple[list[dict], int]:
    """Units by code, each with its number of users."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) or 0
    users = (
        sa.select(sa.func.count()).select_from(User).where(User.org_unit_id == OrgUnit.id).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(OrgUnit, users).order_by(OrgUnit.code).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [_with(unit, users=count) for unit, count in rows], total


def search_tokens(*, user=None, active=None, page=1, per_page=50):
    """Tokens (never their secrets), newest first; filters: owner's username, active or not."""
    conditions = []
    if user:
        conditions.append(ApiToken.user_id.in_(sa.select(User.id).where(User.username == user)))
    if active is not None:
        live = sa.and_(
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
        conditions.append(live if active else sa.not_(live))
    return page_of(
        ApiToken,
        sa.and_(sa.true(), *conditions),
        (ApiToken.created_at.desc(), ApiToken.id.desc()),
        page,
        per_page,
    )


def tokens_of(user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        )
    )


def token_expired(token: ApiToken) -> bool:
    return token.expires_at is not None and token.expires_at <= utcnow()


def active_user_count() -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_active.is_(True))) or 0
    )


def active_usernames() -> list[str]:
    return list(
        db.session.scalars(sa.select(User.username).where(User.is_active.is_(True)).order_by(User.username))
    )


def group_names() -> list[str]:
    return list(db.session.scalars(sa.select(Group.name).order_by(Group.name)))


def units() -> list[tuple[str, str]]:
    """(code, name) of every unit, by code."""
    return [
        (code, name)
        for code, name in db.session.execute(sa.select(OrgUnit.code, OrgUnit.name).order_by(OrgUnit.code))
    ]


def unit_names(codes) -> dict[str, str]:
    """The names of the units of these codes (those known)."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    return dict(
        db.session.execute(sa.select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all()
    )


def display_names(usernames) -> dict[str, str]:
    """username -> the name people know the user by (their display name, else the username)."""
    names = {u for u in usernames if u}
    if not names:
        return {}
    rows = db.session.execute(sa.select(User.username, User.display_name).where(User.username.in_(names)))
    return {username: display_name or username for username, display_name in rows}


def group_labels(names: list[str]) -> list[str]:
    """Groups as people know them: their description (e.g. "Bộ phận Một cửa"), else their name."""
    if not names:
        return []
    described = dict(
        db.session.execute(sa.select(Group.name, Group.description).where(Group.name.in_(names))).all()
    )
    return [described.get(name) or name for name in names]


def user_name(user_id: int | None) -> str | None:
    """A user's display name (else username), or None."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return (user.display_name or user.username) if user is not None else None
