"""What to tell whom: the relay's consumer turning the outbox's events into deliveries, and the
officers' contacts and opt-outs the administrators keep.

`enqueue(events, now)` runs in the relay's transaction (service/relay.py), so an event becomes its
deliveries exactly when it is marked relayed; each delivery's unique key (event, recipient,
channel), written with ON CONFLICT DO NOTHING, keeps an event that is relayed again from adding
any. The events told:

- `dossier.status_changed` to 2 (receipt, Mẫu 01), 5 (supplement requested), 9 (result ready) and
  `dossier.reappointed` (the apology's new appointment, Mẫu 04): to the applicant, by SMS to the
  dossier's phone, and by Zalo when the applicant agreed at reception (`applicant.zalo_consent`);
- `task.created`: to the assignee, else to the candidate groups' members (in the task's unit), on
  the channels of their contact (`notification_contacts`).

A channel is used only when its connector is configured (MOTCUA_CONNECTORS names `sms`, `zalo`);
a phone that opted out of a channel gets a `skipped` row, never a message.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from ..dossiers import lookup
from ..dossiers.models import Dossier
from ..errors import Conflict, NotFound, Unprocessable
from ..extensions import db
from ..identity.models import Group, OrgUnit, User, user_groups
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..tasks.models import OPEN, Task
from . import mapping, templates
from .models import CHANNELS, PENDING, SKIPPED, NotificationContact, NotificationDelivery, NotificationOptOut

# The dossier statuses the applicant is told of, and the template of each.
STATUS_TEMPLATES = {2: "receipt", 5: "supplement", 9: "result"}
MAX_GROUP_RECIPIENTS = 50


def channels() -> tuple[str, ...]:
    """The channels whose connector is configured."""
    configured = current_app.extensions["motcua.connectors"].configs
    return tuple(c for c in CHANNELS if c in configured)


def template_set() -> dict[str, templates.MessageTemplate]:
    return templates.load(current_app.config.get("MOTCUA_NOTIFICATION_TEMPLATES") or None)


# --- the relay's consumer -----------------------------------------------------------------------


def enqueue(events, now: datetime) -> int:
    """The deliveries of these outbox events (rows of OutboxEvent); returns how many were written."""
    open_channels = channels()
    if not open_channels:
        return 0
    rows: list[dict] = []
    for event in events:
        payload = event.payload or {}
        if event.topic == "dossier.status_changed" and payload.get("to") in STATUS_TEMPLATES:
            rows += _to_applicant(event.id, payload, STATUS_TEMPLATES[payload["to"]], open_channels, now)
        elif event.topic == "dossier.reappointed":
            rows += _to_applicant(event.id, payload, "apology", open_channels, now)
        elif event.topic == "task.created":
            rows += _to_officers(event.id, payload, open_channels, now)
    if not rows:
        return 0
    _skip_opted_out(rows)
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NotificationDelivery.__table__)
    db.session.execute(
        insert.on_conflict_do_nothing(index_elements=["event_id", "recipient", "channel"]), rows
    )
    return len(rows)


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).strftime("%H:%M %d/%m/%Y")


def _row(event_id, template, channel, recipient, phone, values, now, dossier_id=None) -> dict:
    ident = uuid.uuid4()
    sms = {
        "segments": int(current_app.config["MOTCUA_SMS_MAX_SEGMENTS"]),
        "unicode": bool(current_app.config["MOTCUA_SMS_UNICODE"]),
        "brandname": current_app.config["MOTCUA_SMS_BRANDNAME"],
    }
    params = mapping.params(channel, template, values, to=phone, reference=str(ident), sms=sms)
    return {
        "id": ident,
        "event_id": event_id,
        "template": template.id,
        "channel": channel,
        "recipient": recipient,
        "phone": phone,
        "dossier_id": dossier_id,
        "params": params,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": None,
    }


def dossier_values(dossier: Dossier) -> dict:
    """What the applicant's templates say of a dossier (the names of templates.VALUES)."""
    instance = db.session.get(ProcessInstance, dossier.instance_id)
    variables = (instance.variables if instance is not None else None) or {}
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "appointment": _local(dossier.return_due),
        "lookup_url": lookup.public_url(dossier.code),
        "pin": dossier.lookup_pin,
        "reason": str(variables.get("supplement_reason") or "").strip().rstrip("."),  # the template ends it
    }


