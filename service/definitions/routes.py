"""/api/v1/process-definitions: read what is deployed (service/deployment/routes.py deploys)."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ..web import page
from . import operations
from .schemas import (
    DefinitionDetailSchema,
    DefinitionListArgs,
    DefinitionPage,
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
