import marshmallow as ma

from .queries import KINDS


class OptionSchema(ma.Schema):
    value = ma.fields.String(metadata={"description": "What the form's field takes"})
    label = ma.fields.String(metadata={"description": "What people read: a name"})
    open_tasks = ma.fields.Integer(metadata={"description": "specialist: their open tasks (workload)"})
    form = ma.fields.String(metadata={"description": "components: original, copy..."})
    quantity = ma.fields.Raw(metadata={"description": "components: how many"})


class PickerSchema(ma.Schema):
    field = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    multiple = ma.fields.Boolean(metadata={"description": "The field is a list of values"})
    items = ma.fields.List(ma.fields.Nested(OptionSchema))
