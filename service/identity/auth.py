"""Who is calling: a bearer token or a session, checked before every API request."""

from __future__ import annotations

from flask import Flask, g, request, session

from ..errors import Unauthorized
from ..extensions import csrf
from .operations import Principal, principal_for_token, principal_for_user

# Endpoints anyone may call: the API description, its browsable UI, logging in and the health check
# (load balancers call it; it reveals counts and booleans only).
PUBLIC_ENDPOINTS = frozenset(
    {
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "docs_vendor",
        "auth.Login",
        "index",
        "static",
        "observability.health",
        "ui.login",
        "ui.static",
        "ui.vendor",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_user() -> Principal:
    """The authenticated user of this request (set by authenticate())."""
    return g.user


def authenticate() -> None:
    """before_request: set g.user or refuse with 401."""
    g.user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        user = principal_for_token(token.strip())
        if user is None:
            raise Unauthorized("The token is not valid, or has been revoked or has expired.")
        g.user = user
        return
    user_id = session.get("user_id")
    if user_id is not None:
        user = principal_for_user(user_id)
        if user is not None:
            if request.method not in SAFE_METHODS:
                csrf.protect()  # a session (cookie) write must carry the CSRF token
            g.user = user
            return
        session.clear()
    raise Unauthorized("Log in, or send 'Authorization: Bearer <token>'.")


def init_app(app: Flask) -> None:
    app.before_request(authenticate)