def _to_applicant(event_id, payload, template_id, open_channels, now) -> list[dict]:
    try:
        dossier = db.session.get(Dossier, uuid.UUID(str(payload.get("dossier_id"))))
    except ValueError:
        return []
    if dossier is None:
        return []
    applicant = dossier.applicant or {}
    phone = mapping.phone(applicant.get("phone"))
    if phone is None:
        return []
    wanted = [
        c for c in open_channels if c == "sms" or (c == "zalo" and applicant.get("zalo_consent") is True)
    ]
    template, values = template_set()[template_id], dossier_values(dossier)
    return [_row(event_id, template, c, "applicant", phone, values, now, dossier.id) for c in wanted]


def _to_officers(event_id, payload, open_channels, now) -> list[dict]:
    try:
        task = db.session.get(Task, uuid.UUID(str(payload.get("task_id"))))
    except ValueError:
        return []
    if task is None or task.state != OPEN:
        return []
    if task.assignee_id is not None:
        users, template_id = [task.assignee_id], "task"
    elif task.candidate_groups:
        members = (
            sa.select(User.id)
            .join(user_groups, user_groups.c.user_id == User.id)
            .join(Group, Group.id == user_groups.c.group_id)
            .where(Group.name.in_(task.candidate_groups), User.is_active)
            .distinct()
            .order_by(User.id)
            .limit(MAX_GROUP_RECIPIENTS)
        )
        if task.unit:
            members = members.join(OrgUnit, OrgUnit.id == User.org_unit_id).where(OrgUnit.code == task.unit)
        users, template_id = list(db.session.scalars(members)), "task_group"
    else:
        return []
    contacts = db.session.scalars(
        sa.select(NotificationContact).where(NotificationContact.user_id.in_(users))
    )
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == task.instance_id))
    base = (current_app.config.get("MOTCUA_PUBLIC_URL") or "").rstrip("/")
    values = {
        "task": task.name,
        "group": ", ".join(task.candidate_groups or []),
        "code": dossier.code if dossier is not None else None,
        "due": _local(task.due_at),
        "url": f"{base}/ui/tasks/{task.id}" if base else None,
    }
    template, rows = template_set()[template_id], []
    for contact in contacts:
        phone = mapping.phone(contact.phone)
        for channel in open_channels:
            if phone and getattr(contact, channel):
                recipient = f"user:{contact.user_id}"
                dossier_id = dossier.id if dossier is not None else None
                rows.append(_row(event_id, template, channel, recipient, phone, values, now, dossier_id))
    return rows


def _skip_opted_out(rows: list[dict]) -> None:
    phones = {row["phone"] for row in rows}
    out = set(
        db.session.execute(
            sa.select(NotificationOptOut.phone, NotificationOptOut.channel).where(
                NotificationOptOut.phone.in_(phones)
            )
        ).all()
    )
    for row in rows:
        if (row["phone"], row["channel"]) in out:
            row["state"], row["last_error"] = SKIPPED, "The recipient opted out of this channel."


def opted_out(phone: str | None, channel: str) -> bool:
    return (
        phone is not None
        and db.session.scalar(
            sa.select(sa.literal(True)).where(
                NotificationOptOut.phone == phone, NotificationOptOut.channel == channel
            )
        )
        is not None
    )


# --- contacts and opt-outs (administrators) --------------------------------------------------------


def _phone_or_422(value: str, field: str = "phone") -> str:
    found = mapping.phone(value)
    if found is None:
        message = f"“{value}” is not a Vietnamese mobile number (0xxxxxxxxx or 84xxxxxxxxx)."
        raise Unprocessable(message, code="phone_invalid", details={"fields": {field: [message]}})
    return found


def set_contact(user: User, *, phone: str, sms: bool, zalo: bool) -> NotificationContact:
    """An officer's phone and channels (replacing what was there)."""
    contact = db.session.get(NotificationContact, user.id) or NotificationContact(user_id=user.id)
    contact.phone, contact.sms, contact.zalo, contact.updated_at = _phone_or_422(phone), sms, zalo, utcnow()
    db.session.add(contact)
    db.session.flush()
    return contact


def opt_out(phone: str, channel: str, *, note: str | None, actor) -> NotificationOptOut:
    number = _phone_or_422(phone)
    if db.session.scalar(
        sa.select(NotificationOptOut).where(
            NotificationOptOut.phone == number, NotificationOptOut.channel == channel
        )
    ):
        raise Conflict(f"{number} already opted out of {channel}.", code="already_opted_out")
    row = NotificationOptOut(
        phone=number,
        channel=channel,
        note=note,
        created_by=getattr(actor, "username", None),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def opt_in(opt_out_id: int) -> None:
    row = db.session.get(NotificationOptOut, opt_out_id)
    if row is None:
        raise NotFound(f"There is no opt-out {opt_out_id}.")
    db.session.delete(row)
    db.session.flush()
