"""/engine-rest/external-task: Camunda's external-task paths on Motcua's own (external_tasks):
fetchAndLock (with long polling), complete, failure, bpmnError, extendLock, unlock and a task.
`sorting` is ignored: tasks come by priority (usePriority), then oldest first.

Camunda's fields are translated into the native requests and loaded with the native schemas (one
set of bounds for both APIs); who may work which topic is external_tasks.permissions (administrators
and the worker groups; a scoped token: external-tasks:<topic>), before the body is read where the
topic is not in it. A worker that does not hold the lock (its worker id, with the credentials that
fetched it) is refused (409), as natively.
"""

from __future__ import annotations

from ..external_tasks import operations, permissions, queue
from ..external_tasks.schemas import (
    BpmnErrorArgs,
    ExtendLockArgs,
    ExternalCompleteArgs,
    FailureArgs,
    FetchArgs,
)
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import EXTERNAL_TASKS, scoped
from . import args, queries, shapes
from . import variables as typed
from .blueprint import bp

# Native field -> Camunda's, to name Camunda's fields in a refusal.
NAMES = {
    "worker_id": "workerId",
    "max_tasks": "maxTasks",
    "use_priority": "usePriority",
    "async_response_timeout": "asyncResponseTimeout",
    "topics": "topics",
    "topic_name": "topicName",
    "lock_duration": "lockDuration",
    "error_message": "errorMessage",
    "error_details": "errorDetails",
    "retry_timeout": "retryTimeout",
    "error_code": "errorCode",
    "new_duration": "newDuration",
}
# Topic filters on what Motcua does not select by: refused when they say something.
TOPIC_UNSUPPORTED = (
    "businessKey",
    "processDefinitionId",
    "processDefinitionIdIn",
    "processDefinitionKey",
    "processDefinitionKeyIn",
    "processDefinitionVersionTag",
    "processVariables",
    "tenantIdIn",
    "localVariables",
)

_worker = authorise(permissions.require_worker)


def _task_of(user, task_id, **_):
    """The external task, if the caller works its topic (a scoped token: external-tasks:<topic>)."""
    return permissions.require_task(user, task_id)


_task = authorise(_task_of, into="task")


def _locked(task, definition_ident: str | None, variables: dict | None) -> dict:
    answer = {
        "id": str(task.id),
        "topicName": task.topic,
        "workerId": task.worker_id,
        "lockExpirationTime": shapes.moment(task.lock_expires_at),
        "retries": task.retries,
        "errorMessage": task.error_message,
        "errorDetails": task.error_details,
        "activityId": task.element_id,
        "activityInstanceId": str(task.task_id),
        "executionId": str(task.instance_id),
        "processInstanceId": str(task.instance_id),
        "processDefinitionId": definition_ident,
        "processDefinitionKey": definition_ident.split(":", 1)[0] if definition_ident else None,
        "processDefinitionVersionTag": None,
        "businessKey": task.business_key,
        "priority": task.priority,
        "suspended": False,
        "tenantId": None,
        "extensionProperties": {},
    }
    if variables is not None:
        answer["variables"] = typed.typed_all(variables)
    return answer


def _topic(topic) -> dict:
    if not isinstance(topic, dict):
        return {"topic_name": topic}  # the schema names the fault
    args.refuse_unless_empty(topic, TOPIC_UNSUPPORTED)
    return {
        "topic_name": topic.get("topicName"),
        "lock_duration": topic.get("lockDuration"),
        "variables": topic.get("variables"),
    }


@bp.post("/external-task/fetchAndLock")
@scoped(EXTERNAL_TASKS)
@_worker
def fetch_and_lock():
    body = args.body()
    topics = body.get("topics")
    native = {
        "worker_id": body.get("workerId"),
        "max_tasks": body.get("maxTasks", 1),
        "use_priority": body.get("usePriority", True),
        "async_response_timeout": body.get("asyncResponseTimeout", 0),
        "topics": [_topic(t) for t in topics] if isinstance(topics, list) else topics,
    }
    if native["use_priority"] is None:
        native["use_priority"] = True
    loaded = args.load(FetchArgs(), native, NAMES)
    user = current_user()
    permissions.require_topics(user, [t["topic_name"] for t in loaded["topics"]])
    locked = queue.fetch_and_lock(
        loaded["worker_id"],
        [queue.TopicRequest(t["topic_name"], t["lock_duration"], t["variables"]) for t in loaded["topics"]],
        actor=user,
        max_tasks=loaded["max_tasks"],
        by_priority=loaded["use_priority"],
        wait_ms=loaded["async_response_timeout"],
    )
    definitions = queries.definition_ids_of({task.instance_id for task, _ in locked})
    return [_locked(task, definitions.get(task.instance_id), variables) for task, variables in locked]


@bp.get("/external-task/<uuid:task_id>")
@_task
def external_task_get(task_id, task):
    return _locked(task, queries.definition_ids_of({task.instance_id}).get(task.instance_id), None)


def _load(schema, body: dict, **native) -> dict:
    return args.load(schema, {"worker_id": body.get("workerId"), **native}, NAMES)


@bp.post("/external-task/<uuid:task_id>/complete")
@scoped(EXTERNAL_TASKS)
@_task
def external_task_complete(task_id, task):
    body = args.body()
    args.refuse_unless_empty(body, ("localVariables",))
    loaded = _load(ExternalCompleteArgs(), body, variables=typed.read(body.get("variables")))
    operations.complete(task, loaded["worker_id"], loaded["variables"], actor=current_user())
    return "", 204


@bp.post("/external-task/<uuid:task_id>/failure")
@scoped(EXTERNAL_TASKS)
@_task
def external_task_failure(task_id, task):
    body = args.body()
    native = {
        "error_message": body.get("errorMessage"),
        "error_details": body.get("errorDetails"),
        "retries": body.get("retries"),
        "retry_timeout": body.get("retryTimeout", 0),
    }
    loaded = _load(FailureArgs(), body, **native)
    operations.failure(
        task,
        loaded["worker_id"],
        message=loaded["error_message"],
        details=loaded["error_details"],
        retries=loaded["retries"],
        retry_timeout_ms=loaded["retry_timeout"],
        actor=current_user(),
    )
    return "", 204


@bp.post("/external-task/<uuid:task_id>/bpmnError")
@scoped(EXTERNAL_TASKS)
@_task
def external_task_bpmn_error(task_id, task):
    body = args.body()
    native = {
        "error_code": body.get("errorCode"),
        "error_message": body.get("errorMessage"),
        "variables": typed.read(body.get("variables")),
    }
    loaded = _load(BpmnErrorArgs(), body, **native)
    operations.bpmn_error(
        task,
        loaded["worker_id"],
        loaded["error_code"],
        loaded["error_message"],
        loaded["variables"],
        actor=current_user(),
    )
    return "", 204


@bp.post("/external-task/<uuid:task_id>/extendLock")
@scoped(EXTERNAL_TASKS)
@_task
def external_task_extend_lock(task_id, task):
    body = args.body()
    loaded = _load(ExtendLockArgs(), body, new_duration=body.get("newDuration"))
    operations.extend_lock(task, loaded["worker_id"], loaded["new_duration"], actor=current_user())
    return "", 204


@bp.post("/external-task/<uuid:task_id>/unlock")
@scoped(EXTERNAL_TASKS)
@_task
def external_task_unlock(task_id, task):
    operations.unlock(task)
    return "", 204
