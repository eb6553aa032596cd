"""Property-based fuzzing of every operation in the OpenAPI document: no input yields a 500.

Schemathesis generates requests (valid and invalid) from the same schemas that validate
them; every answer must be a success or a JSON error, never a server error.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support import bpmn_path

EXAMPLES_PER_OPERATION = 30


def test_no_generated_request_gets_a_server_error(app, admin):
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    assert admin.start("simple_approval").status_code == 201
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=admin.headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, (where, response.text[:500])
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"code", "message", "details"}, where

        check()
