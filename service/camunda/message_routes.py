"""/engine-rest/message: correlate a message (Camunda's shape) through Motcua's own correlation
(messages.operations.correlate: the instances the caller may message, or a start by one of the
process's starters), or deliver it to one named instance (instances.operations.deliver_message,
for its starter and administrators, as POST /api/v1/process-instances/{id}/messages)."""

from __future__ import annotations

from ..extensions import db
from ..identity.auth import current_user
from ..identity.scopes import MESSAGES, scoped
from ..instances import operations as instances
from ..instances.permissions import require_instance_control, require_message_sender, require_visible
from ..messages import operations as messages
from ..messages.schemas import CorrelateArgs
from . import args, queries, shapes
from . import variables as typed
from .blueprint import bp

# Native field -> Camunda's, to name Camunda's fields in a refusal.
NAMES = {
    "name": "messageName",
    "business_key": "businessKey",
    "correlation_keys": "correlationKeys",
    "variables": "processVariables",
    "all": "all",
}
# What Motcua keeps no notion of: refused when they say something.
UNSUPPORTED = (
    "localCorrelationKeys",
    "processVariablesLocal",
    "processVariablesToTriggeredScope",
    "tenantId",
    "processDefinitionId",
    "startInstructions",
)


def _result(kind: str, instance, with_variables: bool) -> dict:
    result: dict = {"resultType": kind, "execution": None, "processInstance": None}
    if kind == "ProcessDefinition":
        result["processInstance"] = shapes.instance(instance)
    else:
        ident = str(instance.id)
        result["execution"] = {"id": ident, "processInstanceId": ident, "ended": False, "tenantId": None}
    if with_variables:
        result["variables"] = typed.typed_all(instance.variables or {})
    return result


@bp.post("/message")
@scoped(MESSAGES)
def correlate():
    """Correlate: 204, or with resultEnabled 200 and one result per instance reached. A message
    no instance waits for and no process starts on, or several instances match without `all`: 400
    MismatchingMessageCorrelationException, as Camunda answers."""
    body = args.body()
    args.refuse_unless_empty(body, UNSUPPORTED)
    user = current_user()
    native = {
        "name": body.get("messageName"),
        "correlation_keys": typed.read(body.get("correlationKeys")),
        "variables": typed.read(body.get("processVariables")),
        "all": body.get("all", False),
    }
    if body.get("businessKey") is not None:
        native["business_key"] = body["businessKey"]
    loaded = args.load(CorrelateArgs(), native, NAMES)
    require_message_sender(user, loaded["name"])  # a scoped token needs messages:<name>
    target = body.get("processInstanceId")
    if target is not None:
        instance = queries.running_instance(str(target), with_state=True)
        require_visible(user, instance)
        require_instance_control(user, instance)
        instances.deliver_message(instance, loaded["name"], loaded["variables"], actor=user)
        outcome, reached = "delivered", [instance]
    else:
        outcome, reached = messages.correlate(
            user,
            loaded["name"],
            business_key=loaded.get("business_key"),
            correlation_keys=loaded["correlation_keys"],
            variables=loaded["variables"],
            to_all=loaded["all"],
        )
    db.session.flush()
    if body.get("resultEnabled") is not True:
        return "", 204
    kind = "Execution" if outcome == "delivered" else "ProcessDefinition"
    with_variables = body.get("variablesInResultEnabled") is True
    return [_result(kind, instance, with_variables) for instance in reached]
