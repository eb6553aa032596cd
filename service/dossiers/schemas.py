import marshmallow as ma
from webargs.fields import DelimitedList

from integrations.codes import POST_STATUSES

from ..procedures.schemas import ComponentSchema
from ..web import PageArgs, RequestSchema, page_schema
from .drill import STANDINGS
from .models import CHANNELS, PAYMENTS
from .operations import MAX_SETS
from .status import OUTCOMES, DossierStatus, label


class ApplicantSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=255))
    id_number = ma.fields.String(validate=ma.validate.Regexp(r"^\d{9}(\d{3})?$"))
    address = ma.fields.String(validate=ma.validate.Length(max=500))
    phone = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9+ .()-]{6,20}$"))
    email = ma.fields.Email()
    birth_date = ma.fields.String(validate=ma.validate.Length(max=10))
    sex = ma.fields.String(validate=ma.validate.OneOf(["Nam", "Nữ"]))
    zalo_consent = ma.fields.Boolean(
        metadata={
            "description": "The applicant agrees to be told by Zalo (ZNS) at this phone number; "
            "off unless given. SMS needs no consent (a phone number given is one to be told at)."
        }
    )
    cccd_qr = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(max=1000),
        metadata={"description": "The QR string of a chip ID card; fills the fields not given"},
    )


class PickupSchema(ma.Schema):
    address = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    phone = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9+ .()-]{6,20}$"))


class ReceiveArgs(RequestSchema):
    procedure_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    applicant = ma.fields.Nested(ApplicantSchema, required=True)
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    components = ma.fields.List(ma.fields.Nested(ComponentSchema), load_default=list)
    sets = ma.fields.Integer(
        load_default=1,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_SETS),
        metadata={"description": "The number of sets of the dossier received (số bộ hồ sơ, Mẫu 01)"},
    )
    pickup = ma.fields.Nested(
        PickupSchema,
        metadata={
            "description": "The post collects the documents at this address (channel post): the "
            "check at the counter waits until they arrive"
        },
    )


class CCCDArgs(RequestSchema):
    qr = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class CCCDApplicantSchema(ma.Schema):
    """What a CCCD QR string says about its holder (dates as YYYY-MM-DD)."""

    id_number = ma.fields.String(metadata={"description": "The 12-digit CCCD number"})
    old_id_number = ma.fields.String(allow_none=True, metadata={"description": "The old CMND number"})
    name = ma.fields.String()
    birth_date = ma.fields.String(metadata={"description": "YYYY-MM-DD"})
    sex = ma.fields.String(metadata={"enum": ["Nam", "Nữ"]})
    address = ma.fields.String(allow_none=True)
    id_issued_on = ma.fields.String(metadata={"description": "YYYY-MM-DD"})


class StepSchema(ma.Schema):
    element_id = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String(allow_none=True)
    actor = ma.fields.String(allow_none=True)
    started_at = ma.fields.AwareDateTime()
    ended_at = ma.fields.AwareDateTime()
    allotted_days = ma.fields.Float(allow_none=True)
    used_days = ma.fields.Float()
    verdict = ma.fields.String(allow_none=True, metadata={"enum": ["early", "on_time", "late"]})
    outcome = ma.fields.String()


class CurrentStepSchema(ma.Schema):
    task_id = ma.fields.UUID(attribute="id")
    element_id = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.Function(lambda t: t.lane or ", ".join(t.candidate_groups or []) or None)
    assignee = ma.fields.Function(lambda t: t.assignee.username if t.assignee else None)
    due_at = ma.fields.AwareDateTime(allow_none=True)


class DossierSchema(ma.Schema):
    id = ma.fields.UUID()
    code = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String()
    procedure_code = ma.fields.Function(lambda d: d.procedure.code)
    procedure_name = ma.fields.Function(lambda d: d.procedure.name)
    applicant = ma.fields.Dict()
    channel = ma.fields.String()
    status = ma.fields.Integer()
    status_label = ma.fields.Function(lambda d: label(d.status, d.outcome))
    outcome = ma.fields.String(
        allow_none=True,
        metadata={
            "enum": list(OUTCOMES),
            "description": "How the handling ended, where the status does not say",
        },
    )
    submitted_at = ma.fields.AwareDateTime()
    received_at = ma.fields.AwareDateTime(allow_none=True)
    due_at = ma.fields.AwareDateTime(allow_none=True)
    original_due_at = ma.fields.AwareDateTime(allow_none=True)
    appointed_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "The apology's new appointment (Mẫu 04); due_at stays the statutory due"},
    )
    sets = ma.fields.Integer()
    register_book = ma.fields.String(allow_none=True)
    register_number = ma.fields.Integer(allow_none=True)
    paused = ma.fields.Function(lambda d: d.paused_at is not None)
    paused_days = ma.fields.Float()
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    returned_at = ma.fields.AwareDateTime(allow_none=True)
    verdict = ma.fields.String(allow_none=True)
    fee_amount = ma.fields.Function(
        lambda d: d.procedure.fee_amount,
        allow_none=True,
        metadata={"description": "The fee (đồng) the process collects before the result is issued"},
    )
    tracking_number = ma.fields.String(allow_none=True, metadata={"description": "The result's postal item"})
    shipment_status = ma.fields.String(
        allow_none=True,
        metadata={"enum": list(POST_STATUSES), "description": "What the post last said of it"},
    )
    edms_number = ma.fields.String(
        allow_none=True, metadata={"description": "The signed result's number in the documents system"}
    )
    process_instance_id = ma.fields.UUID(attribute="instance_id")


