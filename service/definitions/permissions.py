"""Who may deploy and start process definitions. Routes and pages authorise with these."""

from __future__ import annotations

from flask import current_app

from ..errors import Forbidden
from ..identity import scopes
from ..identity.permissions import authorise


def is_designer(user) -> bool:
    return user.is_admin or current_app.config["MOTCUA_DESIGNER_GROUP"] in user.group_names


def require_designer(user) -> None:
    if not is_designer(user):
        raise Forbidden(
            "Only administrators and members of the group "
            f"'{current_app.config['MOTCUA_DESIGNER_GROUP']}' may deploy process definitions."
        )


def may_start(user, definition) -> bool:
    """Admins, and the starters a definition declares (camunda:candidateStarterGroups/Users in the
    BPMN, or given at deploy). A definition that declares none is started by administrators only;
    processes that drive dossiers declare none: dossiers start through POST /dossiers."""
    if user.is_admin:
        return True
    if user.username in (definition.starter_users or ()):
        return True
    return bool(user.group_names.intersection(definition.starter_groups or ()))


def require_starter(user, definition) -> None:
    """403 unless the user may start the definition (and a scoped token holds start:<key>)."""
    scopes.require(user, scopes.START, definition.key)
    if not may_start(user, definition):
        who = ", ".join(
            [*(f"group {g}" for g in definition.starter_groups or ()), *(definition.starter_users or ())]
        )
        raise Forbidden(
            f"You may not start process '{definition.key}': "
            + (f"it is started by administrators and {who}." if who else "only administrators start it."),
            details={
                "definition_key": definition.key,
                "starter_groups": list(definition.starter_groups or ()),
                "starter_users": list(definition.starter_users or ()),
            },
        )


def may_start_on_message(user, definition, name: str) -> bool:
    """Whether a message `name` sent by the caller (POST /messages) may start the definition on its
    message start event: the rule of any start (may_start), and a scoped token needs both
    `start:<key>` and `messages:<name>` (the route checks the latter before anything)."""
    return (
        may_start(user, definition)
        and scopes.allows(user, scopes.START, definition.key)
        and scopes.allows(user, scopes.MESSAGES, name)
    )


def require_message_starter(user, definition, name: str) -> None:
    if not may_start_on_message(user, definition, name):
        require_starter(user, definition)  # says who may (or which scope is missing)
        scopes.require(user, scopes.MESSAGES, name)
        raise Forbidden(f"You may not start process '{definition.key}' with the message {name!r}.")


designer_only = authorise(lambda user, **_: require_designer(user))
