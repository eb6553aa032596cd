"""Reading notification deliveries, contacts and opt-outs (the API's lists)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..identity.models import User
from ..models_base import page_of
from .models import STATES, NotificationContact, NotificationDelivery, NotificationOptOut


def deliveries(*, state=None, channel=None, template=None, dossier_id=None, page: int, per_page: int):
    conditions = [sa.true()]
    if state:
        if state not in STATES:
            raise NotFound(f"There is no delivery state {state!r} (states: {', '.join(STATES)}).")
        conditions.append(NotificationDelivery.state == state)
    if channel:
        conditions.append(NotificationDelivery.channel == channel)
    if template:
        conditions.append(NotificationDelivery.template == template)
    if dossier_id:
        conditions.append(NotificationDelivery.dossier_id == dossier_id)
    order = (NotificationDelivery.created_at.desc(), NotificationDelivery.id)
    return page_of(NotificationDelivery, sa.and_(*conditions), order, page, per_page)


def get_delivery(delivery_id: uuid.UUID) -> NotificationDelivery:
    delivery = db.session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"There is no notification delivery {delivery_id}.")
    return delivery


def user(username: str) -> User:
    found = db.session.scalar(sa.select(User).where(User.username == username))
    if found is None:
        raise NotFound(f"There is no user {username!r}.")
    return found


def contact(username: str) -> NotificationContact:
    found = db.session.get(NotificationContact, user(username).id)
    if found is None:
        raise NotFound(f"User {username!r} has no notification contact.")
    return found


def opt_outs(page: int, per_page: int):
    return page_of(NotificationOptOut, sa.true(), (NotificationOptOut.id,), page, per_page)
