"""Users, groups (BPMN lanes / candidate groups), org units and API tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

user_groups = sa.Table(
    "user_groups",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


# The number a process compares with the one it cached a table's rows under (identity.operations
# .units keeps the org units per process): triggers move 'org_units' on every write of that table,
# in the writing transaction (migration 0033).
cache_versions = sa.Table(
    "cache_versions",
    db.metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)


class OrgUnit(db.Model):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    # The unit's code in the national format (TT 10/2016/TT-BTTTT), e.g. "000.17.22.H56":
    # the first part of the codes of the dossiers it receives.
    national_code: Mapped[str | None] = mapped_column(sa.String(64))
    # The unit above this one (its code; None at the top): the indicators of a unit count its
    # sub-units' dossiers too. A unit may not be its own ancestor (identity.operations).
    parent_code: Mapped[str | None] = mapped_column(sa.String(64), index=True)


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(255))


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str | None] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the user keeps for themselves: {"filters": {"dossiers" | "worklist": [{"name", "query"}]}}.
    preferences: Mapped[dict | None] = mapped_column(sa.JSON)

    org_unit: Mapped[OrgUnit | None] = relationship()
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, order_by=Group.name)

    @property
    def group_names(self) -> frozenset[str]:
        return frozenset(g.name for g in self.groups)


class ApiToken(db.Model):
    """A bearer token for a system or a person; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: the user's full rights; else what the token may do (identity/scopes.py).
    scopes: Mapped[list | None] = mapped_column(sa.JSON)
    # When the token was last presented (written at most once a minute).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(db.Model):
    """A browser session, kept on the server so it can be ended: the cookie carries a random id,
    only its sha256 is stored. Logout, a password change, deactivation and "sign out everywhere"
    set revoked_at; a session also ends after MOTCUA_SESSION_IDLE_MINUTES without a request and
    MOTCUA_SESSION_MAX_HOURS after login."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User] = relationship()
