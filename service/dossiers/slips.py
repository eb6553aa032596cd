"""The official slips (Mẫu 01 to 06) of a dossier: which fit its state, and their context for
service.documents (which renders them, without a database).

A slip is offered (the pages' links) and generated (the API and the pages' slip URL) only where
it fits (`available`, `require_fits`):
- Mẫu 01, 05, 06 once the dossier is registered (numbered; Mẫu 06 is its unit's register for the
  month of its reception);
- Mẫu 02 once a supplement was asked for during processing, or the counter guided the applicant;
- Mẫu 03 when it was refused: not received at the counter, or refused after appraisal;
- Mẫu 04 only once an apology was issued (dossiers/reappoint.py).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from integrations.codes import PAYMENT_CHANNELS, POST_STATUSES

from .. import documents
from ..documents import signing
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..identity.models import OrgUnit, User
from ..identity.operations import unit_name
from ..models_base import utcnow
from ..signatures import keys
from ..tasks.models import Task
from . import drill, lookup, operations, queries
from .models import PAID, Dossier, DossierPause, Payment
from .status import DossierStatus

FORMS = ("mau-01", "mau-02", "mau-03", "mau-04", "mau-05", "mau-06")
# Why a slip does not fit (the `reason` of the 409), per form: the pages word it in their language.
NOT_FITTING = {
    "mau-01": ("not_registered", "the dossier is not registered (it has no code yet)"),
    "mau-02": ("no_supplement", "no supplement was asked for and the counter gave no guidance"),
    "mau-03": ("not_refused", "the dossier was not refused"),
    "mau-04": ("no_apology", "no apology was issued for the dossier"),
    "mau-05": ("not_registered", "the dossier is not registered (it has no code yet)"),
    "mau-06": ("not_registered", "the dossier is not registered, so it is in no register"),
}
PAUSE_KINDS = {"supplement": "Chờ bổ sung, hoàn thiện hồ sơ", "financial": "Chờ thực hiện nghĩa vụ tài chính"}


def fits(dossier: Dossier, form: str) -> bool:
    """Whether the slip `form` fits the dossier's present state (see the module)."""
    registered = dossier.code is not None
    if form in ("mau-01", "mau-05"):
        return registered
    if form == "mau-06":
        return registered and dossier.received_at is not None
    if form == "mau-02":
        return dossier.supplement_requests > 0 or dossier.outcome == "guided"
    if form == "mau-03":
        return dossier.status == DossierStatus.REFUSED or dossier.outcome in ("refused", "not_received")
    if form == "mau-04":
        return dossier.apologised_at is not None
    return False


def available(dossier: Dossier) -> list[str]:
    """The slips that fit the dossier, in the order of the forms."""
    return [form for form in FORMS if fits(dossier, form)]


def require_fits(dossier: Dossier, form: str) -> None:
    """409 `slip_not_available` (details: form, reason) for a slip that does not fit."""
    if fits(dossier, form):
        return
    reason, text = NOT_FITTING[form]
    raise Conflict(
        f"The slip {form} does not fit dossier {dossier.code or dossier.id}: {text}.",
        code="slip_not_available",
        details={"form": form, "reason": reason, "available": available(dossier)},
    )


def _variables(dossier: Dossier) -> dict:
    return operations.instances.get(dossier.instance_id).variables or {}


def _display(username: str | None) -> str | None:
    if not username:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return (user.display_name or user.username) if user else username


def receiving_unit(dossier: Dossier, data: dict, agency: dict) -> str | None:
    """The name of the unit that received the dossier: the receiving officer's org unit, else the
    unit whose national code numbers it, else the agency's configured unit."""
    code = data.get("reception_unit")
    if isinstance(code, str) and code:
        return unit_name(code)
    name = db.session.scalar(
        sa.select(OrgUnit.name).where(OrgUnit.national_code == dossier.unit_code).limit(1)
    )
    return name or agency.get("unit_name")


def _agency(dossier: Dossier, data: dict, agency: dict) -> dict:
    return {**agency, "unit_name": receiving_unit(dossier, data, agency)}


def _register(dossier: Dossier) -> dict:
    """The dossier's line in its unit's register, as Mẫu 01 and Mẫu 06 print it (blank dots
    before it is registered, to be written in by hand)."""
    number = dossier.register_number
    return {"book": dossier.register_book or "……", "number": str(number) if number else "……"}


