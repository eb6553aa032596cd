"""/api/v1/external-tasks: workers outside Motcua fetch and lock the work of external service tasks
(camunda:type="external", or the externalTopic property), then complete it, report a failure or a
BPMN error, extend or release their lock. Administrators and the worker group (permissions.py)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..identity.auth import current_user
from ..identity.permissions import admin_only, authorise
from ..identity.scopes import EXTERNAL_TASKS, scoped
from ..web import page
from . import operations, permissions, queries, queue
from .schemas import (
    BpmnErrorArgs,
    ExtendLockArgs,
    ExternalCompleteArgs,
    ExternalRetryArgs,
    ExternalTaskListArgs,
    ExternalTaskPage,
    ExternalTaskSchema,
    FailureArgs,
    FetchArgs,
    LockedTaskSchema,
)

blp = Blueprint(
    "external_tasks",
    __name__,
    url_prefix="/api/v1/external-tasks",
    description="External tasks: service tasks worked by your own workers (fetch-and-lock, complete)",
)
_ID = "/<uuid:external_task_id>"
_worker = authorise(permissions.require_worker)
_task = authorise(permissions.require_task, into="task")


@blp.route("/fetch-and-lock", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_worker
@blp.arguments(FetchArgs)
@blp.response(200, LockedTaskSchema(many=True))
def fetch_and_lock(args):
    """Lock up to `max_tasks` tasks of the topics for `worker_id`, each for its topic's
    `lock_duration` (ms), with the variables asked for; with `async_response_timeout` (ms), wait
    for work that long (at most MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS). Two workers never get
    the same task."""
    permissions.require_topics(current_user(), [t["topic_name"] for t in args["topics"]])
    topics = [queue.TopicRequest(t["topic_name"], t["lock_duration"], t["variables"]) for t in args["topics"]]
    locked = queue.fetch_and_lock(
        args["worker_id"],
        topics,
        actor=current_user(),
        max_tasks=args["max_tasks"],
        by_priority=args["use_priority"],
        wait_ms=args["async_response_timeout"],
    )
    return [_locked(task, variables) for task, variables in locked]


def _locked(task, variables: dict) -> dict:
    columns = {column.key: getattr(task, column.key) for column in task.__table__.columns}
    return {**columns, "variables": variables}


@blp.route("")
class ExternalTasks(MethodView):
    @_worker
    @blp.arguments(ExternalTaskListArgs, location="query")
    @blp.response(200, ExternalTaskPage)
    def get(self, args):
        """The external tasks of the topics you work (`state=failed`: the incidents)."""
        items, total = queries.search(
            current_user(),
            topic=args.get("topic"),
            state=args.get("state"),
            instance_id=args.get("process_instance_id"),
            worker_id=args.get("worker_id"),
            page=args["page"],
            per_page=args["per_page"],
        )
        return page(items, total, args)


@blp.route(_ID, methods=["GET"])
@_task
@blp.response(200, ExternalTaskSchema)
def get(external_task_id, task):
    """One external task."""
    return task


@blp.route(f"{_ID}/complete", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_task
@blp.arguments(ExternalCompleteArgs)
@blp.response(200, ExternalTaskSchema)
def complete(args, external_task_id, task):
    """Complete a task you hold the lock of (your worker id, with the credentials it fetched
    with): its variables go to the instance, which runs on
    (only what the task's form declares, or without a form anything but protected variables)."""
    return operations.complete(task, args["worker_id"], args["variables"], actor=current_user())


@blp.route(f"{_ID}/failure", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_task
@blp.arguments(FailureArgs)
@blp.response(200, ExternalTaskSchema)
def failure(args, external_task_id, task):
    """Report that the work failed: fetchable again after `retry_timeout` (ms) with `retries`
    left; `retries: 0` makes the task an incident until an administrator retries it."""
    return operations.failure(
        task,
        args["worker_id"],
        message=args["error_message"],
        details=args["error_details"],
        retries=args["retries"],
        retry_timeout_ms=args["retry_timeout"],
        actor=current_user(),
    )


@blp.route(f"{_ID}/bpmn-error", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_task
@blp.arguments(BpmnErrorArgs)
@blp.response(200, ExternalTaskSchema)
def bpmn_error(args, external_task_id, task):
    """Report a business error: the error boundary event of the task catching `error_code` takes
    it (with the variables); if none catches it, the task becomes an incident."""
    return operations.bpmn_error(
        task,
        args["worker_id"],
        args["error_code"],
        args["error_message"],
        args["variables"],
        actor=current_user(),
    )


@blp.route(f"{_ID}/extend-lock", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_task
@blp.arguments(ExtendLockArgs)
@blp.response(200, ExternalTaskSchema)
def extend_lock(args, external_task_id, task):
    """Keep the lock `new_duration` ms from now (the worker must still hold it)."""
    return operations.extend_lock(task, args["worker_id"], args["new_duration"], actor=current_user())


@blp.route(f"{_ID}/unlock", methods=["POST"])
@scoped(EXTERNAL_TASKS)
@_task
@blp.response(200, ExternalTaskSchema)
def unlock(external_task_id, task):
    """Release the task's lock, whoever holds it: it is fetchable again."""
    return operations.unlock(task)


@blp.route(f"{_ID}/retry", methods=["POST"])
@admin_only
@blp.arguments(ExternalRetryArgs, location="query")
@blp.response(200, ExternalTaskSchema)
def retry(args, external_task_id):
    """Give a task in incident `retries` again (default 1): fetchable now (administrators)."""
    task = permissions.require_task(current_user(), external_task_id)
    return operations.retry_incident(task, args["retries"], actor=current_user())
