"""The one place where the national portal's fields and codes meet Motcua's (docs/integrations.md,
"National public-service portal"). The portal's integration documents are not public: the names
here are Motcua's, the codes are DOMAIN.md §1's (TrangThaiHoSo 1-10, KenhThucHien 1-3, from an
implementation that syncs to DVCQG [T]); the contract of the connector is
integrations/contracts/dvc.json."""

from __future__ import annotations

from ..dossiers.status import label

CONNECTOR_OPERATION = "dvc/update_status"
SCOPE_NAME = "dvcqg"  # the token scope integrations:dvcqg

# KenhThucHien <-> Motcua's channel (dossiers.models.CHANNELS).
CHANNEL_CODES = {"counter": 1, "online": 2, "post": 3}
ONLINE = CHANNEL_CODES["online"]


def idempotency_key(event_id: int) -> str:
    """The key of a status push: the same on every attempt, so the portal applies it once."""
    return f"dvcqg-status-{event_id}"


def applicant(data: dict) -> dict:
    """The portal's applicant as Motcua keeps it (the same names: see the inbound schema)."""
    return {k: v for k, v in data.items() if v not in (None, "")}


def components(items: list[dict]) -> list[dict]:
    """The dossier's components without their files (kept as attachments)."""
    return [
        {k: v for k, v in item.items() if k in ("name", "form", "quantity") and v is not None}
        for item in items
    ]


def fee(data: dict | None) -> dict | None:
    """The fee as the portal says it: amount (VND), paid or not, the receipt's number."""
    if not data:
        return None
    return {"amount": data.get("amount", 0), "paid": bool(data.get("paid")), "receipt": data.get("receipt")}


def connector() -> str:
    """The connector's name (`dvc`): configured in MOTCUA_CONNECTORS, every dossier is synced."""
    return CONNECTOR_OPERATION.partition("/")[0]


def status_params(dossier, *, event_id: int, payload: dict, changed_at, first: bool = False) -> dict:
    """The parameters of `dvc/update_status` for one status change of a dossier (the outbox
    event's payload: from, to, the code as it was then). A portal dossier is named by its
    `portal_id`; another (counter, post: `portal_id` null) by its code, and its first push also
    carries what the portal needs to create it: the procedure's code and the applicant's name,
    nothing more of the applicant (the channel, received and due moments are in every push)."""
    status, previous = payload["to"], payload.get("from")
    params = {
        "portal_id": dossier.portal_id,
        "code": payload.get("code"),
        "status": int(status),
        "previous": int(previous) if previous is not None else None,
        "status_name": label(int(status)),
        "channel": CHANNEL_CODES.get(dossier.channel, ONLINE),
        "changed_at": changed_at.isoformat(),
        "received_at": dossier.received_at.isoformat() if dossier.received_at else None,
        "due_at": dossier.return_due.isoformat() if dossier.return_due else None,
        "sequence": int(event_id),
    }
    if first and dossier.portal_id is None:
        params["procedure_code"] = dossier.procedure.code
        params["applicant_name"] = (dossier.applicant or {}).get("name") or None
    return params
