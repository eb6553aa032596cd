"""/api/v1/process-definitions: deploy BPMN and read what is deployed."""

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import BadRequest
from ..extensions import db
from ..identity.auth import current_user
from ..identity.scopes import DEPLOY, scoped
from ..instances import operations as instances
from ..web import page
from . import operations
from .permissions import designer_only
from .schemas import (
    DefinitionDetailSchema,
    DefinitionListArgs,
    DefinitionPage,
    DeployArgs,
    DeployFormArgs,
    DeployResultSchema,
    DiagramDetailSchema,
    DiagramSchema,
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

    @scoped(DEPLOY)
    @designer_only
    @blp.arguments(DeployArgs, location="files")
    @blp.arguments(DeployFormArgs, location="form")
    @blp.response(201, DeployResultSchema, description="A new version was deployed")
    @blp.alt_response(200, schema=DeployResultSchema, description="Identical content: the existing version")
    def post(self, files, form):
        """Deploy a BPMN file (multipart field `file`).

        Identical content for a process id returns the existing version (200); changed content
        makes the next version (201). Invalid BPMN gets 422 naming the element and line. Who may
        start it comes from the BPMN (camunda:candidateStarterGroups / candidateStarterUsers on the
        process), or from the fields `starter_groups` / `starter_users` (comma-separated); with
        neither, only administrators may start it.

        A file with several executable processes deploys each as its own definition (`definitions`;
        the answer's other fields describe the first), except pools of a `bpmn:collaboration` that
        exchange messages: they deploy together as ONE definition keyed by the collaboration's id,
        started at the pool with a plain start event, its messages delivered between the pools inside
        each instance (`definitions[].pools`: each pool, how it starts, its tasks' unit).
        Non-executable processes are kept with the file (`non_executable`); a file without an
        executable process is stored as a diagram (`diagram_only`, listed under /api/v1/diagrams,
        never started). Camunda Modeler's attributes and `${...}` expressions are mapped (README,
        "BPMN from other modelers"); `report` lists what is kept but will not run.
        """
        upload = files["file"]
        filename = upload.filename or "upload.bpmn"
        if not filename.lower().endswith((".bpmn", ".xml", ".bpmn20.xml")):
            raise BadRequest("The file must be a .bpmn file.", details={"filename": filename})
        limit = current_app.config["MOTCUA_MAX_BPMN_BYTES"]
        data = upload.stream.read(limit + 1)
        actor = current_user()
        deployment = operations.deploy_file(
            data,
            filename=filename,
            actor=actor,
            max_bytes=limit,
            starter_groups=form.get("starter_groups"),
            starter_users=form.get("starter_users"),
        )
        for definition, created in deployment.definitions:
            if created:
                instances.arm_timer_start(definition, actor)
        db.session.flush()
        parsed = deployment.parsed
        pools = {each.key: each.pools for each in parsed.definitions}
        first = deployment.definitions[0][0] if deployment.definitions else deployment.diagram
        return {
            **{
                name: getattr(first, name, None)
                for name in DeployResultSchema().fields
                if hasattr(first, name)
            },
            "diagram_only": parsed.diagram_only,
            "definitions": [
                {
                    "key": d.key,
                    "version": d.version,
                    "name": d.name,
                    "created": created,
                    "pools": [pool.as_dict() for pool in pools.get(d.key, ())],
                }
                for d, created in deployment.definitions
            ],
            "non_executable": list(parsed.non_executable),
            "report": [note.as_dict() for note in parsed.report],
        }, (201 if deployment.created else 200)


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


diagrams_blp = Blueprint(
    "diagrams",
    __name__,
    url_prefix="/api/v1/diagrams",
    description="Deployed BPMN files without an executable process: stored and listed, never started",
)


@diagrams_blp.route("")
class Diagrams(MethodView):
    @diagrams_blp.response(200, DiagramSchema(many=True))
    def get(self):
        """The latest version of every diagram-only file."""
        return operations.diagrams()


@diagrams_blp.route("/<string:key>")
class DiagramDetail(MethodView):
    @diagrams_blp.response(200, DiagramDetailSchema)
    def get(self, key):
        """The latest version of a diagram, with the list of its versions."""
        latest = operations.diagram(key)
        fields = ("key", "version", "name", "checksum", "filename", "deployed_at", "processes", "report")
        return {
            **{name: getattr(latest, name) for name in fields},
            "versions": [
                {"version": d.version, "checksum": d.checksum, "deployed_at": d.deployed_at}
                for d in operations.diagram_versions(key)
            ],
        }


@diagrams_blp.route("/<string:key>/versions/<int(max=2147483647):version>/xml")
class DiagramXml(MethodView):
    @diagrams_blp.response(
        200, {"type": "string"}, content_type="application/xml", description="The BPMN XML"
    )
    def get(self, key, version):
        """The BPMN XML of one diagram version, exactly as deployed."""
        return Response(operations.diagram(key, version).bpmn, mimetype="application/xml")
