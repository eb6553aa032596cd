"""/api/v1/tasks: the worklist, claiming and completing."""

from flask.views import MethodView
from flask_smorest import Blueprint

from .. import forms
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import TASKS, require, scoped
from ..instances.routes import respond
from ..instances.schemas import InstanceDetailSchema
from ..web import etag, if_match, page
from . import operations, queries
from .permissions import require_task_actor
from .schemas import CompleteArgs, TaskDetailSchema, TaskListArgs, TaskPage

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Human tasks (the worklist)")


def _detail(task, instance):
    task.form = forms.describe(task.form_key)
    task.instance_version = instance.version
    task.business_key = instance.business_key
    return task


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, TaskPage)
    def get(self, args):
        """Tasks the caller may act on, oldest first (or by due date: order); filter by group,
        assignee, state, instance, due date, process and SLA class (the worklist page's query)."""
        state = args["state"]
        which = queries.Worklist(
            state=None if state == "any" else state,
            candidate_group=args.get("candidate_group"),
            assignee=args.get("assignee"),
            instance_id=args.get("process_instance_id"),
            due_before=args.get("due_before"),
            process=args.get("process"),
            due=args.get("due"),
        )
        rows, total = queries.worklist(
            current_user(), which, page=args["page"], per_page=args["per_page"], order=args["order"]
        )
        return page([row.task for row in rows], total, args)


@blp.route("/<uuid:task_id>")
class TaskView(MethodView):
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id):
        """One task, with its form's JSON Schema if it has one."""
        task, instance = queries.get_with_instance(task_id)
        require_task_actor(current_user(), task, instance.started_by_id)
        return _detail(task, instance), 200, etag(instance.version)


def _actor_of(user, task_id, *, with_state: bool = True):
    """The task with its instance (and engine state, its row locked for the completion where the
    database allows: tasks.queries.get_with_instance), if the caller may act on it (403 otherwise)."""
    task, instance = queries.get_with_instance(task_id, with_state=with_state, lock=with_state)
    require_task_actor(user, task, instance.started_by_id)
    require(user, TASKS, instance.definition.key)
    return task, instance


def _acting(user, task_id):
    return _actor_of(user, task_id, with_state=False)


@blp.route("/<uuid:task_id>/claim", methods=["POST"])
@scoped(TASKS)
@authorise(_acting, into="loaded")
@blp.response(200, TaskDetailSchema)
def claim(task_id, loaded):
    """Take a task: it becomes yours until you complete or unclaim it."""
    task = operations.claim(task_id, actor=current_user(), loaded=loaded)
    return _detail(task, loaded[1])


@blp.route("/<uuid:task_id>/unclaim", methods=["POST"])
@scoped(TASKS)
@authorise(_acting, into="loaded")
@blp.response(200, TaskDetailSchema)
def unclaim(task_id, loaded):
    """Give a claimed task back to its candidate groups."""
    task = operations.unclaim(task_id, actor=current_user(), loaded=loaded)
    return _detail(task, loaded[1])


@blp.route("/<uuid:task_id>/complete", methods=["POST"])
@scoped(TASKS)
@authorise(_actor_of, into="loaded")
@blp.arguments(CompleteArgs())  # an instance: a class is instantiated at every request
@blp.response(200, InstanceDetailSchema)
def complete(args, task_id, loaded):
    """Complete a task with variables; answers the instance as it now stands.

    Only the fields the task's form declares are taken (a task without a form takes none), never a
    variable the process computes or the service wrote: 422 names each other field. Two completions
    of one task never both succeed: the loser gets 409. Send If-Match with the instance version to be
    refused (412) if the instance changed since you read it.
    """
    instance, active = operations.complete(
        task_id, args["variables"], actor=current_user(), expected_version=if_match(), loaded=loaded
    )
    return respond(instance, with_history=False, tasks=active)
