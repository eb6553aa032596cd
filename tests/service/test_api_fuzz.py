"""Schemathesis against every operation of the OpenAPI document, with all its checks.

The equivalent of `schemathesis run --checks all` on the WSGI app: for each operation, the examples,
coverage and fuzzing phases generate valid and invalid requests from the same document that
describes them, and every answer must pass every check: no server error; status code, content
type, headers and body as documented (errors included); invalid data refused; valid data accepted;
authentication not ignored; unsupported methods refused with a true Allow header. One test per
operation, so a failure names it.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

EXAMPLES_PER_OPERATION = 30

# positive_data_acceptance: a request the document calls valid must be accepted (2xx, or 401, 403,
# 404, 409). For these operations validity depends on more than a JSON Schema can say; the service
# answers such a request with the status named here and a message naming the field or the file,
# and that answer is accepted too (every other one still fails the check).
BEYOND_THE_SCHEMA = {
    "POST /api/v1/users": (["422"], "groups and unit must name existing ones"),
    "PATCH /api/v1/users/{username}": (["422"], "groups and unit must name existing ones"),
    "POST /api/v1/tokens": (["422"], "user must name an existing user"),
    "POST /api/v1/auth/password": (["422"], "current_password must be the caller's password"),
    "POST /api/v1/process-definitions": (["400", "422"], "the file must be named .bpmn and hold valid BPMN"),
    "POST /api/v1/procedures/load": (["422"], "the file must be a .json or .csv catalogue of procedures"),
    "POST /api/v1/applicants/from-cccd": (["422"], "the QR string must be a CCCD's (real dates, digits)"),
    "POST /api/v1/webhooks": (["422"], "the URL must be http(s) with a host and no credentials"),
    "PATCH /api/v1/webhooks/{subscription_id}": (["422"], "the same for a changed URL"),
    "GET /api/v1/reports/indicators": (["422"], "period must name a period (month:2026-11...)"),
    "GET /api/v1/dossiers": (["422"], "the period filter must name a period (month:2026-11...)"),
    "POST /api/v1/units": (["422"], "parent_code must name an existing unit (no cycle)"),
    "POST /api/v1/notifications/opt-outs": (["422"], "phone must be a Vietnamese phone number"),
    "PUT /api/v1/notifications/contacts/{username}": (["422"], "phone must be a Vietnamese phone number"),
    "POST /api/v1/signatures/verify": (["422"], "the file must be a readable PDF"),
    "PATCH /api/v1/units/{code}": (["422"], "parent_code must name an existing unit (no cycle)"),
    "GET /api/v1/reports/late": (["422"], "period must name a period (month:2026-11...)"),
    "GET /api/v1/reports/register": (["422"], "period must name a period (month:2026-11...)"),
    "GET /api/v1/reports/heatmap": (["422"], "period must name a period (month:2026-11...)"),
}
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

CONFIG = {
    "checks": {"enabled": True},  # every check (--checks all)
    # Text never holds NUL (no database stores it); RequestSchema refuses it with 422, which
    # tests/security/test_no_500_on_input.py asserts. Generating it would make every string field's
    # "valid" data invalid, so it is left out of generation.
    "generation": {"allow-x00": False},
    "operations": [
        *(
            {
                "include-name": name,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, *statuses]}
                },
            }
            for name, (statuses, _why) in BEYOND_THE_SCHEMA.items()
        ),
        # /procedures/load is also /procedures/{code} with the code "load": its Allow header rightly
        # lists GET and PATCH too, which the document has under /procedures/{code}. The check reads
        # the two paths apart; every other path keeps it.
        {
            "include-name": "POST /api/v1/procedures/load",
            "checks": {"allow_header_conformance": {"enabled": False}},
        },
    ],
}


class _CurrentApp:
    """The WSGI app schemathesis calls: the running test's app (each test has a database of its own).

    Schemathesis binds an app to the schema it loads at collection, and its checks send their own
    probes to it (without credentials, with other methods), so the schema holds this stable proxy.
    """

    def __init__(self):
        from service import create_app

        # The OpenAPI document needs no database: a throwaway app serves it for collection.
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "doc", "TESTING": True})

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


current = _CurrentApp()
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", current, config=schemathesis.config.SchemathesisConfig.from_dict(CONFIG)
)


@pytest.fixture
def seeded_admin(app, admin, deploy_library):
    """The test's app, with a deployed definition and a running instance, behind the proxy; its admin."""
    deploy_library("simple_approval.bpmn")
    assert admin.start("simple_approval").status_code == 201
    current.app = app
    return admin


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_openapi_document(case, seeded_admin):
    case.call_and_validate(headers=seeded_admin.headers)