class DossierPaymentSchema(ma.Schema):
    payment_id = ma.fields.String()
    purpose = ma.fields.String(metadata={"enum": ["fee", "financial"]})
    channel = ma.fields.String(metadata={"enum": ["online", "counter"]})
    state = ma.fields.String(metadata={"enum": ["paid", "refused", "expired"]})
    amount = ma.fields.Integer()
    receipt_number = ma.fields.String(allow_none=True)
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    callbacks = ma.fields.Integer()


class DossierDetailSchema(DossierSchema):
    components = ma.fields.List(ma.fields.Dict())
    payments = ma.fields.List(ma.fields.Nested(DossierPaymentSchema))
    fee_paid = ma.fields.Boolean(metadata={"description": "Paid, or the procedure collects none"})
    return_method = ma.fields.String(
        allow_none=True, metadata={"enum": ["counter", "post", "online"], "description": "Once returned"}
    )
    current_steps = ma.fields.List(ma.fields.Nested(CurrentStepSchema))
    steps = ma.fields.List(ma.fields.Nested(StepSchema))
    dvcqg_synced_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When the national portal (DVCQG) first took its status; null: not synced"},
    )
    dvcqg_status = ma.fields.Integer(
        allow_none=True, metadata={"description": "The last status the national portal accepted"}
    )


DossierPage = page_schema(DossierSchema, "DossierPage")


class DossierListArgs(PageArgs):
    status = ma.fields.Integer(validate=ma.validate.OneOf([int(s) for s in DossierStatus]))
    unit = ma.fields.String(validate=ma.validate.Length(max=64))
    procedure = ma.fields.String(validate=ma.validate.Length(max=64))
    overdue = ma.fields.Boolean()
    # The indicators' filters (dossiers/drill.py): the dossiers behind a number of the dashboard.
    org_unit = ma.fields.String(
        validate=ma.validate.Length(max=64),
        metadata={"description": "An org unit's code: its dossiers and its sub-units' (received or handled)"},
    )
    period = ma.fields.String(
        validate=ma.validate.Length(max=32),
        metadata={"description": "A period (month:2026-11, quarter:2026-Q4...): the dossiers it counts"},
    )
    standing = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(STANDINGS)),
        metadata={"description": "How they stood at the period's end (or now): comma-separated"},
    )
    channel = ma.fields.String(validate=ma.validate.OneOf(CHANNELS))
    full_online = ma.fields.Boolean(metadata={"description": "Of a procedure offered fully online"})
    digitised = ma.fields.Boolean(metadata={"description": "Digitised by the period's end (or now)"})
    dvcqg_synced = ma.fields.Boolean(
        metadata={"description": "Synced to the national portal (DVCQG) by the period's end (or now)"}
    )
    finished = ma.fields.Boolean(metadata={"description": "Finished by the period's end (or now)"})
    returned = ma.fields.Boolean(metadata={"description": "Result returned by the period's end (or now)"})
    outcome = ma.fields.String(validate=ma.validate.OneOf(list(OUTCOMES)))
    e_result = ma.fields.Boolean(metadata={"description": "The result was issued electronically"})
    fee_payment = DelimitedList(ma.fields.String(validate=ma.validate.OneOf(PAYMENTS)))
    step = ma.fields.String(
        validate=ma.validate.Length(min=1, max=255),
        metadata={"description": "A step (BPMN element id) of Mẫu 05 completed in the period (or by now)"},
    )
    step_late = ma.fields.Boolean(metadata={"description": "With step: that step was late"})
    min_supplements = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=1000),
        metadata={"description": "At least this many supplement requests by the period's end (or now)"},
    )
    q = ma.fields.String(
        validate=ma.validate.Length(max=200),
        metadata={
            "description": "Words found in the code, the applicant's name (accents optional: 'nguyen thi"
            " anh' finds 'Nguyễn Thị Ánh'), CCCD number or phone; every word must be found"
        },
    )


class WithdrawArgs(RequestSchema):
    reason = ma.fields.String(validate=ma.validate.Length(max=1000))


class DocumentArgs(RequestSchema):
    format = ma.fields.String(load_default="pdf", validate=ma.validate.OneOf(["html", "pdf"]))
    signed = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "The PDF signed with the key of the slip's unit (409 no_signing_key without one)"
        },
    )

    @ma.validates_schema
    def _signed_pdf(self, data, **kwargs):
        if data.get("signed") and data.get("format") == "html":
            raise ma.ValidationError("A signed slip is a PDF: leave out format or give pdf.", "format")
