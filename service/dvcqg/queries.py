"""Reads of the national portal's exchanges: the status pushes, and those in incident (failed)."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models_base import page_of
from .models import FAILED, StatusPush


def pushes(*, state: str | None = None, dossier_id=None, limit: int = 200) -> list[StatusPush]:
    """The status pushes, newest first (at most `limit`)."""
    query = sa.select(StatusPush).order_by(StatusPush.event_id.desc()).limit(limit)
    if state:
        query = query.where(StatusPush.state == state)
    if dossier_id is not None:
        query = query.where(StatusPush.dossier_id == dossier_id)
    return list(db.session.scalars(query))


def failed(limit: int) -> tuple[list[StatusPush], int]:
    """The failed pushes, latest first (at most `limit`: the administration's incidents page), with
    their count."""
    return page_of(
        StatusPush, StatusPush.state == FAILED, (StatusPush.next_attempt_at.desc(), StatusPush.id), 1, limit
    )


def incident_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(StatusPush).where(StatusPush.state == FAILED)
        )
        or 0
    )


def incident_keys(kind: str):
    """(kind, key, at) of each failed push, `at` the moment it is listed under (`updated_at` of
    its incident: when it gave up); jobs.queries.all_incidents pages every kind in one query."""
    return sa.select(
        sa.literal(kind, sa.String).label("kind"),
        sa.cast(StatusPush.id, sa.String).label("key"),
        StatusPush.next_attempt_at.label("at"),
    ).where(StatusPush.state == FAILED)


def incidents_with_ids(ids) -> dict[int, dict]:
    """The failed pushes of these ids as incidents, by id."""
    if not ids:
        return {}
    return {
        push.id: _incident(push)
        for push in db.session.scalars(sa.select(StatusPush).where(StatusPush.id.in_(ids)))
    }


def _incident(push: StatusPush) -> dict:
    return {
        "id": None,
        "kind": "dvcqg_push",
        "push_id": push.id,
        "external_task_id": None,
        "topic": None,
        "instance_id": push.instance_id,
        "task_id": None,
        "element_id": None,
        "operation": "dvc/update_status",
        "last_error": push.last_error,
        "attempts": push.attempts,
        "max_attempts": push.max_attempts,
        "state": push.state,
        "created_at": push.created_at,
        "updated_at": push.next_attempt_at,
    }