def _supplement(dossier: Dossier, data: dict) -> dict:
    """Mẫu 02: the items asked for, each with its form (bản chính / bản sao / bản chụp) and
    quantity from the procedure's components, and the moment of the request (the start of the
    last supplement pause, or the counter's guidance)."""
    catalogue = {c.get("name"): c for c in dossier.procedure.components or [] if isinstance(c, dict)}
    items = []
    for item in data.get("missing_items") or []:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            continue
        known = catalogue.get(name) or {}
        given = item if isinstance(item, dict) else {}
        items.append(
            {
                "name": name,
                "form": given.get("form") or known.get("form"),
                "quantity": given.get("quantity") or known.get("quantity") or 1,
            }
        )
    requested_at = db.session.scalar(
        sa.select(DossierPause.started_at)
        .where(DossierPause.dossier_id == dossier.id, DossierPause.kind == "supplement")
        .order_by(DossierPause.started_at.desc())
        .limit(1)
    )
    if requested_at is None and dossier.outcome == "guided":
        requested_at = dossier.finished_at
    return {
        "items": items,
        "reason": data.get("supplement_reason") or data.get("guidance"),
        "requested_at": requested_at,
    }


def _pauses(dossier: Dossier) -> list[dict]:
    rows = db.session.scalars(
        sa.select(DossierPause).where(DossierPause.dossier_id == dossier.id).order_by(DossierPause.started_at)
    )
    return [
        {
            "kind": PAUSE_KINDS.get(pause.kind, pause.kind),
            "started_at": pause.started_at,
            "ended_at": pause.ended_at,
            "working_days": pause.working_days,
        }
        for pause in rows
    ]


def _payments(dossier: Dossier, data: dict) -> list[dict]:
    """What the applicant paid (Mẫu 05): the payments recorded, online or at the counter, and a
    financial obligation's receipt the counter recorded in its step."""
    rows = db.session.scalars(
        sa.select(Payment)
        .where(Payment.dossier_id == dossier.id, Payment.state == PAID)
        .order_by(Payment.created_at, Payment.id)
    )
    paid = [
        {
            "purpose": PAYMENT_PURPOSES_VI[row.purpose],
            "channel": PAYMENT_CHANNELS.get(row.channel, row.channel),
            "amount": row.amount,
            "receipt_number": row.receipt_number,
            "paid_at": row.paid_at,
        }
        for row in rows
    ]
    if data.get("obligation_met") and data.get("receipt_number"):
        paid.append(
            {
                "purpose": PAYMENT_PURPOSES_VI["financial"],
                "channel": PAYMENT_CHANNELS["counter"],
                "amount": data.get("amount_paid"),
                "receipt_number": data.get("receipt_number"),
                "paid_at": data.get("paid_on"),
            }
        )
    return paid


PAYMENT_PURPOSES_VI = {"fee": "Phí, lệ phí", "financial": "Nghĩa vụ tài chính"}


def dossier_context(dossier: Dossier, *, agency: dict) -> dict:
    """Everything Mẫu 01 to 05 show, from the dossier, its steps and its process variables."""
    data = _variables(dossier)
    steps = queries.steps(dossier)
    handovers, previous = [], None
    for step in steps:
        if step.outcome != "completed":
            continue
        handovers.append(
            {
                "from_unit": previous.unit if previous else "Bộ phận Một cửa",
                "to_unit": step.unit,
                "handed_at": step.started_at,
                "giver": _display(previous.actor) if previous else None,
                "receiver": _display(step.actor),
                "verdict": step.verdict,
                "note": step.name,
            }
        )
        previous = step
    receiver = next((s.actor for s in steps if s.element_id in ("receive", "digitise")), None)
    apologiser = next((s.actor for s in reversed(steps) if s.element_id == "apology"), None)
    procedure = dossier.procedure
    return {
        "agency": _agency(dossier, data, agency),
        "code": dossier.code or str(dossier.id),
        "procedure": {
            "code": procedure.code,
            "name": procedure.name,
            "field": procedure.field,
            "processing_days": float(procedure.processing_days),
            "fee": procedure.fee,
        },
        "applicant": dossier.applicant,
        "channel": dossier.channel,
        "components": dossier.components,
        "sets": dossier.sets,
        "received_at": dossier.received_at or dossier.submitted_at,
        "due_at": dossier.due_at,
        "new_due_at": dossier.appointed_at,
        "apologised_at": dossier.apologised_at,
        "signer": _display(apologiser),
        "receiver": _display(receiver),
        "return_place": agency.get("return_place"),
        "supplement": _supplement(dossier, data),
        "register": _register(dossier),
        "refusal_reason": data.get("refusal_reason") or data.get("proposed_refusal_reason"),
        "apology_reason": data.get("reason") or data.get("apology_reason"),
        "processing_unit": unit_name(procedure.unit_code),
        "coordinating_units": [
            unit_name(code) for code in data.get("agencies") or [] if isinstance(code, str)
        ],
        "steps": handovers,
        "pauses": _pauses(dossier),
        "payments": _payments(dossier, data),
        "return_method": data.get("method") if dossier.returned_at else None,
        "tracking_number": dossier.tracking_number,
        "shipment_status": POST_STATUSES.get(dossier.shipment_status or ""),
        "edms_number": dossier.edms_number,
        "contact": agency.get("contact"),
        "lookup_pin": dossier.lookup_pin,
        "lookup_url": lookup.public_url(dossier.code),
        "lookup_page": lookup.public_url(None),
        "generated_at": utcnow(),
    }


