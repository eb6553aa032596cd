"""/api/v1/incidents and /api/v1/reports: what the workers could not do, and the monthly late list."""

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from ..identity.auth import current_user
from ..identity.permissions import admin_only
from ..web import PageArgs, RequestSchema, page, page_schema
from . import calls, queries

blp = Blueprint("incidents", __name__, url_prefix="/api/v1", description="Incidents and reports")


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer(
        allow_none=True, metadata={"description": "A service call's incident (null for an external task)"}
    )
    kind = ma.fields.String(
        dump_default="service_call",
        metadata={
            "description": "service_call (retry: POST /incidents/{id}/retry), external_task "
            "(retry: POST /external-tasks/{external_task_id}/retry) or dvcqg_push, a status push "
            "to the national portal (retry: POST /integrations/dvcqg/pushes/{push_id}/retry)"
        },
    )
    external_task_id = ma.fields.UUID(allow_none=True, dump_default=None)
    push_id = ma.fields.Integer(allow_none=True, dump_default=None)
    topic = ma.fields.String(allow_none=True, dump_default=None)
    process_instance_id = ma.fields.UUID(attribute="instance_id")
    task_id = ma.fields.UUID(allow_none=True)
    element_id = ma.fields.String(allow_none=True)
    operation = ma.fields.String(allow_none=True)
    error = ma.fields.String(attribute="last_error", allow_none=True)
    attempts = ma.fields.Integer(allow_none=True)
    max_attempts = ma.fields.Integer(allow_none=True)
    state = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


IncidentPage = page_schema(IncidentSchema, "IncidentPage")


def _month():
    return ma.fields.String(
        required=True,
        # Years 2000-2099 in ASCII digits (\d would take other scripts' digits; year 0 or 9999-12
        # has no month bounds).
        validate=ma.validate.Regexp(
            r"^20[0-9]{2}-(0[1-9]|1[0-2])$", error="The month is YYYY-MM, 2000-2099."
        ),
        metadata={"example": "2026-10"},
    )


class MonthArgs(RequestSchema):
    month = _month()
    refresh = ma.fields.Boolean(load_default=False)


class MonthBody(RequestSchema):
    month = _month()


class LateReportSchema(ma.Schema):
    month = ma.fields.String()
    generated_at = ma.fields.AwareDateTime()
    rows = ma.fields.List(ma.fields.Dict())


@blp.route("/incidents")
class Incidents(MethodView):
    @admin_only
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, IncidentPage)
    def get(self, args):
        """Service calls whose retries ran out, and external tasks in incident (`kind`): the error,
        the element and the attempts (administrators)."""
        items, total = queries.all_incidents(args["page"], args["per_page"])
        return page(items, total, args)


@blp.route("/incidents/<int(max=2147483647):incident_id>/retry", methods=["POST"])
@admin_only
@blp.response(200, IncidentSchema)
def retry(incident_id):
    """Try the failed call again now, with a fresh set of attempts (administrators)."""
    return calls.retry_incident(incident_id, actor=current_user())


@blp.route("/reports/late-dossiers", methods=["GET"])
@admin_only
@blp.arguments(MonthArgs, location="query")
@blp.response(200, LateReportSchema)
def late_dossiers(args):
    """The late dossiers of a month and the officers and units responsible (administrators).

    The list stored on the 5th for the previous month; for a month with none stored, or with
    `refresh=true`, the list as it stands now (nothing is stored by reading it).
    """
    from ..reports import operations as reports

    return reports.late_report(args["month"], fresh=args["refresh"])


@blp.route("/reports/late-dossiers", methods=["POST"])
@admin_only
@blp.arguments(MonthBody)
@blp.response(200, LateReportSchema)
def store_late_dossiers(args):
    """Work out and store the list of a month now, replacing the stored one (administrators)."""
    from ..reports import operations as reports

    return reports.generate(args["month"], replace=True)
