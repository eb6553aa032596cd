"""/api/v1/messages: correlate a message with the instances waiting for it, or start a process on it."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..extensions import db
from ..identity.auth import current_user
from ..identity.scopes import MESSAGES, scoped
from ..instances.permissions import require_message_sender
from . import operations
from .schemas import CorrelateArgs, CorrelationSchema

blp = Blueprint(
    "messages",
    __name__,
    url_prefix="/api/v1/messages",
    description="Messages: correlated by name, business key and variables",
)


@blp.route("", methods=["POST"])
@scoped(MESSAGES)
@blp.arguments(CorrelateArgs)
@blp.response(200, CorrelationSchema)
@blp.alt_response(201, schema=CorrelationSchema, description="No instance waited: the message started one")
def correlate(args):
    """Deliver a message to the running instances waiting for it, or start a process on it.

    The instances that match wait for a message of this `name` (a catch event, a receive task, a
    boundary event), have this `business_key` (when given) and hold every `correlation_keys`
    variable with that value. One match: the message is delivered, with `variables` as its payload
    (never a variable the process computes or the service wrote: 422); several: 409
    `message_ambiguous` unless `all` is true. No match: the latest version of the process whose
    message start event waits for this name starts (201), with `variables` as start data (only what
    its start form declares) and `business_key` as its business key; 404 `message_not_correlated`
    when there is none.

    Only the instances the caller may message are considered (administrators, and the user who
    started the instance): the others are as if they did not wait, so the answer says nothing
    about them. A start needs the caller to be one of the process's starters (403). A scoped
    token needs `messages:<name>`, and `start:<key>` to start a process.
    """
    user, name = current_user(), args["name"]
    require_message_sender(user, name)
    outcome, instances = operations.correlate(
        user,
        name,
        business_key=args.get("business_key"),
        correlation_keys=args["correlation_keys"],
        variables=args["variables"],
        to_all=args["all"],
    )
    db.session.flush()
    return {"outcome": outcome, "instances": instances}, (200 if outcome == "delivered" else 201)
