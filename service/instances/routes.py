"""/api/v1/process-instances: start, inspect and control instances."""

from flask.views import MethodView
from flask_smorest import Blueprint

from ..audit.queries import history
from ..definitions import operations as definitions
from ..definitions.permissions import require_starter
from ..extensions import db
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import MESSAGES, START, require, scoped
from ..web import etag, if_match, page
from . import operations, permissions, queries
from .schemas import (
    InstanceDetailSchema,
    InstanceListArgs,
    InstancePage,
    MessageArgs,
    StartArgs,
    instance_dict,
)

blp = Blueprint(
    "instances", __name__, url_prefix="/api/v1/process-instances", description="Process instances"
)


def respond(instance, status: int = 200, *, with_history: bool = True, tasks=None):
    """An instance with its variables, active tasks and (optionally) audit history; ETag = version."""
    db.session.flush()
    data = instance_dict(instance)
    data["variables"] = instance.variables
    data["tasks"] = queries.open_of(instance.id) if tasks is None else tasks
    data["history"] = history(instance.id) if with_history else []
    return data, status, etag(instance.version)


@blp.route("")
class Instances(MethodView):
    @blp.arguments(InstanceListArgs, location="query")
    @blp.response(200, InstancePage)
    def get(self, args):
        """Instances the caller may see, newest first (filters: state, definition_key, business_key)."""
        items, total = operations.search(
            current_user(),
            state=args.get("state"),
            definition_key=args.get("definition_key"),
            business_key=args.get("business_key"),
            page=args["page"],
            per_page=args["per_page"],
        )
        return page(items, total, args)

    @scoped(START)
    @blp.arguments(StartArgs)
    @blp.response(201, InstanceDetailSchema)
    def post(self, args):
        """Start an instance of a definition (latest version unless `version` is given).

        Only the definition's starters may (its candidate starter groups and users; administrators
        when it declares none), with only the variables its start form declares.
        """
        definition = definitions.get(args["definition_key"], args.get("version"))
        require_starter(current_user(), definition)
        instance = operations.start(
            definition,
            business_key=args.get("business_key"),
            variables=args["variables"],
            actor=current_user(),
        )
        return respond(instance, 201)


@blp.route("/<uuid:instance_id>")
class Instance(MethodView):
    @blp.response(200, InstanceDetailSchema)
    def get(self, instance_id):
        """One instance: state, variables, active tasks and audit history. ETag is its version."""
        instance = operations.get(instance_id)
        permissions.require_visible(current_user(), instance)
        return respond(instance)


def _control(action):
    def view(instance_id):
        instance = _controller_of(current_user(), instance_id)
        action(instance, actor=current_user(), expected_version=if_match())
        return respond(instance, with_history=False)

    return view


for _name, _action in (
    ("suspend", operations.suspend),
    ("resume", operations.resume),
    ("terminate", operations.terminate),
    ("retry", operations.retry),
):
    _doc = {
        "suspend": "Suspend a running instance: its tasks cannot be claimed or completed until resumed.",
        "resume": "Resume a suspended instance.",
        "terminate": "End an instance now; its open tasks are cancelled.",
        "retry": "Run the failed element of an instance in error again.",
    }[_name]
    _view = _control(_action)
    _view.__name__ = f"instance_{_name}"
    _view.__doc__ = _doc + " Honours If-Match with the instance version."
    blp.route(f"/<uuid:instance_id>/{_name}", methods=["POST"], endpoint=f"instance_{_name}")(
        blp.response(200, InstanceDetailSchema)(_view)
    )


def _controller_of(user, instance_id):
    """The instance (with its engine state), if the caller may control it (403 otherwise)."""
    instance = operations.get(instance_id, with_state=True)
    permissions.require_visible(user, instance)
    permissions.require_instance_control(user, instance)
    return instance


@blp.route("/<uuid:instance_id>/messages", methods=["POST"])
@scoped(MESSAGES)
@authorise(_controller_of, into="instance")
@blp.arguments(MessageArgs)
@blp.response(200, InstanceDetailSchema)
def message(args, instance_id, instance):
    """Deliver a BPMN message (name, payload) to an instance waiting for it; 409 if it is not.

    The payload may not set a variable the process computes or the service wrote (422). Honours
    If-Match with the instance version.
    """
    require(current_user(), MESSAGES, args["name"])
    operations.deliver_message(
        instance, args["name"], args["payload"], actor=current_user(), expected_version=if_match()
    )
    return respond(instance, with_history=False)
