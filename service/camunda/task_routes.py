"""/engine-rest/task: the worklist with Camunda's filters, a task, claim, unclaim, complete (and
submit-form), its form's variables and its instance's variables.

Who may see and act: tasks.permissions (the worklist's `visible_to`, `require_task_actor`), as in
/api/v1/tasks; completion takes only the fields the task's form declares (tasks.operations.complete
and forms.check_submission). Camunda's runtime API knows only open tasks: another is 404 here.
"""

from __future__ import annotations

from .. import forms
from ..errors import Forbidden, NotFound
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import READ, TASKS, require, scoped
from ..tasks import operations
from ..tasks import queries as task_queries
from ..tasks.permissions import require_task_actor
from . import args, queries, shapes
from . import variables as typed
from .blueprint import bp

_FILTERS = {
    "processInstanceId": args.STR,
    "processInstanceBusinessKey": args.STR,
    "processDefinitionKey": args.STR,
    "processDefinitionId": args.STR,
    "assignee": args.STR,
    "candidateGroup": args.STR,
    "candidateUser": args.STR,
    "includeAssignedTasks": args.BOOL,
    "taskDefinitionKey": args.STR,
    "taskDefinitionKeyIn": args.LIST,
    "processInstanceIdIn": args.LIST,
    "processDefinitionKeyIn": args.LIST,
    "candidateGroups": args.LIST,
    "assigneeIn": args.LIST,
    "name": args.STR,
    "unassigned": args.BOOL,
    "assigned": args.BOOL,
}


def _shape(row: queries.TaskRow) -> dict:
    return shapes.task(
        row.task, definition_ident=row.definition_id, instance_state=row.instance_state, assignee=row.assignee
    )


@bp.route("/task", methods=["GET", "POST"])
@scoped(READ)  # a POST query reads
def task_list():
    """Open tasks the caller may see (tasks.permissions.visible_to), oldest first."""
    rows = queries.tasks_page(current_user(), args.filters(_FILTERS), args.window())
    return [_shape(row) for row in rows]


@bp.route("/task/count", methods=["GET", "POST"])
@scoped(READ)  # a POST query reads
def task_count():
    return {"count": queries.tasks_count(current_user(), args.filters(_FILTERS))}


def _open_task(user, task_id, *, with_state: bool = False):
    """The open task with its instance, if the caller may act on it (403; 404 once it is not open).
    For a completion (`with_state`), its row is locked as /api/v1's completion locks it
    (tasks.queries.get_with_instance): a concurrent completion waits, then finds it completed."""
    task, instance = task_queries.get_with_instance(task_id, with_state=with_state, lock=with_state)
    require_task_actor(user, task, instance.started_by_id)
    if task.state != task_queries.OPEN:
        raise NotFound(f"No matching task with id {task_id}: it is {task.state}.", code="task_not_open")
    return task, instance


def _reading(user, task_id):
    return _open_task(user, task_id)


def _acting(user, task_id):
    """A write on the task: a scoped token also needs tasks:<its definition's key>."""
    task, instance = _open_task(user, task_id)
    require(user, TASKS, instance.definition.key)
    return task, instance


def _completing(user, task_id):
    task, instance = _open_task(user, task_id, with_state=True)
    require(user, TASKS, instance.definition.key)
    return task, instance


@bp.get("/task/<uuid:task_id>")
@authorise(_reading, into="loaded")
def task_get(task_id, loaded):
    task, instance = loaded
    assignee = task.assignee.username if task.assignee else None
    return shapes.task(
        task,
        definition_ident=shapes.definition_id(instance.definition),
        instance_state=instance.state,
        assignee=assignee,
    )


@bp.post("/task/<uuid:task_id>/claim")
@scoped(TASKS)
@authorise(_acting, into="loaded")
def task_claim(task_id, loaded):
    """Claim for the caller: Motcua assigns a task only to whoever claims it, so a userId naming
    someone else is refused (403)."""
    user = current_user()
    who = args.body().get("userId")
    if who is not None and who != user.username:
        raise Forbidden(
            f"Motcua lets a user claim a task only for themselves; you are {user.username}.",
            code="claim_for_another",
        )
    operations.claim(task_id, actor=user, loaded=loaded)
    return "", 204


@bp.post("/task/<uuid:task_id>/unclaim")
@scoped(TASKS)
@authorise(_acting, into="loaded")
def task_unclaim(task_id, loaded):
    operations.unclaim(task_id, actor=current_user(), loaded=loaded)
    return "", 204


@bp.post("/task/<uuid:task_id>/complete")
@bp.post("/task/<uuid:task_id>/submit-form", endpoint="task_submit_form")
@scoped(TASKS)
@authorise(_completing, into="loaded")
def task_complete(task_id, loaded):
    """Complete with typed variables (only the fields the task's form declares): 204, or 200 with
    the instance's variables when withVariablesInReturn is true."""
    body = args.body()
    instance, _active = operations.complete(
        task_id, typed.read(body.get("variables")), actor=current_user(), loaded=loaded
    )
    if body.get("withVariablesInReturn") is True:
        return typed.typed_all(instance.variables or {})
    return "", 204


@bp.get("/task/<uuid:task_id>/form")
@authorise(_reading, into="loaded")
def task_form(task_id, loaded):
    """The task's form key (a form of forms/: GET /api/v1/tasks/{id} describes it as JSON Schema)."""
    return {"key": loaded[0].form_key, "contextPath": None}


@bp.get("/task/<uuid:task_id>/form-variables")
@authorise(_reading, into="loaded")
def task_form_variables(task_id, loaded):
    """The variables the task's form declares, with their values where set (variableNames narrows)."""
    task, instance = loaded
    names = sorted(forms.declared(task.form_key) or ())
    wanted = args.filters({"variableNames": args.LIST}).get("variableNames")
    if wanted is not None:
        names = [name for name in names if name in wanted]
    values = instance.variables or {}
    return {name: typed.typed(values.get(name)) for name in names}


@bp.get("/task/<uuid:task_id>/variables")
@authorise(_reading, into="loaded")
def task_variables(task_id, loaded):
    """The variables of the task's instance (Motcua has no task-local variables)."""
    return typed.typed_all(loaded[1].variables or {})
