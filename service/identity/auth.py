"""Who is calling: a bearer token or a session, checked before every API request."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, request, session

from ..errors import Unauthorized
from ..extensions import csrf
from . import scopes, sessions, throttle
from .operations import Principal, check_password, principal_for_token, principal_for_user

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
        "ui.lookup",  # the public lookup of a dossier (code + PIN, throttled): service/ui/lookup.py
        "public_lookup",
        "ui.static",
        "ui.vendor",
        "favicon",  # the pages' icon (service/ui), asked for by browsers on every site
    }
)
# Endpoints whose callers sign the body instead of sending a token: the remote systems' callbacks
# (service/callbacks/), refused with 401 by their view's signature check before the body is read.
SIGNED_ENDPOINTS = frozenset({"callbacks.payment_callback", "callbacks.post_callback"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Blueprints whose clients send HTTP Basic (the Camunda 7 compatible REST API, service/camunda): a
# bearer token or a user's username and password, throttled like the login; never the session
# cookie (so no CSRF either). Their 401 asks for Basic.
BASIC_AUTH_BLUEPRINTS = frozenset({"camunda", "camunda_engine"})


def current_user() -> Principal:
    """The authenticated user of this request (set by authenticate())."""
    return g.user


def current_session_id() -> int | None:
    """The id of the session this request came with (None with a bearer token)."""
    return g.get("session_id")


def cookie_session() -> sessions.LiveSession | None:
    """The live session named by this request's cookie, if any. A cookie naming no live session
    (logged out, revoked, expired, idle) or holding only the "user_id" of earlier versions loses
    it, so the browser is sent to the login page."""
    secret = session.get(sessions.SESSION_KEY)
    session.pop("user_id", None)
    if not isinstance(secret, str):
        return None
    found = sessions.live_session(secret)
    if found is None:
        session.pop(sessions.SESSION_KEY, None)
    return found


def check_csrf() -> None:
    """Refuse (400, CSRFError) a request without the session's CSRF token (form field or header)."""
    csrf.protect()


def authenticate() -> None:
    """before_request: set g.user (and g.session_id for a session) or refuse with 401."""
    g.user = None
    g.session_id = None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in SIGNED_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    basic = request.blueprint in BASIC_AUTH_BLUEPRINTS
    if basic:
        if not header:
            raise Unauthorized(
                "Send 'Authorization: Basic <username:password>' or 'Authorization: Bearer <token>'."
            )
        if header.partition(" ")[0].lower() == "basic":
            g.user = basic_principal()
            return
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        user = principal_for_token(token.strip())
        if user is None:
            raise Unauthorized("The token is not valid, or has been revoked or has expired.")
        g.user = user
        scopes.gate(user, request.method, _view())
        return
    found = cookie_session()
    if found is not None:
        if request.method not in SAFE_METHODS:
            check_csrf()  # a session (cookie) write must carry the CSRF token
        g.user, g.session_id = found.principal, found.id
        return
    raise Unauthorized("Log in, or send 'Authorization: Bearer <token>'.")


def basic_principal() -> Principal:
    """The user named by this request's HTTP Basic credentials, or 401. Wrong passwords count in
    the login throttle (service/identity/throttle.py): a blocked username and address get 429
    whatever the password, exactly as at POST /api/v1/auth/login."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise Unauthorized("The Basic credentials are malformed: send base64 of 'username:password'.")
    username, password = credentials.username, credentials.password or ""
    if "\x00" in username + password or len(username) > 255 or len(password) > 1024:
        raise Unauthorized("Wrong username or password.")
    counter = throttle.key(throttle.LOGIN, username, request.remote_addr)
    throttle.refuse_if_blocked(counter)  # whatever the password: a blocked guesser learns nothing
    user = check_password(username, password)
    principal = principal_for_user(user.id) if user is not None else None
    if principal is None:
        throttle.failed(counter)
        raise Unauthorized("Wrong username or password.")
    throttle.for_app().success(counter)
    return principal


def _view():
    """The function that will answer this request (a MethodView's method for its HTTP method), for
    the scope it declares (identity/scopes.py)."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, request.method.lower(), None)
    return view


def init_app(app: Flask) -> None:
    maximum, idle = app.config["MOTCUA_SESSION_MAX_HOURS"], app.config["MOTCUA_SESSION_IDLE_MINUTES"]
    if not (float(maximum) > 0 and float(idle) > 0):
        raise ValueError("MOTCUA_SESSION_MAX_HOURS and MOTCUA_SESSION_IDLE_MINUTES must be positive.")
    # Flask refuses a signed cookie older than this, whatever the rows say.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(maximum))
    app.before_request(authenticate)
