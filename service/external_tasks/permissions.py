"""Who may work external tasks: fetch, lock, complete, report failures and errors, unlock.

One decision, `may_work(user, topic)`, with the topic as argument: administrators work every topic;
members of the group MOTCUA_EXTERNAL_WORKER_GROUP (default `external-workers`) every topic;
members of `<that group>.<topic>` (e.g. `external-workers.charge-card`) that topic only. A worker
who was not given a topic neither fetches, sees nor completes its tasks. A system's scoped token
works only the topics its `external-tasks:<topic>` scopes name (identity/scopes.py), within its
user's rights.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..identity import scopes
from .models import ExternalTask


def _group() -> str:
    return current_app.config["MOTCUA_EXTERNAL_WORKER_GROUP"]


def all_topics(user) -> bool:
    """Whether the user works every topic."""
    return bool(user.is_admin or _group() in user.group_names)


def given_topics(user) -> frozenset[str]:
    """The topics given one by one (groups `<worker group>.<topic>`)."""
    prefix = _group() + "."
    return frozenset(name[len(prefix) :] for name in user.group_names if name.startswith(prefix))


def may_work(user, topic: str) -> bool:
    if not scopes.allows(user, scopes.EXTERNAL_TASKS, topic):
        return False
    return all_topics(user) or topic in given_topics(user)


def require_worker(user, **_) -> None:
    """Any external-task route: an administrator or a worker of some topic (before the body)."""
    if not (all_topics(user) or given_topics(user)):
        raise Forbidden(f"External tasks are for administrators and the group '{_group()}'.")
    scopes.require(user, scopes.EXTERNAL_TASKS)


def require_topics(user, topics) -> None:
    refused = sorted({t for t in topics if not may_work(user, t)})
    if refused:
        raise Forbidden(
            "You are not given these topics: " + ", ".join(refused) + ".",
            details={"topics": refused},
        )


def require_task(user, external_task_id, **_) -> ExternalTask:
    """The task, if the user works its topic (403 for a task of a topic they were not given)."""
    require_worker(user)
    task = db.session.get(ExternalTask, external_task_id)
    if task is None:
        raise NotFound(f"There is no external task {external_task_id}.")
    if not may_work(user, task.topic):
        raise Forbidden(f"You are not given the topic '{task.topic}'.", details={"topics": [task.topic]})
    return task


def visible_to(user) -> sa.ColumnElement[bool]:
    """The SQL form of may_work, for lists."""
    condition = sa.true() if all_topics(user) else ExternalTask.topic.in_(sorted(given_topics(user)))
    token_scopes = getattr(user, "scopes", None)
    if token_scopes is not None and f"{scopes.EXTERNAL_TASKS}:*" not in token_scopes:
        prefix = scopes.EXTERNAL_TASKS + ":"
        scoped_topics = sorted(s[len(prefix) :] for s in token_scopes if s.startswith(prefix))
        condition = sa.and_(condition, ExternalTask.topic.in_(scoped_topics))
    return condition
