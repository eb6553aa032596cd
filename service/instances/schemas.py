import marshmallow as ma

from ..web import PageArgs, RequestSchema, page_schema
from .models import STATES


class StartArgs(RequestSchema):
    definition_key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    version = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    business_key = ma.fields.String(validate=ma.validate.Length(min=1, max=255))
    variables = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class ActiveTaskSchema(ma.Schema):
    id = ma.fields.UUID()
    element_id = ma.fields.String()
    name = ma.fields.String()
    candidate_groups = ma.fields.List(ma.fields.String())
    assignee = ma.fields.Function(lambda t: t.assignee.username if t.assignee else None)
    due_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    type = ma.fields.String()
    at = ma.fields.AwareDateTime()
    actor = ma.fields.String(allow_none=True)
    task_id = ma.fields.UUID(allow_none=True)
    element_id = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(allow_none=True)
    message = ma.fields.String(allow_none=True)


_INSTANCE_COLUMNS = (
    "id",
    "business_key",
    "state",
    "version",
    "error",
    "created_at",
    "updated_at",
    "ended_at",
)


def instance_dict(instance) -> dict:
    """The plain fields of a ProcessInstance, with its definition's key and version."""
    data = {name: getattr(instance, name) for name in _INSTANCE_COLUMNS}
    data["definition_key"] = instance.definition.key
    data["definition_version"] = instance.definition.version
    return data


class InstanceSchema(ma.Schema):
    id = ma.fields.UUID()
    definition_key = ma.fields.String()
    definition_version = ma.fields.Integer()
    business_key = ma.fields.String(allow_none=True)
    state = ma.fields.String(metadata={"enum": list(STATES)})
    version = ma.fields.Integer(metadata={"description": "Send as If-Match to guard against lost updates"})
    error = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    ended_at = ma.fields.AwareDateTime(allow_none=True)

    @ma.pre_dump
    def _flatten(self, obj, **kwargs):
        return obj if isinstance(obj, dict) else instance_dict(obj)


class InstanceDetailSchema(InstanceSchema):
    variables = ma.fields.Dict()
    tasks = ma.fields.List(
        ma.fields.Nested(ActiveTaskSchema), metadata={"description": "Active (open) tasks"}
    )
    history = ma.fields.List(ma.fields.Nested(AuditEventSchema))


InstancePage = page_schema(InstanceSchema, "InstancePage")


class InstanceListArgs(PageArgs):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    definition_key = ma.fields.String(validate=ma.validate.Length(max=255))
    business_key = ma.fields.String(validate=ma.validate.Length(max=255))


class MessageArgs(RequestSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    payload = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)
