"""Webhooks: the subscriptions (subscribe a URL, its secret shown once; pause, resume, delete) and
the delivery log with its dead letters and the replay action, as the API offers them."""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from ... import uow
from ...errors import NotFound, ServiceError
from ...webhooks import operations as webhooks
from ...webhooks import queries as webhook_reads
from ...webhooks.queries import STATES
from .. import bp, display
from .common import (
    REQUIRED,
    MultiCheckboxField,
    RevokeForm,
    admin_user,
    list_page,
    place_errors,
    refused,
    select,
)

EVENT_LABELS = {
    "instance.started": _l("Tiến trình bắt đầu"),
    "instance.completed": _l("Tiến trình kết thúc"),
    "instance.failed": _l("Tiến trình gặp lỗi"),
    "task.created": _l("Công việc mới"),
    "task.completed": _l("Công việc hoàn thành"),
    "dossier.status_changed": _l("Hồ sơ đổi trạng thái"),
    "dossier.reappointed": _l("Hồ sơ hẹn lại ngày trả kết quả"),
    "external_task.created": _l("Việc mới cho hệ thống ngoài"),
    "incident.raised": _l("Phát sinh sự cố"),
}
STATE_LABELS = {
    "pending": _l("Chờ gửi"),
    "delivering": _l("Đang gửi"),
    "delivered": _l("Đã gửi"),
    "dead": _l("Gửi không thành"),
}


class SubscriptionForm(FlaskForm):
    url = StringField(
        _l("Địa chỉ nhận (URL)"),
        validators=[DataRequired(message=REQUIRED), Length(max=2048, message=_l("Quá dài."))],
    )
    events = MultiCheckboxField(
        _l("Sự kiện"),
        choices=select((name, label) for name, label in EVENT_LABELS.items() if name in webhooks.EVENTS),
        validators=[DataRequired(message=_l("Hãy chọn ít nhất một sự kiện."))],
    )
    description = StringField(
        _l("Mô tả"), validators=[Optional(), Length(max=255, message=_l("Tối đa 255 ký tự."))]
    )


@bp.route("/admin/webhooks", methods=["GET", "POST"], endpoint="admin_webhooks")
def webhooks_page():
    actor = admin_user()
    form = SubscriptionForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            subscription = webhooks.create(
                form.url.data.strip(),
                form.events.data,
                secret=None,
                description=(form.description.data or "").strip() or None,
                actor=actor,
            )
        except ServiceError as exc:
            uow.discard()
            messages = {
                "url": _l(
                    "Địa chỉ không dùng được: cần http(s) tới một máy chủ công khai (không phải "
                    "địa chỉ nội bộ)."
                ),
                "events": _l("Hãy chọn ít nhất một sự kiện."),
            }
            if not place_errors(form, exc, messages):
                form.form_errors.append(refused(exc))
            status = 422
        else:
            created = {"secret": subscription.secret, "url": subscription.url}
            form = SubscriptionForm(formdata=None)
    elif request.method == "POST":
        status = 422
    return list_page(
        "ui/admin_webhooks.html",
        webhook_reads.subscriptions,
        name="subscriptions",
        row=_subscription_row,
        status=status,
        form=form,
        created=created,
        action_form=RevokeForm(formdata=None),
    )


def _subscription_row(subscription) -> dict:
    return {
        "subscription": subscription,
        "events": [str(EVENT_LABELS.get(name, name)) for name in subscription.events],
        "created": display.local_datetime(subscription.created_at),
    }


def _subscription(subscription_id: int):
    if subscription_id > 2**31 - 1:
        raise NotFound(f"There is no webhook subscription {subscription_id}.")
    return webhook_reads.get(subscription_id)


@bp.post("/admin/webhooks/<int:subscription_id>/active", endpoint="admin_webhook_active")
def webhook_active(subscription_id):
    admin_user()
    RevokeForm().validate_on_submit()  # the CSRF token was checked by authenticate() already
    subscription = _subscription(subscription_id)
    active = request.form.get("active") == "1"
    webhooks.update(subscription, {"active": active})
    flash(_("Đã bật lại đăng ký.") if active else _("Đã tạm dừng đăng ký."), "success")
    return redirect(url_for("ui.admin_webhooks"))


@bp.post("/admin/webhooks/<int:subscription_id>/delete", endpoint="admin_webhook_delete")
def webhook_delete(subscription_id):
    admin_user()
    RevokeForm().validate_on_submit()
    webhooks.delete(_subscription(subscription_id))
    flash(_("Đã xóa đăng ký và nhật ký gửi của nó."), "success")
    return redirect(url_for("ui.admin_webhooks"))


@bp.route("/admin/webhooks/deliveries", endpoint="admin_webhook_deliveries")
def deliveries_page():
    admin_user()
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    try:
        subscription_id = int(request.args.get("subscription", ""))
    except ValueError:
        subscription_id = None
    if subscription_id is not None and not 1 <= subscription_id <= 2**31 - 1:
        subscription_id = None
    return list_page(
        "ui/admin_webhook_deliveries.html",
        lambda page, per_page: webhook_reads.deliveries(
            subscription_id=subscription_id, state=state or None, page=page, per_page=per_page
        ),
        name="deliveries",
        row=_delivery_row,
        state=state,
        states=[(name, str(STATE_LABELS.get(name, name))) for name in STATES],
        subscription_id=subscription_id,
        replay_form=RevokeForm(formdata=None),
    )


def _delivery_row(delivery) -> dict:
    return {
        "delivery": delivery,
        "event": str(EVENT_LABELS.get(delivery.topic, delivery.topic)),
        "state": str(STATE_LABELS.get(delivery.state, delivery.state)),
        "created": display.local_datetime(delivery.created_at),
        "next": display.local_datetime(delivery.next_attempt_at),
        "delivered": display.local_datetime(delivery.delivered_at),
        "replayable": delivery.state in ("dead", "delivered"),
    }


@bp.post("/admin/webhooks/deliveries/<uuid:delivery_id>/replay", endpoint="admin_webhook_replay")
def delivery_replay(delivery_id: uuid.UUID):
    admin_user()
    RevokeForm().validate_on_submit()
    try:
        webhooks.replay(webhook_reads.get_delivery(delivery_id))
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        uow.discard()
        flash(refused(exc), "error")
    else:
        flash(_("Đã xếp lịch gửi lại."), "success")
    return redirect(url_for("ui.admin_webhook_deliveries", **request.args))