def register_context(dossier: Dossier, *, agency: dict) -> dict:
    """Mẫu 06: the register of the dossier's unit for the month of its reception, each row with
    its line in the register (the same number as its Mẫu 01)."""
    moment = (dossier.received_at or dossier.submitted_at).astimezone(drill.zone())  # the office's month
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = db.session.scalars(
        sa.select(Dossier)
        .where(
            Dossier.unit_code == dossier.unit_code, Dossier.received_at >= start, Dossier.received_at < end
        )
        .order_by(Dossier.register_book, Dossier.register_number, Dossier.received_at)
    )
    out = []
    for row in rows:
        transferred = db.session.scalar(
            sa.select(Task.created_at)
            .where(Task.instance_id == row.instance_id, Task.element_id == "assign")
            .limit(1)
        )
        out.append(
            {
                "number": row.register_number,
                "code": row.code,
                "procedure": {"code": row.procedure.code, "name": row.procedure.name},
                "applicant": row.applicant,
                "quantity": row.sets,
                "processing_unit": unit_name(row.procedure.unit_code),
                "received_at": row.received_at,
                "due_at": row.due_at,
                "new_due_at": row.appointed_at,
                "transferred_at": transferred,
                "returned_at": row.returned_at,
                "return_method": _variables(row).get("method"),
                "tracking_number": row.tracking_number,
                "note": None,
            }
        )
    last_day = (end - timedelta(days=1)).date()
    return {
        "agency": _agency(dossier, _variables(dossier), agency),
        "book": dossier.register_book,
        "period_from": start.date(),
        "period_to": last_day,
        "rows": out,
    }


# The slips the handling unit issues (the apology, the control slip); the others are the reception's.
HANDLING_FORMS = frozenset({"mau-04", "mau-05"})


def signing_unit(dossier: Dossier, form: str) -> str | None:
    """The org unit whose key signs a slip: the handling unit (the procedure's) for Mẫu 04 and 05,
    else the receiving unit (the receiving officer's unit, else the unit the dossier's code
    names)."""
    if form in HANDLING_FORMS:
        return dossier.procedure.unit_code
    received_by = _variables(dossier).get("reception_unit")
    if isinstance(received_by, str) and received_by:
        return received_by
    named = sa.or_(OrgUnit.code == dossier.unit_code, OrgUnit.national_code == dossier.unit_code)
    return db.session.scalar(sa.select(OrgUnit.code).where(named).order_by(OrgUnit.id).limit(1))


def render_signed(dossier: Dossier, form: str, *, agency: dict) -> tuple[bytes, str, str]:
    """The slip's PDF signed (PAdES, a visible block on its last page) with the key of its unit
    (`signing_unit`): 409 `slip_not_available` as `render`, 409 `no_signing_key` when the unit has
    none installed."""
    require_fits(dossier, form)
    unit = signing_unit(dossier, form)
    signer = keys.signer_for(unit)
    if signer is None:
        raise Conflict(
            f"The unit {unit or '(none)'} has no signing key configured; an administrator installs it "
            "(MOTCUA_SIGNING_KEYS_DIR).",
            code="no_signing_key",
            details={"unit": unit, "form": form},
        )
    body, mimetype, filename = render(dossier, form, "pdf", agency=agency)
    try:
        signed = signing.sign(
            body,
            signer,
            reason=f"{form.replace('mau-', 'Mẫu ')} {dossier.code or dossier.id}",
            location=unit_name(unit) if unit else "",
            font=keys.font(),
        )
    except signing.SigningFailed as error:
        raise Unprocessable(f"The slip cannot be signed: {error}", code="cannot_sign") from error
    return signed, mimetype, filename.removesuffix(".pdf") + "-ky-so.pdf"


def render(dossier: Dossier, form: str, kind: str, *, agency: dict) -> tuple[bytes | str, str, str]:
    """A slip that fits the dossier (else the 409 of `require_fits`) as (body, media type, file
    name): printable HTML (`kind` "html") or PDF."""
    require_fits(dossier, form)
    if form == "mau-06":
        context = register_context(dossier, agency=agency)
    else:
        context = dossier_context(dossier, agency=agency)
    filename = f"{form}-{dossier.code or dossier.id}"
    if kind == "html":
        return documents.render_html(form, context), "text/html", f"{filename}.html"
    return documents.render_pdf(form, context), "application/pdf", f"{filename}.pdf"
