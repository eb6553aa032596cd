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


def incidents(page: int, per_page: int) -> tuple[list[dict], int]:
    """A page of the failed pushes as incidents (kind `dvcqg_push`), latest first, with their count."""
    rows, total = page_of(
        StatusPush, StatusPush.state == FAILED, (StatusPush.created_at.desc(),), page, per_page
    )
    return [_incident(push) for push in rows], total


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
