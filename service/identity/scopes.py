"""What a scoped API token may do: the scopes of a system identity.

A token without scopes acts with all its user's rights (a person's token, the demo tokens). A token
with scopes is a system's: the portal that starts dossiers, a worker that fetches external tasks.
It may do only what one of its scopes names, and never more than its user may:

    read                       every GET the user may make
    deploy                     deploy BPMN files (the user must be a designer)
    start:<definition key>     start instances of that process (dossiers of it)
    messages:<message name>    send that message (to an instance, or correlated)
    tasks:<definition key>     claim, unclaim and complete user tasks of that process
    external-tasks:<topic>     fetch, lock, complete and fail external tasks of that topic
    integrations:<system>      be that remote system calling in (integrations:dvcqg: the national
                               portal sends online dossiers and supplements)

`*` in place of the name allows every name of that kind (`start:*`). The check is in two places:
`gate()` before a request (a GET needs `read`; a write must go to a route that declares its kind
with `@scoped(kind)`, else 403, so a route added later is closed to scoped tokens until it says
what it is), and `require()` where the name is known (the definition, the message, the topic).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..errors import Forbidden, Unprocessable

READ = "read"
DEPLOY = "deploy"
START = "start"
MESSAGES = "messages"
TASKS = "tasks"
EXTERNAL_TASKS = "external-tasks"
INTEGRATIONS = "integrations"

# Kinds that stand alone, and kinds that take a name after a colon.
PLAIN_KINDS = (READ, DEPLOY)
NAMED_KINDS = (START, MESSAGES, TASKS, EXTERNAL_TASKS, INTEGRATIONS)
MAX_SCOPES = 50
_NAME = re.compile(r"^(\*|[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127})$")


def parse(values: Iterable[str] | None) -> list[str] | None:
    """The scopes as stored (sorted, without repeats), or None for an unscoped token; 422 naming
    each scope that is not one of the forms above."""
    if values is None:
        return None
    cleaned = list(dict.fromkeys(str(value).strip() for value in values))
    if len(cleaned) > MAX_SCOPES:
        raise _invalid(f"At most {MAX_SCOPES} scopes.")
    if not cleaned:
        raise _invalid("Give at least one scope, or none at all (the user's full rights).")
    bad = [scope for scope in cleaned if not _valid(scope)]
    if bad:
        raise _invalid(
            "Not a scope: "
            + ", ".join(repr(scope) for scope in bad)
            + ". Scopes: read, deploy, start:<definition key>, messages:<message name>, "
            "tasks:<definition key>, external-tasks:<topic>, integrations:<system> ('*' for every name)."
        )
    return sorted(cleaned)


def _valid(scope: str) -> bool:
    if scope in PLAIN_KINDS:
        return True
    kind, colon, name = scope.partition(":")
    return bool(colon) and kind in NAMED_KINDS and bool(_NAME.match(name))


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, code="validation_failed", details={"fields": {"scopes": [message]}})


def allows(principal, kind: str, name: str | None = None) -> bool:
    """Whether the principal's token allows this kind of action (on this name, if given).

    An unscoped principal (a session, a person's token) is allowed: its user's rights decide."""
    scopes = getattr(principal, "scopes", None)
    if scopes is None:
        return True
    if kind in PLAIN_KINDS:
        return kind in scopes
    if name is None:
        return any(scope.partition(":")[0] == kind for scope in scopes)
    return f"{kind}:*" in scopes or f"{kind}:{name}" in scopes


def require(principal, kind: str, name: str | None = None) -> None:
    """403 unless the principal's token allows it (see allows())."""
    if not allows(principal, kind, name):
        wanted = kind if kind in PLAIN_KINDS or name is None else f"{kind}:{name}"
        raise Forbidden(
            f"This token's scopes do not allow this (it needs '{wanted}').",
            code="token_scope",
            details={"needs": wanted, "scopes": sorted(principal.scopes)},
        )


def scoped(kind: str) -> Callable:
    """Mark a write view as open to tokens with a scope of this kind (the name is checked inside,
    with require()). Unmarked writes are closed to scoped tokens."""

    def mark(view):
        view.token_scope = kind
        return view

    return mark


def declared_kind(view) -> str | None:
    """The kind a view (a function, or a MethodView's method) declared with @scoped."""
    return getattr(view, "token_scope", None)


def gate(principal, method: str, view) -> None:
    """Before a request: a scoped token reads with `read`, and writes only to a route that declared
    a kind it holds a scope of."""
    if getattr(principal, "scopes", None) is None:
        return
    if method in ("GET", "HEAD", "OPTIONS"):
        require(principal, READ)
        return
    kind = declared_kind(view) if view is not None else None
    if kind is None:
        raise Forbidden(
            "This token's scopes do not allow this action (scoped tokens may only read, deploy, "
            "start, send messages, and work tasks and external tasks).",
            code="token_scope",
            details={"scopes": sorted(principal.scopes)},
        )
    require(principal, kind)
