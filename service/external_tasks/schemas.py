"""External tasks as the API reads and writes them (durations in milliseconds, as Camunda's)."""

from __future__ import annotations

import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema
from .models import STATES

MAX_MS = 7 * 24 * 3600 * 1000  # a week: longer locks and retry timeouts are refused
_WORKER = ma.fields.String(
    required=True,
    validate=ma.validate.Length(min=1, max=255),
    metadata={"description": "The worker's own id: it holds the locks it fetched", "example": "worker-1"},
)
_TOPIC = ma.fields.String(
    required=True, validate=ma.validate.Length(min=1, max=100), metadata={"example": "charge-card"}
)
_NAME = ma.fields.String(validate=ma.validate.Length(min=1, max=255))


class TopicArgs(RequestSchema):
    topic_name = _TOPIC
    lock_duration = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_MS),
        metadata={"description": "How long the lock lasts, in milliseconds"},
    )
    variables = ma.fields.List(
        _NAME,
        validate=ma.validate.Length(max=200),
        load_default=None,
        allow_none=True,
        metadata={"description": "The variables to fetch (all when left out)"},
    )


class FetchArgs(RequestSchema):
    worker_id = _WORKER
    max_tasks = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100))
    use_priority = ma.fields.Boolean(load_default=True)
    async_response_timeout = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0, max=MAX_MS),
        metadata={
            "description": "Wait for work this long (ms), at most MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS"
        },
    )
    topics = ma.fields.List(
        ma.fields.Nested(TopicArgs), required=True, validate=ma.validate.Length(min=1, max=50)
    )


class ExternalCompleteArgs(RequestSchema):
    worker_id = _WORKER
    variables = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class FailureArgs(RequestSchema):
    worker_id = _WORKER
    error_message = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    error_details = ma.fields.String(
        validate=ma.validate.Length(max=20000), load_default=None, allow_none=True
    )
    retries = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=1000))
    retry_timeout = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0, max=MAX_MS),
        metadata={"description": "Fetchable again after this many milliseconds"},
    )


class BpmnErrorArgs(RequestSchema):
    worker_id = _WORKER
    error_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    error_message = ma.fields.String(
        validate=ma.validate.Length(max=2000), load_default=None, allow_none=True
    )
    variables = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class ExtendLockArgs(RequestSchema):
    worker_id = _WORKER
    new_duration = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_MS),
        metadata={"description": "The lock lasts this many milliseconds from now"},
    )


class ExternalRetryArgs(RequestSchema):
    retries = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1000))


class ExternalTaskListArgs(PageArgs):
    topic = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    process_instance_id = ma.fields.UUID()
    worker_id = ma.fields.String(validate=ma.validate.Length(min=1, max=255))


class ExternalTaskSchema(ma.Schema):
    id = ma.fields.UUID()
    topic = ma.fields.String()
    process_instance_id = ma.fields.UUID(attribute="instance_id")
    activity_id = ma.fields.String(attribute="element_id")
    activity_name = ma.fields.String(attribute="name", allow_none=True)
    task_id = ma.fields.UUID()
    business_key = ma.fields.String(allow_none=True)
    priority = ma.fields.Integer()
    state = ma.fields.String()
    worker_id = ma.fields.String(allow_none=True)
    lock_expires_at = ma.fields.AwareDateTime(allow_none=True)
    retries = ma.fields.Integer(allow_none=True)
    error_message = ma.fields.String(allow_none=True)
    error_details = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class LockedTaskSchema(ExternalTaskSchema):
    variables = ma.fields.Dict(metadata={"description": "The variables the worker asked for"})


ExternalTaskPage = page_schema(ExternalTaskSchema, "ExternalTaskPage")
