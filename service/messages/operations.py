"""Correlating a message (POST /api/v1/messages): deliver it to the running instances that wait
for it and match the caller's business key and correlation keys, or start the process whose
message start event waits for it.

The work is the instances' own: delivery is `instances.operations.deliver_message` (the payload
may not set a protected variable; the instance's version guards against a concurrent step) and a
start is `instances.operations.start` on the message (only what the start form declares). Which
instances a caller may reach is a condition of the lookup (instances.permissions.messageable_by),
and who may start the process is checked before it starts: `correlate` composes both, for POST
/api/v1/messages and Camunda's POST /engine-rest/message alike (their routes first check that the
caller may send the message at all: instances.permissions.require_message_sender).
"""

from __future__ import annotations

from flask import current_app

from ..definitions import queries as definitions
from ..definitions.models import ProcessDefinition
from ..definitions.permissions import require_message_starter
from ..errors import Conflict, NotFound
from ..instances import operations as instances
from ..instances import queries as instance_queries
from ..instances.models import ProcessInstance
from ..instances.permissions import messageable_by

LISTED = 20  # instances named in a 409's details, at most


def _most() -> int:
    return int(current_app.config["MOTCUA_MESSAGE_MAX_DELIVERIES"])


def waiting(name: str, *, allowed, business_key: str | None, correlation_keys: dict) -> list[ProcessInstance]:
    """The running instances that wait for the message and match (one more than may be delivered
    to at once, at most: enough to refuse too many)."""
    return instance_queries.waiting_for(
        name,
        allowed=allowed,
        business_key=business_key,
        correlation_keys=correlation_keys,
        limit=_most() + 1,
    )


def deliver(
    matched: list[ProcessInstance], name: str, variables: dict, *, actor, to_all: bool
) -> list[ProcessInstance]:
    """Deliver the message to the matched instances: one unless `to_all` (else 409
    message_ambiguous, nothing delivered); each is one engine step, in this transaction."""
    if len(matched) > 1 and not to_all:
        raise Conflict(
            f"{len(matched) if len(matched) <= _most() else 'Many'} instances wait for the message "
            f'{name!r} and match; narrow the correlation or send "all": true.',
            code="message_ambiguous",
            details={"instances": [str(instance.id) for instance in matched[:LISTED]]},
        )
    if len(matched) > _most():
        raise Conflict(
            f"More than {_most()} instances wait for the message {name!r} and match; a message is "
            "delivered to at most that many at once (MOTCUA_MESSAGE_MAX_DELIVERIES): narrow it.",
            code="message_too_broad",
            details={"limit": _most()},
        )
    for instance in matched:
        instances.deliver_message(instance, name, variables, actor=actor)
    return matched


def starting_definition(name: str) -> ProcessDefinition:
    """The process a message starts when no instance waits for it: the latest version of the one
    process whose message start event waits for it (404 message_not_correlated if none, 409
    message_ambiguous if several do)."""
    found = definitions.started_on_message(name)
    if not found:
        raise NotFound(
            f"No running instance you may message waits for the message {name!r} with this business "
            "key and these correlation keys, and no process starts on it.",
            code="message_not_correlated",
            details={"name": name},
        )
    if len(found) > 1:
        raise Conflict(
            f"Several processes start on the message {name!r}: "
            + ", ".join(d.key for d in found)
            + "; a message starts one process only.",
            code="message_ambiguous",
            details={"definitions": [d.key for d in found]},
        )
    return found[0]


def start(
    definition: ProcessDefinition, name: str, *, business_key: str | None, variables: dict, actor
) -> ProcessInstance:
    """Start the definition on its message start event `name`, with the variables as start data."""
    return instances.start(
        definition, business_key=business_key, variables=variables, actor=actor, message=name
    )


def correlate(
    user, name: str, *, business_key: str | None, correlation_keys: dict, variables: dict, to_all: bool
) -> tuple[str, list[ProcessInstance]]:
    """Deliver the message to the instances the caller may message that wait for it and match, or
    start the process that starts on it (403 unless the caller is one of its starters):
    ("delivered", the instances) or ("started", [the new instance])."""
    matched = waiting(
        name, allowed=messageable_by(user, name), business_key=business_key, correlation_keys=correlation_keys
    )
    if matched:
        return "delivered", deliver(matched, name, variables, actor=user, to_all=to_all)
    definition = starting_definition(name)
    require_message_starter(user, definition, name)
    return "started", [start(definition, name, business_key=business_key, variables=variables, actor=user)]
