import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema
from .models import CANCELLED, COMPLETED, OPEN


class TaskSchema(ma.Schema):
    id = ma.fields.UUID()
    process_instance_id = ma.fields.UUID(attribute="instance_id")
    element_id = ma.fields.String()
    name = ma.fields.String()
    lane = ma.fields.String(allow_none=True)
    candidate_groups = ma.fields.List(ma.fields.String())
    unit = ma.fields.String(
        allow_none=True,
        metadata={"description": "The org unit whose officers handle it (its pool's agency); none: any unit"},
    )
    assignee = ma.fields.Function(lambda t: t.assignee.username if t.assignee else None)
    state = ma.fields.String(metadata={"enum": [OPEN, COMPLETED, CANCELLED]})
    form_key = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    completed_at = ma.fields.AwareDateTime(allow_none=True)


class FormSchema(ma.Schema):
    key = ma.fields.String()
    schema = ma.fields.Dict(metadata={"description": "JSON Schema 2020-12 of the variables to submit"})
    ui = ma.fields.Dict(allow_none=True, metadata={"description": "Optional UI hints"})


class TaskDetailSchema(TaskSchema):
    documentation = ma.fields.String(allow_none=True)
    form = ma.fields.Nested(FormSchema, allow_none=True)
    instance_version = ma.fields.Integer()
    business_key = ma.fields.String(allow_none=True)


TaskPage = page_schema(TaskSchema, "TaskPage")


class TaskListArgs(PageArgs):
    candidate_group = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    assignee = ma.fields.String(
        validate=ma.validate.Length(min=1, max=128), metadata={"description": "A username, or 'me'"}
    )
    state = ma.fields.String(
        load_default=OPEN, validate=ma.validate.OneOf([OPEN, COMPLETED, CANCELLED, "any"])
    )
    process_instance_id = ma.fields.UUID()
    due_before = ma.fields.AwareDateTime(default_timezone=None)
    process = ma.fields.String(
        validate=ma.validate.Length(min=1, max=255), metadata={"description": "A process definition's key"}
    )
    due = ma.fields.String(
        validate=ma.validate.OneOf(["late", "due_soon", "early", "none"]),
        metadata={
            "description": "An SLA class: late, due soon (within a working day), early, or none (no due date)"
        },
    )
    order = ma.fields.String(
        load_default="created",
        validate=ma.validate.OneOf(["created", "due", "due_desc"]),
        metadata={
            "description": "created: oldest first; due: due first; due_desc: latest due first (none last)"
        },
    )


class CompleteArgs(RequestSchema):
    variables = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
