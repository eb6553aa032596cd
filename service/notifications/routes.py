"""/api/v1/notifications and /api/v1/notification-deliveries: the messages to applicants and
officers (SMS, Zalo), their templates, the officers' contacts and the opt-outs."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import Forbidden
from ..identity.auth import current_user
from ..identity.permissions import admin_only, authorise
from ..web import PageArgs, page
from . import operations, queries, sending, templates
from .schemas import (
    ContactArgs,
    ContactSchema,
    DeliveryArgs,
    DeliveryPage,
    NotificationDeliverySchema,
    OptOutArgs,
    OptOutPage,
    OptOutSchema,
    TemplateListSchema,
)

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="Notifications: SMS and Zalo (ZNS) messages to applicants and officers, sent once per event",
)


def _self_or_admin(user, username: str) -> None:
    if not (user.is_admin or user.username == username):
        raise Forbidden("Only an administrator or the user themself may read or set this contact.")


@blp.route("/notifications/templates", methods=["GET"])
@admin_only
@blp.response(200, TemplateListSchema)
def template_list():
    """The templates (SMS text with `$value` names, `[[...]]` left out when a value is empty; the
    Zalo ZNS template id and its parameters), and the values they may name with their limits."""
    found = operations.template_set()
    return {"items": [t.as_dict() for t in found.values()], "values": dict(templates.VALUES)}


@blp.route("/notification-deliveries", methods=["GET"])
@admin_only
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, DeliveryPage)
def deliveries(args):
    """The messages, newest first: `state=dead` is the dead-letter list."""
    items, total = queries.deliveries(
        state=args.get("state"),
        channel=args.get("channel"),
        template=args.get("template"),
        dossier_id=args.get("dossier_id"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return page(items, total, args)


@blp.route("/notification-deliveries/<uuid:delivery_id>/replay", methods=["POST"])
@admin_only
@blp.response(200, NotificationDeliverySchema)
def replay(delivery_id):
    """Send a dead message again (same parameters, same Idempotency-Key)."""
    return sending.replay(queries.get_delivery(delivery_id))


@blp.route("/notifications/contacts/<string:username>")
class Contact(MethodView):
    @authorise(_self_or_admin)
    @blp.response(200, ContactSchema)
    def get(self, username):
        """An officer's phone and the channels they are told on (administrators, or the officer)."""
        return queries.contact(username)

    @authorise(_self_or_admin)
    @blp.arguments(ContactArgs)
    @blp.response(200, ContactSchema)
    def put(self, args, username):
        """Set an officer's phone and channels: `zalo` (default on), `sms` (default off); both off
        is an opt-out."""
        return operations.set_contact(
            queries.user(username), phone=args["phone"], sms=args["sms"], zalo=args["zalo"]
        )


@blp.route("/notifications/opt-outs")
class OptOuts(MethodView):
    @admin_only
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, OptOutPage)
    def get(self, args):
        """The phone numbers that asked not to be told on a channel."""
        items, total = queries.opt_outs(args["page"], args["per_page"])
        return page(items, total, args)

    @admin_only
    @blp.arguments(OptOutArgs)
    @blp.response(201, OptOutSchema)
    def post(self, args):
        """Record that a phone number asked not to be told on a channel (e.g. an applicant's "TU
        CHOI" reply); queued messages to it are skipped too."""
        return operations.opt_out(args["phone"], args["channel"], note=args.get("note"), actor=current_user())


@blp.route("/notifications/opt-outs/<int(min=1, max=2147483647):opt_out_id>", methods=["DELETE"])
@admin_only
@blp.response(204)
def opt_in(opt_out_id):
    """Remove an opt-out: the number is told again from the next event."""
    operations.opt_in(opt_out_id)
