"""Who may attach files and see them: the actors of an open task upload; those who may see an
instance see its attachments. Routes authorise with these; operations assume it was done."""

from __future__ import annotations

from ..errors import NotFound
from ..extensions import db
from ..identity import scopes
from ..instances import operations as instances
from ..instances.permissions import require_visible
from ..tasks import queries as tasks
from ..tasks.permissions import require_task_actor
from .models import Attachment


def require_uploader(user, task_id):
    """Who may attach files on a task: its actors (404 for an unknown task, 403 for others)."""
    task, instance = tasks.get_with_instance(task_id)
    require_task_actor(user, task, instance.started_by_id)
    scopes.require(user, scopes.TASKS, instance.definition.key)
    return task, instance


def require_instance_reader(user, instance_id):
    """An instance's attachments: for those who may see the instance (404, 403)."""
    require_visible(user, instances.get(instance_id))


def require_reader(user, attachment_id) -> Attachment:
    """One attachment (not deleted), for those who may see its instance (404, 403)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted_at is not None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    require_visible(user, instances.get(attachment.instance_id))
    return attachment


def require_signer(user, attachment_id):
    """Who may sign an attachment: an actor of its task (the same as who may upload to it)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted_at is not None or attachment.task_id is None:
        raise NotFound(f"There is no attachment {attachment_id} on a task.")
    task, _instance = require_uploader(user, attachment.task_id)
    return attachment, task
