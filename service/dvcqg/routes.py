"""/api/v1/integrations/dvcqg: the national portal pushes online dossiers and supplements (its
token, scope integrations:dvcqg); administrators follow and retry the status pushes back to it."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..errors import NotFound
from ..extensions import db
from ..identity.auth import current_user
from ..identity.permissions import admin_only, authorise
from ..identity.scopes import INTEGRATIONS, scoped
from . import operations, permissions, pushes, queries
from .models import StatusPush
from .schemas import OnlineDossierArgs, PushListArgs, PushSchema, ReceiptSchema, SupplementArgs

blp = Blueprint(
    "dvcqg",
    __name__,
    url_prefix="/api/v1/integrations/dvcqg",
    description="The national public-service portal (DVCQG): online dossiers in, statuses out",
)
portal_only = authorise(lambda user, **_: permissions.require_portal(user))
_PORTAL_ID = "<string(maxlength=64):portal_id>"


@blp.route("/dossiers", methods=["POST"])
@scoped(INTEGRATIONS)
@portal_only
@blp.arguments(OnlineDossierArgs)
@blp.response(201, ReceiptSchema)
@blp.alt_response(200, schema=ReceiptSchema, description="Delivered before: the first answer")
def receive(args):
    """An online dossier submitted on the portal: it starts the dossier process with channel
    online (status 1, in the reception's worklist), its components' files (base64) stored as
    attachments. Idempotent by `portal_id` (200 with `duplicate: true` the second time; an
    `Idempotency-Key` header works too). Unknown procedure: 422 `unknown_procedure`; a file not
    base64: 422 `file_not_base64`; too large: 413; not of an accepted type: 422; nothing is kept."""
    answer, created = operations.receive_online(args, actor=current_user())
    db.session.flush()
    return answer, (201 if created else 200)


@blp.route(f"/dossiers/{_PORTAL_ID}/supplements", methods=["POST"])
@scoped(INTEGRATIONS)
@portal_only
@blp.arguments(SupplementArgs)
@blp.response(201, ReceiptSchema)
@blp.alt_response(200, schema=ReceiptSchema, description="Delivered before: the first answer")
def supplement(args, portal_id):
    """The applicant's supplement to a dossier paused for one (status 5): its files attached, the
    process resumes (message `supplement_received`). Idempotent by `supplement_id`; 409
    `not_waiting_for_supplement` when the dossier waits for none."""
    answer, created = operations.supplement(portal_id, args, actor=current_user())
    db.session.flush()
    return answer, (201 if created else 200)


@blp.route("/pushes", methods=["GET"])
@admin_only
@blp.arguments(PushListArgs, location="query")
@blp.response(200, PushSchema(many=True))
def list_pushes(args):
    """The status pushes to the portal, newest first (at most 200): state `failed` is an incident."""
    dossier_id = operations.find(args["dossier"]).id if args.get("dossier") else None
    return queries.pushes(state=args.get("state"), dossier_id=dossier_id)


@blp.route("/pushes/<int(min=1, max=2147483647):push_id>/retry", methods=["POST"])
@admin_only
@blp.response(200, PushSchema)
def retry_push(push_id):
    """Send a failed status push again (the dossier's later statuses follow it)."""
    push = db.session.get(StatusPush, push_id)
    if push is None:
        raise NotFound(f"There is no status push {push_id}.")
    return pushes.retry(push, actor=current_user())
