"""/engine-rest/deployment and /engine-rest/process-definition: deploy, read and start definitions."""

from __future__ import annotations

from flask import current_app, request

from .. import forms
from ..definitions import operations as definitions
from ..definitions.permissions import designer_only, require_starter
from ..deployment import operations as deploying
from ..errors import BadRequest
from ..extensions import db
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import DEPLOY, START, scoped
from ..instances import operations as instances
from . import args, queries, shapes
from . import variables as typed
from .blueprint import bp

# --- deployments -------------------------------------------------------------------------------

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".xml")


@bp.post("/deployment/create")
@scoped(DEPLOY)
@designer_only
def deployment_create():
    """Deploy the BPMN files of a multipart request (any field names, as Camunda Modeler and the
    clients send them; deployment-name and deployment-source are answered, not stored)."""
    if request.mimetype != "multipart/form-data":
        raise BadRequest("A deployment is sent as multipart/form-data.", code="not_multipart")
    uploads = list(request.files.items(multi=True))
    if not uploads:
        raise BadRequest("The deployment holds no file.", code="no_resources")
    limit = current_app.config["MOTCUA_MAX_BPMN_BYTES"]
    actor = current_user()
    deployed, diagram = [], None
    for field, upload in uploads:
        filename = (upload.filename or field or "resource")[:250]
        if not filename.lower().endswith(BPMN_SUFFIXES):
            if "." in filename.rsplit("/", 1)[-1]:
                raise BadRequest(
                    f"Resource '{filename}' is not BPMN: Motcua deploys .bpmn files only.",
                    code="resource_not_bpmn",
                    details={"resource": filename},
                )
            filename += ".bpmn"  # a resource sent without a file name (clients name it by its field)
        deployment, _warnings = deploying.deploy(
            upload.stream.read(limit + 1), filename=filename, actor=actor, max_bytes=limit
        )
        deployed += [definition for definition, _created in deployment.definitions]
        diagram = diagram or deployment.diagram
    db.session.flush()
    name, source = request.form.get("deployment-name"), request.form.get("deployment-source")
    if deployed:
        answer = shapes.deployment(deployed[0], name=name, source=source)
    else:
        ident = f"diagram:{diagram.key}:{diagram.version}"
        answer = {
            "id": ident,
            "name": name,
            "source": source,
            "deploymentTime": shapes.moment(diagram.deployed_at),
            "tenantId": None,
            "links": [],
        }
    return {
        **answer,
        "deployedProcessDefinitions": {shapes.definition_id(d): shapes.definition(d) for d in deployed}
        or None,
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    }


_DEPLOYMENT_FILTERS = {"id": args.STR, "name": args.STR}


def _deployment_filters() -> dict:
    found = args.filters(_DEPLOYMENT_FILTERS)
    return {("deploymentId" if k == "id" else "filename"): v for k, v in found.items()}


@bp.get("/deployment")
def deployment_list():
    """Deployments: one per deployed definition version (filters id and name, the file's name)."""
    found = _deployment_filters()
    rows = queries.definitions_page(found, args.window())
    return [shapes.deployment(row) for row in rows]


@bp.get("/deployment/count")
def deployment_count():
    return {"count": queries.definitions_count(_deployment_filters())}


@bp.get("/deployment/<string:ident>")
def deployment_get(ident):
    return shapes.deployment(queries.definition(ident))


# --- process definitions -----------------------------------------------------------------------

_DEFINITION_FILTERS = {
    "id": args.STR,
    "key": args.STR,
    "keysIn": args.LIST,
    "name": args.STR,
    "nameLike": args.STR,
    "version": args.INT,
    "deploymentId": args.STR,
    "latestVersion": args.BOOL,
}


@bp.get("/process-definition")
def definition_list():
    rows = queries.definitions_page(args.filters(_DEFINITION_FILTERS), args.window())
    return [shapes.definition(row) for row in rows]


@bp.get("/process-definition/count")
def definition_count():
    return {"count": queries.definitions_count(args.filters(_DEFINITION_FILTERS))}


@bp.get("/process-definition/key/<string:key>")
def definition_by_key(key):
    return shapes.definition(definitions.get(key))


@bp.get("/process-definition/<string:ident>")
def definition_by_id(ident):
    return shapes.definition(queries.definition(ident))


def _xml(definition) -> dict:
    return {"id": shapes.definition_id(definition), "bpmn20Xml": definition.bpmn.decode("utf-8", "replace")}


@bp.get("/process-definition/key/<string:key>/xml")
def definition_xml_by_key(key):
    return _xml(definitions.get(key))


@bp.get("/process-definition/<string:ident>/xml")
def definition_xml(ident):
    return _xml(queries.definition(ident))


def _start_form(definition) -> dict:
    return {"key": definition.start_form, "contextPath": None}


def _start_form_variables(definition) -> dict:
    """The variables the start form declares (none are set before the start: all Null)."""
    names = sorted(forms.declared(definition.start_form) or ())
    wanted = args.filters({"variableNames": args.LIST}).get("variableNames")
    return {name: typed.typed(None) for name in names if wanted is None or name in wanted}


@bp.get("/process-definition/key/<string:key>/startForm")
def start_form_by_key(key):
    return _start_form(definitions.get(key))


@bp.get("/process-definition/<string:ident>/startForm")
def start_form(ident):
    return _start_form(queries.definition(ident))


@bp.get("/process-definition/key/<string:key>/form-variables")
def start_form_variables_by_key(key):
    return _start_form_variables(definitions.get(key))


@bp.get("/process-definition/<string:ident>/form-variables")
def start_form_variables(ident):
    return _start_form_variables(queries.definition(ident))


def _startable_by_key(user, key):
    definition = definitions.get(key)
    require_starter(user, definition)
    return definition


def _startable(user, ident):
    definition = queries.definition(ident)
    require_starter(user, definition)
    return definition


def _start(definition) -> dict:
    """Start an instance (only the definition's starters may: checked before the body is read)."""
    body = args.body()
    business_key = body.get("businessKey")
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > 255):
        raise BadRequest("businessKey must be text of at most 255 characters.", code="invalid_parameter")
    instance = instances.start(
        definition,
        business_key=business_key,
        variables=typed.read(body.get("variables")),
        actor=current_user(),
    )
    db.session.flush()
    answer = shapes.instance(instance)
    if body.get("withVariablesInReturn") is True:
        answer["variables"] = typed.typed_all(instance.variables or {})
    return answer


@bp.post("/process-definition/key/<string:key>/start")
@scoped(START)
@authorise(_startable_by_key, into="definition")
def start_by_key(key, definition):
    return _start(definition)


@bp.post("/process-definition/<string:ident>/start")
@scoped(START)
@authorise(_startable, into="definition")
def start_by_id(ident, definition):
    return _start(definition)
