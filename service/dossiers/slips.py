"""The context of the official slips (Mẫu 01 to 06) of a dossier, for service.documents."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..identity.models import User
from ..identity.operations import unit_name
from ..models_base import utcnow
from ..tasks.models import Task
from . import lookup, operations, queries
from .models import Dossier


def _variables(dossier: Dossier) -> dict:
    return operations.instances.get(dossier.instance_id).variables or {}


def _display(username: str | None) -> str | None:
    if not username:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return (user.display_name or user.username) if user else username


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
    procedure = dossier.procedure
    return {
        "agency": agency,
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
        "sets": 1,
        "received_at": dossier.received_at or dossier.submitted_at,
        "due_at": dossier.due_at,
        "new_due_at": data.get("new_due_date"),
        "receiver": _display(receiver),
        "return_place": agency.get("return_place"),
        "supplement": {
            "items": [{"name": item, "quantity": 1} for item in data.get("missing_items") or []]
            if isinstance(data.get("missing_items"), list)
            else [],
            "reason": data.get("supplement_reason") or data.get("guidance"),
        },
        # The paper register's book and line, as the digitise step recorded them (blank dots on a
        # receipt printed before that step, to be written in by hand).
        "register": {
            "book": str(data.get("register_book") or "").strip() or "……",
            "number": str(data.get("register_number") or "").strip() or "……",
        },
        "refusal_reason": data.get("refusal_reason"),
        "apology_reason": data.get("reason") or data.get("apology_reason"),
        "processing_unit": unit_name(procedure.unit_code),
        "coordinating_units": [
            unit_name(code) for code in data.get("agencies") or [] if isinstance(code, str)
        ],
        "steps": handovers,
        "contact": agency.get("contact"),
        "lookup_pin": dossier.lookup_pin,
        "lookup_url": lookup.public_url(dossier.code),
        "lookup_page": lookup.public_url(None),
        "generated_at": utcnow(),
    }


def register_context(dossier: Dossier, *, agency: dict) -> dict:
    """Mẫu 06: the register of the dossier's unit for the month of its reception."""
    moment = dossier.received_at or dossier.submitted_at
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = db.session.scalars(
        sa.select(Dossier)
        .where(
            Dossier.unit_code == dossier.unit_code, Dossier.received_at >= start, Dossier.received_at < end
        )
        .order_by(Dossier.received_at)
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
                "code": row.code,
                "procedure": {"code": row.procedure.code, "name": row.procedure.name},
                "applicant": row.applicant,
                "quantity": 1,
                "processing_unit": row.procedure.unit_code,
                "received_at": row.received_at,
                "due_at": row.due_at,
                "transferred_at": transferred,
                "returned_at": row.returned_at,
                "return_method": _variables(row).get("method"),
                "note": None,
            }
        )
    last_day = (end - timedelta(days=1)).date()
    return {"agency": agency, "period_from": start.date(), "period_to": last_day, "rows": out}
