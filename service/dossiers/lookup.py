"""The public lookup (tra cứu hồ sơ): an applicant reads the state of their dossier with its code
and the lookup PIN printed on Mẫu 01, without logging in.

What it shows is chosen here, field by field: the status as people read it, the procedure, the
reception and due moments, the steps by name with their dates (never an officer's name or a unit
code), and what is asked of the applicant (the items to supplement, the financial obligations to
meet). A wrong code and a wrong PIN answer the same (nothing tells which codes exist); the page
throttles guesses per address.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..instances.models import ProcessInstance
from .models import Dossier, DossierStep
from .status import DossierStatus, label

PIN_DIGITS = 6
MAX_CODE = 64


def new_pin() -> str:
    """A fresh lookup PIN (six random digits), given when the dossier is numbered."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def public_url(code: str | None) -> str | None:
    """<MOTCUA_PUBLIC_URL>/tra-cuu (with ?ma=<code>), or None when no public address is set."""
    base = (current_app.config.get("MOTCUA_PUBLIC_URL") or "").rstrip("/")
    if not base:
        return None
    return f"{base}/tra-cuu" + (f"?ma={quote(code, safe='')}" if code else "")


@dataclass(frozen=True)
class PublicStep:
    name: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class PublicDossier:
    code: str
    procedure: str
    status: str
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    paused: bool
    waiting_for: str | None = None  # while paused: "supplement" or "financial" (an obligation)
    steps: list[PublicStep] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    request_reason: str | None = None


def find(code: str, pin: str) -> PublicDossier | None:
    """The public view of the dossier with this code and PIN, or None (the same for either wrong)."""
    code, pin = (code or "").strip()[:MAX_CODE], (pin or "").strip()[:16]
    if not code or not pin:
        return None
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    expected = (dossier.lookup_pin or "") if dossier is not None else ""
    # Compared in constant time even for an unknown code (against an empty PIN, which never matches).
    if not hmac.compare_digest(expected.encode(), pin.encode()) or dossier is None or not expected:
        return None
    return _view(dossier)


# What is asked of the applicant while the dossier waits for them: the variable listing it (a
# supplement: Mẫu 02's items; a financial obligation: the sums to pay, with the amount if known).
_ASKED = {
    DossierStatus.SUPPLEMENT: "missing_items",
    DossierStatus.FINANCIAL: "financial_obligations",
}

_WAITING = {DossierStatus.SUPPLEMENT: "supplement", DossierStatus.FINANCIAL: "financial"}


def _view(dossier: Dossier) -> PublicDossier:
    steps = db.session.scalars(
        sa.select(DossierStep)
        .where(DossierStep.dossier_id == dossier.id, DossierStep.outcome == "completed")
        .order_by(DossierStep.ended_at, DossierStep.id)
    ).all()
    requested, reason = [], None
    if dossier.status in _ASKED:
        data = (
            db.session.scalar(
                sa.select(ProcessInstance.variables).where(ProcessInstance.id == dossier.instance_id)
            )
            or {}
        )
        items = data.get(_ASKED[DossierStatus(dossier.status)])
        requested = [str(item)[:500] for item in items] if isinstance(items, list) else []
        if dossier.status == DossierStatus.SUPPLEMENT:
            reason = str(data.get("supplement_reason") or "")[:2000] or None
        elif isinstance(amount := data.get("financial_amount"), int) and not isinstance(amount, bool):
            reason = f"Số tiền phải nộp: {amount:,} đồng".replace(",", ".")
    return PublicDossier(
        code=dossier.code or "",
        procedure=dossier.procedure.name,
        status=label(dossier.status, dossier.outcome),
        received_at=dossier.received_at,
        due_at=dossier.return_due,  # the apology's new appointment once made (Mẫu 04)
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        paused=dossier.paused_at is not None,
        waiting_for=_WAITING.get(dossier.status) if dossier.paused_at is not None else None,
        steps=[PublicStep(step.name, step.started_at, step.ended_at) for step in steps],
        requested=requested,
        request_reason=reason,
    )
