"""POST /api/v1/process-definitions: deploy a BPMN file (the reads of that path are
definitions/routes.py's; this route composes definitions, instances and procedures, so it lives
above them)."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..definitions.permissions import designer_only
from ..definitions.schemas import DeployArgs, DeployFormArgs, DeployResultSchema
from ..errors import BadRequest
from ..identity.auth import current_user
from ..identity.scopes import DEPLOY, scoped
from . import operations

blp = Blueprint(
    "deployment",
    __name__,
    url_prefix="/api/v1/process-definitions",
    description="Deploying BPMN process definitions",
)


@blp.route("")
class Deploy(MethodView):
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
        "BPMN from other modelers"); `report` lists what is kept but will not run, and warns of each
        procedure of the catalogue whose step allotments no longer fit its statutory time along a
        path of the new version (the deploy is kept; see procedures/allotments.py).
        """
        upload = files["file"]
        filename = upload.filename or "upload.bpmn"
        if not filename.lower().endswith((".bpmn", ".xml", ".bpmn20.xml")):
            raise BadRequest("The file must be a .bpmn file.", details={"filename": filename})
        limit = current_app.config["MOTCUA_MAX_BPMN_BYTES"]
        data = upload.stream.read(limit + 1)
        actor = current_user()
        deployment, warnings = operations.deploy(
            data,
            filename=filename,
            actor=actor,
            max_bytes=limit,
            starter_groups=form.get("starter_groups"),
            starter_users=form.get("starter_users"),
        )
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
            "report": [note.as_dict() for note in parsed.report] + warnings,
        }, (201 if deployment.created else 200)
