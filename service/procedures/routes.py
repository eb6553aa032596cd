"""/api/v1/procedures: the procedure catalogue."""

from flask.views import MethodView
from flask_smorest import Blueprint

from ..identity.auth import current_user
from ..identity.permissions import admin_only
from ..tasks import queries as task_queries
from ..tasks.permissions import require_task_actor
from ..web import page
from . import changes, operations
from .schemas import (
    CatalogueChangeSchema,
    CatalogueFileArgs,
    CatalogueLoadedSchema,
    ProcedureListArgs,
    ProcedurePage,
    ProcedurePatchSchema,
    ProcedureSchema,
)

blp = Blueprint(
    "procedures", __name__, url_prefix="/api/v1/procedures", description="The procedure catalogue (TTHC)"
)


@blp.route("")
class Procedures(MethodView):
    @blp.arguments(ProcedureListArgs, location="query")
    @blp.response(200, ProcedurePage)
    def get(self, args):
        """Search the catalogue (q, field, level, unit_code, active)."""
        filters = {k: args.get(k) for k in ("q", "field", "level", "unit_code", "active")}
        items, total = operations.search(**filters, page=args["page"], per_page=args["per_page"])
        return page(items, total, args)

    @admin_only
    @blp.arguments(ProcedureSchema)
    @blp.response(201, ProcedureSchema)
    def post(self, data):
        """Add a procedure (administrators)."""
        return operations.create(data)


@blp.route("/load", methods=["POST"])
@admin_only
@blp.arguments(CatalogueFileArgs, location="files")
@blp.response(200, CatalogueLoadedSchema)
def load_catalogue(files):
    """Load a catalogue file (multipart field `file`, .json or .csv, at most 2 MB) as
    `motcua procedures load` does: every record is checked first, one bad record refuses the file
    (422 with its number and fields); existing codes are updated (administrators)."""
    upload = files["file"]
    data = upload.stream.read(operations.MAX_CATALOGUE_BYTES + 1)
    created, updated = operations.load_upload(data, upload.filename or "")
    return {"created": created, "updated": updated}


@blp.route("/<string:code>")
class ProcedureView(MethodView):
    @blp.response(200, ProcedureSchema)
    def get(self, code):
        """One procedure with its components, fee and step allotments."""
        return operations.get(code)

    @admin_only
    @blp.arguments(ProcedurePatchSchema(partial=True))
    @blp.response(200, ProcedureSchema)
    def patch(self, data, code):
        """Change a procedure (administrators); `active: false` withdraws it from reception."""
        data.pop("code", None)
        return operations.update(operations.get(code), data)


@blp.route("/changes/<uuid:task_id>", methods=["GET"])
@blp.response(200, CatalogueChangeSchema)
def catalogue_change(task_id):
    """The catalogue change a task proposes (a localisation from the national TTHC database, an
    approved internal procedure): new, changed and withdrawn procedures field by field, against
    the catalogue as it is now, each with what would make approving it refused (task actors)."""
    task, instance = task_queries.get_with_instance(task_id)
    require_task_actor(current_user(), task, instance.started_by_id)
    return changes.for_task(task, instance)


@blp.route("/<string:code>/versions", methods=["GET"])
@blp.response(200, ProcedureSchema(many=True))
def procedure_versions(code):
    """Every version of a procedure, newest first: the dossiers received under each keep it."""
    return operations.versions(code)
