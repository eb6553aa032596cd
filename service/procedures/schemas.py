import marshmallow as ma
from flask import current_app
from flask_smorest.fields import Upload

from ..calendar.workcal import DAY_KINDS
from ..engine.limits import Budgets
from ..web import PageArgs, RequestSchema, page_schema


class ComponentSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    form = ma.fields.String(load_default="Bản chính", validate=ma.validate.Length(max=64))
    quantity = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1000))
    required = ma.fields.Boolean(load_default=True)


# The statutory range the API documents (the engine's default allotment budget); a lower
# MOTCUA_MAX_ALLOTMENT_DAYS narrows it further at run time.
_DAYS = ma.validate.Range(
    min=0,
    max=Budgets().max_allotment_days,
    min_inclusive=False,
    error="Working days: more than 0 and at most {max:g} (MOTCUA_MAX_ALLOTMENT_DAYS).",
)


class ProcedureSchema(RequestSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    field = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    level = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    unit_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    processing_days = ma.fields.Float(
        required=True,
        allow_nan=False,
        validate=_DAYS,
        metadata={
            "description": "Days of its day_kind (working by default), at most "
            "MOTCUA_MAX_ALLOTMENT_DAYS (365 by default)"
        },
    )
    components = ma.fields.List(ma.fields.Nested(ComponentSchema), load_default=list)
    fee = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    fee_amount = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=0, max=10**12),
        metadata={
            "description": "The fee (đồng) the process collects online before the result is issued; "
            "0: free; null: none collected through the process"
        },
    )
    step_allotments = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(allow_nan=False, validate=_DAYS),
        load_default=dict,
        metadata={"description": "BPMN element id -> working days, each at most MOTCUA_MAX_ALLOTMENT_DAYS"},
    )
    process_key = ma.fields.String(load_default="dossier", validate=ma.validate.Length(min=1, max=255))
    day_kind = ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(DAY_KINDS),
        metadata={
            "description": 'How its "ngày" are counted: working days (office time) or calendar days; '
            "null: as its process says (dayKind), else working days (docs/time.md)"
        },
    )
    legal_basis = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=500)),
        allow_none=True,
        validate=ma.validate.Length(max=100),
    )
    full_online = ma.fields.Boolean()
    active = ma.fields.Boolean(load_default=True)
    full_online = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Offered as a full-process online public service (dịch vụ công trực tuyến "
            "toàn trình): its dossiers count in the QĐ 766 'fully online' indicator"
        },
    )
    version = ma.fields.Integer(dump_only=True)
    valid_from = ma.fields.AwareDateTime(dump_only=True)
    valid_to = ma.fields.AwareDateTime(
        dump_only=True, allow_none=True, metadata={"description": "null: the current version"}
    )
    source = ma.fields.String(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)

    @ma.validates("processing_days")
    def _statutory_processing_days(self, value, **kwargs):
        maximum = _max_days()
        if value > maximum:
            raise ma.ValidationError(f"At most {maximum:g} working days (MOTCUA_MAX_ALLOTMENT_DAYS).")

    @ma.validates("step_allotments")
    def _statutory_step_allotments(self, value, **kwargs):
        maximum = _max_days()
        over = {element: days for element, days in (value or {}).items() if days > maximum}
        if over:
            raise ma.ValidationError(
                {
                    element: [f"{days:g} working days is more than {maximum:g} (MOTCUA_MAX_ALLOTMENT_DAYS)."]
                    for element, days in over.items()
                }
            )

    @ma.post_dump
    def _plain_numbers(self, data, **kwargs):
        if data.get("processing_days") is not None:
            data["processing_days"] = float(data["processing_days"])
        return data


def _max_days() -> float:
    """The largest allotment a procedure may state (the statutory range), in working days."""
    return float(current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"])


class ProcedurePatchSchema(ProcedureSchema):
    """Any subset of a procedure's fields (used with partial=True)."""


ProcedurePage = page_schema(ProcedureSchema, "ProcedurePage")


class ProcedureListArgs(PageArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(max=255), metadata={"description": "Text in code or name"}
    )
    field = ma.fields.String(validate=ma.validate.Length(max=255))
    level = ma.fields.String(validate=ma.validate.Length(max=64))
    unit_code = ma.fields.String(validate=ma.validate.Length(max=64))
    active = ma.fields.Boolean()


class CatalogueFileArgs(RequestSchema):
    file = Upload(required=True, metadata={"description": "A .json (a list of procedures) or .csv catalogue"})


class CatalogueLoadedSchema(ma.Schema):
    created = ma.fields.Integer()
    updated = ma.fields.Integer()


class FieldChangeSchema(ma.Schema):
    field = ma.fields.String()
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)


class ProcedureChangeSchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "new, changed or withdrawn"})
    name = ma.fields.String()
    version = ma.fields.Integer(allow_none=True, metadata={"description": "The current version it changes"})
    fields = ma.fields.List(ma.fields.Nested(FieldChangeSchema))
    problem = ma.fields.String(allow_none=True, metadata={"description": "Why approving it is refused"})


class CatalogueChangeSchema(ma.Schema):
    task_id = ma.fields.UUID()
    kind = ma.fields.String(allow_none=True, metadata={"description": "national, internal_procedure or null"})
    changes = ma.fields.List(ma.fields.Nested(ProcedureChangeSchema))
    refused = ma.fields.Boolean(metadata={"description": "Approving it now would be refused (422)"})
