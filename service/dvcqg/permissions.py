"""Who may call in as the national portal: a system's API token with the scope integrations:dvcqg
(a person's token, a session or a token of another scope may not: 403). Its user is the portal's
account, whose org unit receives the online dossiers (the reception unit of their process)."""

from __future__ import annotations

from ..errors import Forbidden
from ..identity import scopes
from . import mapping


def require_portal(user) -> None:
    if getattr(user, "scopes", None) is None:
        raise Forbidden(
            "Only the national portal's API token (scope integrations:dvcqg) may send online dossiers.",
            code="token_scope",
            details={"needs": f"{scopes.INTEGRATIONS}:{mapping.SCOPE_NAME}"},
        )
    scopes.require(user, scopes.INTEGRATIONS, mapping.SCOPE_NAME)
