import marshmallow as ma
from flask_smorest.fields import Upload

from ..web import PageArgs, RequestSchema, page_schema


class DeployArgs(RequestSchema):
    file = Upload(required=True, metadata={"description": "A .bpmn file (BPMN 2.0 XML)"})


def _names(description: str):
    return ma.fields.String(
        validate=ma.validate.Length(max=2000),
        metadata={"description": description + " (comma-separated); replaces what the BPMN declares"},
    )


class DeployFormArgs(RequestSchema):
    starter_groups = _names("Groups whose members may start the process")
    starter_users = _names("Usernames who may start the process")

    @ma.post_load
    def _split(self, data, **kwargs):
        return {key: [n.strip() for n in value.split(",") if n.strip()] for key, value in data.items()}


class DefinitionSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "The BPMN process id"})
    version = ma.fields.Integer()
    name = ma.fields.String()
    checksum = ma.fields.String(metadata={"description": "sha256 of the deployed file"})
    filename = ma.fields.String(allow_none=True)
    deployed_at = ma.fields.AwareDateTime()
    starter_groups = ma.fields.List(
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "Who may start it besides administrators; none: administrators only"},
    )
    starter_users = ma.fields.List(ma.fields.String(), allow_none=True)
    start_form = ma.fields.String(
        allow_none=True, metadata={"description": "The form of the start variables; none: no variables"}
    )


class ReportLineSchema(ma.Schema):
    element_id = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class PoolSchema(ma.Schema):
    process = ma.fields.String(metadata={"description": "The pool's process id"})
    name = ma.fields.String()
    starts = ma.fields.String(
        metadata={
            "description": "`start`: with the instance; `message`: when another pool's message reaches it"
        }
    )
    unit = ma.fields.String(allow_none=True, metadata={"description": "The org unit of the pool's tasks"})
    unit_variable = ma.fields.String(
        allow_none=True, metadata={"description": "The variable holding the org unit of the pool's tasks"}
    )


class DeployedSchema(ma.Schema):
    key = ma.fields.String()
    version = ma.fields.Integer()
    name = ma.fields.String()
    created = ma.fields.Boolean(metadata={"description": "A new version (false: identical content)"})
    pools = ma.fields.List(
        ma.fields.Nested(PoolSchema),
        metadata={
            "description": "A collaboration (pools that exchange messages, deployed as one definition "
            "keyed by the collaboration's id): its executable pools; empty for a single process"
        },
    )


class DeployResultSchema(DefinitionSchema):
    """The definition deployed (the file's first executable process), with what else the file held."""

    diagram_only = ma.fields.Boolean(
        metadata={"description": "The file has no executable process: stored as a diagram, not startable"}
    )
    definitions = ma.fields.List(
        ma.fields.Nested(DeployedSchema),
        metadata={
            "description": "What the file deployed: each executable process its own definition, "
            "except pools that exchange messages, which deploy together as one collaboration"
        },
    )
    non_executable = ma.fields.List(
        ma.fields.String(), metadata={"description": "Processes kept with the file, never started"}
    )
    report = ma.fields.List(
        ma.fields.Nested(ReportLineSchema),
        metadata={"description": "Elements kept but that will not run, or run differently, in Motcua"},
    )


class DiagramSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "The file's bpmn:definitions id"})
    version = ma.fields.Integer()
    name = ma.fields.String()
    checksum = ma.fields.String()
    filename = ma.fields.String(allow_none=True)
    deployed_at = ma.fields.AwareDateTime()
    processes = ma.fields.List(ma.fields.String(), allow_none=True)
    report = ma.fields.List(ma.fields.Nested(ReportLineSchema), allow_none=True)


class VersionSchema(ma.Schema):
    version = ma.fields.Integer()
    checksum = ma.fields.String()
    deployed_at = ma.fields.AwareDateTime()


class DefinitionDetailSchema(DefinitionSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))
    protected_variables = ma.fields.List(
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "Variables the process computes: no caller may set them"},
    )


DefinitionPage = page_schema(DefinitionSchema, "DefinitionPage")


class DefinitionListArgs(PageArgs):
    pass


class DiagramDetailSchema(DiagramSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))
