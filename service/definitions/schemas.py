import marshmallow as ma
from flask_smorest.fields import Upload

from ..web import PageArgs, RequestSchema, page_schema


class DeployArgs(RequestSchema):
    file = Upload(required=True, metadata={"description": "A .bpmn file (BPMN 2.0 XML)"})


class DefinitionSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "The BPMN process id"})
    version = ma.fields.Integer()
    name = ma.fields.String()
    checksum = ma.fields.String(metadata={"description": "sha256 of the deployed file"})
    filename = ma.fields.String(allow_none=True)
    deployed_at = ma.fields.AwareDateTime()


class VersionSchema(ma.Schema):
    version = ma.fields.Integer()
    checksum = ma.fields.String()
    deployed_at = ma.fields.AwareDateTime()


class DefinitionDetailSchema(DefinitionSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))


DefinitionPage = page_schema(DefinitionSchema, "DefinitionPage")


class DefinitionListArgs(PageArgs):
    pass
