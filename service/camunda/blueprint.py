"""/engine-rest: the Camunda 7 REST API's blueprint, its errors, and the engine and version paths
(deployments and definitions: definition_routes.py, instances: instance_routes.py, tasks:
task_routes.py).

Thin routes: each translates Camunda's path, JSON and typed variables onto Motcua's operations,
queries and permissions. Errors leave as Camunda's `{"type", "message", "code"}` (see `_camunda_error`);
authentication is a bearer token or HTTP Basic (identity.auth.BASIC_AUTH_BLUEPRINTS). The blueprint
is not in the OpenAPI document of /api/v1: docs/camunda-compatibility.md describes it.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from ..errors import NotFound
from . import shapes

bp = Blueprint("camunda", __name__, url_prefix="/engine-rest")

# Motcua's status -> Camunda's (Camunda has no 422: an invalid request is a 400).
_STATUS = {422: 400}
_TYPES = {
    400: "InvalidRequestException",
    401: "AuthenticationException",
    403: "AuthorizationException",
    404: "InvalidRequestException",
    409: "OptimisticLockingException",
    500: "ProcessEngineException",
}
_CODE_TYPES = {
    "task_claimed": "TaskAlreadyClaimedException",
    "bpmn_invalid": "ParseException",
    "message_not_correlated": "MismatchingMessageCorrelationException",
    "message_ambiguous": "MismatchingMessageCorrelationException",
    "event_not_expected": "MismatchingMessageCorrelationException",
}
# Motcua's codes Camunda answers with another status: a message that correlates to no instance or
# to several is Camunda's 400.
_CODE_STATUS = {"message_not_correlated": 400, "message_ambiguous": 400}


@bp.after_request
def _camunda_error(response: Response) -> Response:
    """Every error the service raised, as Camunda writes it: {"type", "message", "code"} (Motcua's
    own code and details kept under "motcua"); a 401 asks for Basic (or a bearer token)."""
    if response.status_code < 400 or not response.is_json:
        return response
    data = response.get_json(silent=True)
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return response
    code = error.get("code")
    status = _CODE_STATUS.get(code) or _STATUS.get(response.status_code, response.status_code)
    kind = _CODE_TYPES.get(code) or _TYPES.get(status, "RestException")
    body = {
        "type": kind,
        "message": error.get("message"),
        "code": None,
        "motcua": {"code": code, "details": error.get("details") or {}},
    }
    response.set_data(json.dumps(body, ensure_ascii=False))
    response.status_code = status
    if status == 401:
        response.headers.set("WWW-Authenticate", 'Basic realm="motcua", charset="UTF-8"')
        response.headers.add("WWW-Authenticate", 'Bearer realm="motcua"')
    return response


@bp.route(
    "/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"], endpoint="not_covered"
)
def not_covered(rest):
    """A Camunda path (or method) this API does not cover: 404 in Camunda's format."""
    raise NotFound(
        f"{request.method} /engine-rest/{rest[:200]} is not covered by Motcua's Camunda API "
        "(docs/camunda-compatibility.md lists what is).",
        code="not_covered",
    )


@bp.get("/engine")
def engines():
    return [{"name": "default"}]


@bp.get("/version")
def version():
    return {"version": shapes.CAMUNDA_VERSION}
