"""/api/v1/tasks/{id}/pickers/{field}: the options of a picker a task's form declares."""

from flask_smorest import Blueprint

from .. import forms
from ..errors import NotFound
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..tasks import queries as tasks
from ..tasks.permissions import require_task_actor
from . import queries
from .schemas import PickerSchema

blp = Blueprint("pickers", __name__, url_prefix="/api/v1", description="Pickers of the tasks' forms")


def _actor(user, task_id, field):
    task, instance = tasks.get_with_instance(task_id)
    require_task_actor(user, task, instance.started_by_id)
    return task


@blp.route("/tasks/<uuid:task_id>/pickers/<string:field>", methods=["GET"])
@authorise(_actor, into="task")
@blp.response(200, PickerSchema)
def picker(task_id, field, task):
    """The choices of a field of the task's form that declares a picker (`x-picker`): the unit's
    specialists with their open tasks, the procedure's components, the agencies. Only for those
    who may act on the task."""
    form = forms.describe(task.form_key)
    declared = queries.declared(form["schema"] if form else None)
    if field not in declared:
        raise NotFound(f"The form of task '{task.name}' has no picker field {field!r}.")
    items = queries.options(declared[field], task=task, user=current_user())
    return {"field": field, **declared[field], "items": items}
