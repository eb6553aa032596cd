"""/api/v1/webhooks: subscriptions to the service's events, their delivery log, dead letters and
replays (administrators)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..identity.auth import current_user
from ..identity.permissions import admin_only
from ..web import PageArgs, page
from . import operations, queries
from .schemas import (
    DeliveryArgs,
    DeliveryPage,
    DeliverySchema,
    NewSubscriptionArgs,
    NewSubscriptionSchema,
    SubscriptionChangeArgs,
    SubscriptionPage,
    SubscriptionSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Webhooks: the service's events, signed (X-Motcua-Signature) and delivered to your URL",
)
_ID = "<int(min=1, max=2147483647):subscription_id>"


@blp.route("/webhooks")
class Subscriptions(MethodView):
    @admin_only
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, SubscriptionPage)
    def get(self, args):
        """The subscriptions (never their secrets)."""
        items, total = queries.subscriptions(args["page"], args["per_page"])
        return page(items, total, args)

    @admin_only
    @blp.arguments(NewSubscriptionArgs)
    @blp.response(201, NewSubscriptionSchema)
    def post(self, args):
        """Subscribe a URL to event types. The answer holds the secret, once.

        Each delivery is a POST of `{"delivery", "event", "event_id", "occurred_at", "instance_id",
        "data"}` with `X-Motcua-Event`, `X-Motcua-Delivery` (the same on every retry) and
        `X-Motcua-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`. A 2xx answer
        ends it; anything else is retried with exponential backoff, then lands in the dead letters.
        """
        return operations.create(
            args["url"],
            args["events"],
            secret=args.get("secret"),
            description=args.get("description"),
            actor=current_user(),
        )


@blp.route(f"/webhooks/{_ID}")
class Subscription(MethodView):
    @admin_only
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id):
        """One subscription."""
        return queries.get(subscription_id)

    @admin_only
    @blp.arguments(SubscriptionChangeArgs)
    @blp.response(200, SubscriptionSchema)
    def patch(self, args, subscription_id):
        """Change the URL, the event types, the secret, the description, or pause it (active)."""
        return operations.update(queries.get(subscription_id), args)

    @admin_only
    @blp.response(204)
    def delete(self, subscription_id):
        """Delete the subscription and its delivery log."""
        operations.delete(queries.get(subscription_id))


@blp.route("/webhook-deliveries", methods=["GET"])
@admin_only
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, DeliveryPage)
def deliveries(args):
    """The delivery log, newest first: `state=dead` is the dead-letter list."""
    items, total = queries.deliveries(
        subscription_id=args.get("subscription_id"),
        state=args.get("state"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return page(items, total, args)


@blp.route("/webhook-deliveries/<uuid:delivery_id>/replay", methods=["POST"])
@admin_only
@blp.response(200, DeliverySchema)
def replay(delivery_id):
    """Send a dead (or delivered) delivery again, with the same body and delivery id."""
    return operations.replay(queries.get_delivery(delivery_id))
