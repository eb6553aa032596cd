import marshmallow as ma

from ..web import RequestSchema


class LoginArgs(RequestSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024), load_only=True)


class MeSchema(ma.Schema):
    username = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    is_admin = ma.fields.Boolean()
    groups = ma.fields.List(ma.fields.String())
    unit = ma.fields.String(allow_none=True)
    csrf_token = ma.fields.String(allow_none=True)
