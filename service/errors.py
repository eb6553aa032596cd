"""Every error leaves the service as {"error": {"code", "message", "details"}}.

Domain code raises the exceptions below (or the engine's); this module is the one place
that maps them, HTTP exceptions and database conflicts to status codes.
"""

from __future__ import annotations

import logging
import math

import marshmallow as ma
from flask import Flask, current_app, has_request_context, jsonify
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .engine import (
    BpmnInvalid,
    BpmnTooLarge,
    EngineError,
    EventNotExpected,
    StateCorrupt,
    StateNotStorable,
    TaskNotReady,
)

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal with a status, a stable code and a readable message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class PreconditionFailed(ServiceError):
    status, code = 412, "precondition_failed"


class UnsupportedMediaType(ServiceError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(ServiceError):
    status, code = 422, "unprocessable"


class TooManyRequests(ServiceError):
    """Refused for now (a login throttle): the response says when to try again (Retry-After)."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: str, *, retry_after: float, **kw):
        super().__init__(message, **kw)
        self.retry_after = max(1, math.ceil(retry_after))


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    details = ma.fields.Dict(
        required=True,
        metadata={"description": "More about it, e.g. {'fields': {name: [messages]}} for invalid input"},
    )


class ErrorSchema(ma.Schema):
    """Every error body, as the OpenAPI document declares it (flask-smorest's Api.ERROR_SCHEMA)."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(status: int, code: str, message: str, details: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


_ENGINE_STATUS = {
    BpmnTooLarge: (413, "bpmn_too_large"),
    BpmnInvalid: (422, "bpmn_invalid"),
    TaskNotReady: (409, "task_not_ready"),
    EventNotExpected: (409, "event_not_expected"),
    StateNotStorable: (422, "data_not_storable"),
    StateCorrupt: (500, "state_corrupt"),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}


# The app's HTML error pages (service/ui/error_pages.py), for the few API URLs a person opens in a
# browser (a slip, a file): an object with handles() and render(status).
HTML_ERRORS = "motcua.html_errors"


def _page(status: int):
    """A browser's HTML page for this error, when the app has one for this request; else None."""
    if not has_request_context():
        return None
    pages = current_app.extensions.get(HTML_ERRORS)
    if pages is None or not pages.handles():
        return None
    return pages.render(status)


def register(app: Flask) -> None:
    """Install the handlers; flask-smorest's own HTTP handler is replaced by ours."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        page = _page(exc.status)
        if page is not None:
            return page
        response = error_response(exc.status, exc.code, exc.message, exc.details)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="motcua"'
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        status, code = _ENGINE_STATUS.get(type(exc), (422, "engine_error"))
        if status >= 500:
            log.error("engine error: %s", exc.message)
        return error_response(status, code, exc.message, exc.details())

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        return error_response(
            409,
            "concurrent_update",
            "Someone else changed this process instance at the same time; nothing of your request was "
            "applied. Reload it and try again.",
        )

    @app.errorhandler(IntegrityError)
    def _integrity(exc):
        return error_response(
            409, "conflict", "The request conflicts with data written at the same time; nothing was applied."
        )

    @app.errorhandler(DataError)
    def _data(exc):
        # The database refused a value the schemas let through (e.g. out of a column's range).
        return error_response(
            400,
            "invalid_value",
            "A value in the request is not acceptable to the database; nothing was applied.",
        )

    @app.errorhandler(OperationalError)
    def _operational(exc):
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if "locked" in message or "could not serialize" in message or "deadlock" in message:
            return error_response(
                409, "concurrent_update", "The data was busy with a concurrent change; nothing was applied."
            )
        log.exception("database error")
        return error_response(503, "database_unavailable", "The database could not answer the request.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        page = _page(status) if status in (401, 403, 404) else None
        if page is not None:
            return page
        data = getattr(exc, "data", None) or {}
        details = {}
        message = exc.description or exc.name
        if "messages" in data:  # webargs validation errors, per location and field
            details = {"fields": _flatten_locations(data["messages"])}
            message = "The request is not valid: " + ", ".join(sorted(details["fields"])) + "."
            status = 422
        if status == 413:
            message = "The request body is larger than the service accepts."
        response = error_response(status, _HTTP_CODES.get(status, "http_error"), message, details)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "An unexpected error occurred; it has been logged.")


def _flatten_locations(messages: dict) -> dict:
    fields: dict = {}
    for _location, per_field in messages.items():
        if isinstance(per_field, dict):
            fields.update(per_field)
        else:
            fields["_schema"] = per_field
    return fields
