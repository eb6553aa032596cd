"""Who may do what. Routes call these; the rules live only here."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app

from ..errors import Forbidden
from .auth import current_user
from .models import User


def is_designer(user: User) -> bool:
    return user.is_admin or current_app.config["MOTCUA_DESIGNER_GROUP"] in user.group_names


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("Only an administrator may do this.")


def require_designer(user: User) -> None:
    if not is_designer(user):
        raise Forbidden(
            "Only administrators and members of the group "
            f"'{current_app.config['MOTCUA_DESIGNER_GROUP']}' may deploy process definitions."
        )


def may_act_on_task(user: User, task, instance_started_by_id: int | None) -> bool:
    """Candidates, the assignee and admins; a task without candidates belongs to its starter.

    A task scoped to an org unit (`task.unit`) is open only to candidates of that unit.
    """
    if user.is_admin or task.assignee_id == user.id:
        return True
    if task.unit and task.unit != user.unit:
        return False
    if task.candidate_groups:
        return bool(user.group_names.intersection(task.candidate_groups))
    return instance_started_by_id == user.id


def require_task_actor(user: User, task, instance_started_by_id: int | None) -> None:
    if not may_act_on_task(user, task, instance_started_by_id):
        if task.unit and task.unit != user.unit and task.assignee_id != user.id:
            raise Forbidden(
                f"Task '{task.name}' belongs to unit {task.unit}; you are not an officer of that unit.",
                details={"task_id": str(task.id), "unit": task.unit},
            )
        groups = ", ".join(task.candidate_groups) or "none (only its starter)"
        raise Forbidden(
            f"You are not a candidate for task '{task.name}' (candidate groups: {groups}).",
            details={"task_id": str(task.id), "candidate_groups": list(task.candidate_groups)},
        )


def require_instance_control(user: User, instance) -> None:
    if not (user.is_admin or instance.started_by_id == user.id):
        raise Forbidden("Only an administrator or the user who started this instance may do this.")


def may_start(user: User, definition) -> bool:
    """Admins, and the starters a definition declares (camunda:candidateStarterGroups/Users in the
    BPMN, or given at deploy). A definition that declares none is started by administrators only;
    processes that drive dossiers declare none: dossiers start through POST /dossiers."""
    if user.is_admin:
        return True
    if user.username in (definition.starter_users or ()):
        return True
    return bool(user.group_names.intersection(definition.starter_groups or ()))


def require_starter(user: User, definition) -> None:
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


def authorise(rule: Callable, *, into: str | None = None) -> Callable:
    """Decorate a view so that `rule(user, **path_arguments)` runs before its arguments are read.

    Place it above @blp.arguments (below @blp.route): a caller who may not call the route gets 403
    whatever the body, query or file they sent, and the API documentation (the view's `_apidoc`,
    copied by functools.wraps) is unchanged. The rule raises Forbidden (or NotFound) to refuse.
    With into, what the rule returns (the rows it loaded to decide) reaches the view as that
    keyword argument, so the view does not load them again.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **path_arguments):  # Flask calls a view with the URL's arguments only
            found = rule(current_user(), **path_arguments)
            if into is not None:
                path_arguments[into] = found
            return view(*args, **path_arguments)

        return wrapper

    return decorator


admin_only = authorise(lambda user, **_: require_admin(user))
designer_only = authorise(lambda user, **_: require_designer(user))
