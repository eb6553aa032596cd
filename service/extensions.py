"""Flask extensions, created once and bound in create_app()."""

from __future__ import annotations

import flask_smorest
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

from .errors import ErrorSchema
from .parsing import MotcuaParser
from .web import openapi_attributes

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
csrf = CSRFProtect()


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting errors as the service sends them (service/errors.py)."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(openapi_attributes)

    def _register_error_handlers(self):
        """None: errors.register installs the service's handlers."""


api = Api()

# Every @blp.arguments parses with the service's parser (strict JSON, a body where one is declared).
# The parser is bound when a route module is imported, so it is set here, on the class every
# blueprint uses, before any of them is imported: one parser for the whole API.
flask_smorest.Blueprint.ARGUMENTS_PARSER = MotcuaParser()
