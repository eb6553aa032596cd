"""/api/v1/process-definitions: deploy BPMN and read what is deployed."""

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import BadRequest
from ..extensions import db
from ..identity.auth import current_user
from ..instances import operations as instances
from ..web import page
from . import operations
from .permissions import designer_only
from .schemas import (
    DefinitionDetailSchema,
    DefinitionListArgs,
    DefinitionPage,
    DefinitionSchema,
    DeployArgs,
    DeployFormArgs,
)

blp = Blueprint(
    "definitions", __name__, url_prefix="/api/v1/process-definitions", description="BPMN process definitions"
)


@blp.route("")
class Definitions(MethodView):
    @blp.arguments(DefinitionListArgs, location="query")
    @blp.response(200, DefinitionPage)
    def get(self, args):
        """The latest version of every deployed process definition."""
        items, total = operations.latest_page(args["page"], args["per_page"])
        return page(items, total, args)

    @designer_only
    @blp.arguments(DeployArgs, location="files")
    @blp.arguments(DeployFormArgs, location="form")
    @blp.response(201, DefinitionSchema, description="A new version was deployed")
    @blp.alt_response(200, schema=DefinitionSchema, description="Identical content: the existing version")
    def post(self, files, form):
        """Deploy a BPMN file (multipart field `file`).

        Identical content for a process id returns the existing version (200); changed content
        makes the next version (201). Invalid BPMN gets 422 naming the element and line. Who may
        start it comes from the BPMN (camunda:candidateStarterGroups / candidateStarterUsers on the
        process), or from the fields `starter_groups` / `starter_users` (comma-separated); with
        neither, only administrators may start it.
        """
        upload = files["file"]
        filename = upload.filename or "upload.bpmn"
        if not filename.lower().endswith((".bpmn", ".xml", ".bpmn20.xml")):
            raise BadRequest("The file must be a .bpmn file.", details={"filename": filename})
        limit = current_app.config["MOTCUA_MAX_BPMN_BYTES"]
        data = upload.stream.read(limit + 1)
        actor = current_user()
        definition, created = operations.deploy(
            data,
            filename=filename,
            actor=actor,
            max_bytes=limit,
            starter_groups=form.get("starter_groups"),
            starter_users=form.get("starter_users"),
        )
        if created:
            instances.arm_timer_start(definition, actor)
        db.session.flush()
        return definition, (201 if created else 200)


@blp.route("/<string:key>")
class Definition(MethodView):
    @blp.response(200, DefinitionDetailSchema)
    def get(self, key):
        """The latest version of a definition, with the list of its versions."""
        latest = operations.get(key)
        fields = (
            "key",
            "version",
            "name",
            "checksum",
            "filename",
            "deployed_at",
            "starter_groups",
            "starter_users",
            "start_form",
            "protected_variables",
        )
        return {
            **{name: getattr(latest, name) for name in fields},
            "versions": [
                {"version": d.version, "checksum": d.checksum, "deployed_at": d.deployed_at}
                for d in operations.versions(key)
            ],
        }


@blp.route("/<string:key>/versions/<int(max=2147483647):version>/xml")
class DefinitionXml(MethodView):
    @blp.response(200, {"type": "string"}, content_type="application/xml", description="The BPMN XML")
    def get(self, key, version):
        """The BPMN XML of one version, exactly as deployed."""
        definition = operations.get(key, version)
        return Response(definition.bpmn, mimetype="application/xml")
