"""A stage of the step pipeline (service/stages.py): which messages each instance waits for.

After every step, the engine reports the names of the messages the instance waits for (catch
events, receive tasks, boundary events: `StepResult.waiting_messages`). This stage keeps one
`message_waits` row per (instance, name), so POST /messages finds the instances waiting for a
message by an indexed lookup on its name, without loading any engine state. The instance's own
`waiting_messages` column holds the same names: a step that leaves them as they were (most steps)
writes no row; a NULL there (an instance from before the table) rewrites them all.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa

from .. import inserts
from ..extensions import db
from ..steps import Step
from .models import MessageWait

NAME_LENGTH = 255  # message_waits.name; a longer name cannot be correlated through the API either


@functools.cache
def _delete_gone():
    """The DELETE of an instance's waits that went, built once (Bound: the step's statement is then
    kept whole, not compiled again at every step that changes what the instance waits for)."""
    return sa.delete(MessageWait).where(
        MessageWait.instance_id == sa.bindparam("waits_instance", type_=MessageWait.instance_id.type),
        MessageWait.name.in_(sa.bindparam("waits_gone", expanding=True)),
    )


def record_waits(step: Step) -> None:
    instance = step.instance
    names = sorted({name for name in step.result.waiting_messages if len(name) <= NAME_LENGTH})
    previous = instance.waiting_messages
    if previous == names:
        return
    known = set(previous or ())
    instance.waiting_messages = names
    if previous is None:  # rewrite them all, now (a DELETE and an INSERT of the same rows)
        db.session.execute(sa.delete(MessageWait).where(MessageWait.instance_id == instance.id))
        rows = [{"instance_id": instance.id, "name": n} for n in names]
        if rows:
            db.session.execute(sa.insert(MessageWait.__table__), rows)
        return
    # the names that go and those that come are distinct: written with the step's other writes
    gone = sorted(known - set(names))
    if gone:
        step.write(inserts.Bound(_delete_gone(), {"waits_instance": instance.id, "waits_gone": gone}))
    added = [{"instance_id": instance.id, "name": n} for n in names if n not in known]
    step.insert(MessageWait.__table__, added)
