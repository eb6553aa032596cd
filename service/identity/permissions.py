"""Roles and the authorise decorator. Each domain's own rules live in its permissions.py
(tasks, instances, definitions, dossiers, attachments); routes and pages call them, before the
body is read where the rule does not depend on the resource, and operations assume them."""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..errors import Forbidden
from .auth import current_user
from .models import User


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("Only an administrator may do this.")


MONITORING_GROUP = "monitoring"


def require_monitoring(user: User) -> None:
    """The metrics: administrators and the group 'monitoring'."""
    if not (user.is_admin or MONITORING_GROUP in user.group_names):
        raise Forbidden(f"Metrics are for administrators and the group '{MONITORING_GROUP}'.")


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
