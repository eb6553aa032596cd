"""/engine-rest/process-instance: list, count, read, delete (terminate) and read variables.

Camunda's runtime API knows only instances that have not ended: a completed or terminated instance
is 404 here (Motcua keeps it: GET /api/v1/process-instances/{id} shows it).
"""

from __future__ import annotations

from ..errors import NotFound
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import READ, scoped
from ..instances import operations as instances
from ..instances.permissions import require_instance_control, require_visible
from . import args, queries, shapes
from . import variables as typed
from .blueprint import bp

_FILTERS = {
    "businessKey": args.STR,
    "processDefinitionKey": args.STR,
    "processDefinitionId": args.STR,
    "processInstanceIds": args.LIST,
    "active": args.BOOL,
    "suspended": args.BOOL,
}


@bp.route("/process-instance", methods=["GET", "POST"])
@scoped(READ)  # a POST query reads
def instance_list():
    """Instances the caller may see (instances.permissions.visible_to), newest first."""
    rows, _total = queries.instances_page(current_user(), args.filters(_FILTERS), args.window())
    return [shapes.instance(row) for row in rows]


@bp.route("/process-instance/count", methods=["GET", "POST"])
@scoped(READ)  # a POST query reads
def instance_count():
    _rows, total = queries.instances_page(current_user(), args.filters(_FILTERS), queries.Window(0, 0))
    return {"count": total}


def _visible(user, instance_id, **_):
    instance = queries.running_instance(instance_id)
    require_visible(user, instance)
    return instance


def _controlled(user, instance_id):
    instance = queries.running_instance(instance_id, with_state=True)
    require_visible(user, instance)
    require_instance_control(user, instance)
    return instance


@bp.get("/process-instance/<string:instance_id>")
@authorise(_visible, into="instance")
def instance_get(instance_id, instance):
    return shapes.instance(instance)


@bp.delete("/process-instance/<string:instance_id>")
@authorise(_controlled, into="instance")
def instance_delete(instance_id, instance):
    """Camunda deletes; Motcua terminates (its open tasks are cancelled) and keeps the instance."""
    instances.terminate(instance, actor=current_user(), expected_version=None)
    return "", 204


@bp.get("/process-instance/<string:instance_id>/variables")
@authorise(_visible, into="instance")
def instance_variables(instance_id, instance):
    return typed.typed_all(instance.variables or {})


@bp.get("/process-instance/<string:instance_id>/variables/<string:name>")
@authorise(_visible, into="instance")
def instance_variable(instance_id, name, instance):
    values = instance.variables or {}
    if name not in values:
        raise NotFound(
            f"process instance variable with name {name[:100]} does not exist", code="variable_not_found"
        )
    return typed.typed(values[name])
