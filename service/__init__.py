"""Motcua: a BPMN workflow engine for one-stop-shop administrative procedures."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, abort, g, redirect, request, send_from_directory, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import IntegrityError

from . import config as config_module
from . import errors, frozen, parsing, runtime, uow
from .calendar import operations as calendar_operations
from .extensions import api, csrf, db, migrate
from .idempotency import operations as idempotency

ASSETS = Path(__file__).resolve().parent / "assets"


class MotcuaFlask(Flask):
    """Flask, reading JSON strictly (service/parsing.py), a request being one unit of work
    (service/uow.py): it commits once if the view succeeds and rolls back otherwise, then
    publishes its outbox events or compensates. A write with an Idempotency-Key keeps its answer
    in the same commit, and a retry gets that answer (service/idempotency)."""

    request_class = parsing.MotcuaRequest
    json_provider_class = parsing.MotcuaJSONProvider

    def dispatch_request(self):
        unit, token = uow.begin(g.get("user"))
        try:
            # A write carrying an Idempotency-Key that succeeded before gets its first answer.
            claim = idempotency.claim(request, g.get("user"))
            replayed = idempotency.replay(claim) if claim is not None else None
            if replayed is not None:
                db.session.commit()
                uow.end(unit, token, committed=True)
                return replayed
            rv = super().dispatch_request()
            if claim is not None:
                rv = self.make_response(rv)
            status = rv.status_code if isinstance(rv, Response) else 200
            if isinstance(rv, tuple) and len(rv) > 1 and isinstance(rv[1], int):
                status = rv[1]
            committed = status < 400 and not unit.aborted
            if committed:
                if claim is not None:
                    idempotency.record(claim, rv)  # kept with what the request did, or not at all
                try:
                    db.session.commit()
                except IntegrityError:
                    # A concurrent request with the same key committed first: its answer.
                    winner = idempotency.after_conflict(claim) if claim is not None else None
                    if winner is None:
                        raise
                    uow.end(unit, token, committed=False)
                    return winner
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            uow.end(unit, token, committed=False)
            raise
        uow.end(unit, token, committed=committed)
        return rv


@event.listens_for(SAEngine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL, foreign keys and a busy timeout, so concurrent writers wait instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_app(overrides: dict | None = None) -> Flask:
    """Build the service. `overrides` is the one injection point tests need."""
    instance_dir = (overrides or {}).get("MOTCUA_INSTANCE_DIR", config_module.INSTANCE_DIR)
    app = MotcuaFlask(__name__, instance_path=str(instance_dir))
    app.json.ensure_ascii = False  # Vietnamese stays readable in JSON answers
    app.config.update(config_module.from_environment())
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        # Development fallback: a random key per process (sessions do not survive restarts).
        app.logger.warning("SECRET_KEY is not set; using a random key for this process.")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    if uri.startswith("postgresql") and not app.config.get("MOTCUA_PG_JIT"):
        # Short OLTP queries: PostgreSQL's JIT compiles a plan whose cost estimate looks high (the
        # visibility subplans) for 15-20 ms while running it takes 1-2 ms. Off for our sessions.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".strip()
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    csrf.init_app(app)
    vendor = ASSETS / "node_modules" / "swagger-ui-dist"
    app.config["OPENAPI_SWAGGER_UI_URL"] = "/api/v1/docs/vendor/" if vendor.is_dir() else None
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": API_DESCRIPTION},
            "components": {"securitySchemes": _security_schemes()},
        },
    )
    api.spec.options["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
    errors.register(app)
    app.before_request(parsing.refuse_malformed_url)  # before authentication: public routes too
    runtime.init_app(app)
    frozen.init_app(app)  # deployed definitions and procedure versions, kept per process
    calendar_operations.init_app(app)  # the announced schedules are checked now, not at first use

    from integrations import Connectors, contracts, load_config

    from . import camunda, observability, stages, steps
    from .attachments.routes import blp as attachments_blp
    from .calendar.routes import blp as calendar_blp
    from .callbacks.routes import blp as callbacks_blp
    from .definitions.routes import blp as definitions_blp
    from .definitions.routes import diagrams_blp
    from .deployment.routes import blp as deployment_blp
    from .dossiers.routes import blp as dossiers_blp
    from .dvcqg.routes import blp as dvcqg_blp
    from .external_tasks.routes import blp as external_tasks_blp
    from .identity import auth
    from .identity.routes import admin_blp
    from .identity.routes import blp as auth_blp
    from .instances.routes import blp as instances_blp
    from .jobs.routes import blp as incidents_blp
    from .messages.routes import blp as messages_blp
    from .notifications.routes import blp as notifications_blp
    from .payments.routes import blp as payments_blp
    from .pickers.routes import blp as pickers_blp
    from .procedures.routes import blp as procedures_blp
    from .reports.indicator_routes import blp as indicators_blp
    from .reports.routes import blp as reports_blp
    from .signatures.routes import blp as signatures_blp
    from .tasks.routes import blp as tasks_blp
    from .ui import bp as ui_bp
    from .webhooks.routes import blp as webhooks_blp

    auth.init_app(app)
    steps.init_app(app, stages.PIPELINE)  # what happens after every engine step, in order
    from .external_tasks import queue as external_tasks

    external_tasks.init_app(app)  # a waiting fetch-and-lock wakes when work is committed
    if app.config.get("CELERY_BROKER_URL"):
        from .jobs import worker  # Celery is imported only where there is a broker

        worker.init_app(app)
    observability.init_app(app)
    app.extensions["motcua.connectors"] = Connectors(load_config(os.environ), contracts=contracts.load())
    from .notifications import templates as notification_templates

    notification_templates.load(app.config["MOTCUA_NOTIFICATION_TEMPLATES"] or None)  # checked at start
    for blueprint in (
        auth_blp,
        admin_blp,
        definitions_blp,
        deployment_blp,
        diagrams_blp,
        instances_blp,
        messages_blp,
        tasks_blp,
        calendar_blp,
        procedures_blp,
        dossiers_blp,
        incidents_blp,
        reports_blp,
        attachments_blp,
        webhooks_blp,
        notifications_blp,
        signatures_blp,
        external_tasks_blp,
        indicators_blp,
        dvcqg_blp,
        pickers_blp,
        payments_blp,
        callbacks_blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(ui_bp)  # the web pages under /ui
    camunda.init_app(app)  # the Camunda 7 compatible REST API under /engine-rest

    @app.get("/api/v1/docs/vendor/<path:filename>", endpoint="docs_vendor")
    def docs_vendor(filename):
        if not vendor.is_dir():
            abort(404)
        return send_from_directory(vendor, filename)

    @app.get("/")
    def index():
        # A browser lands on the web pages; scripts get the map of the API.
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return redirect(url_for("ui.worklist"))
        return {
            "service": "motcua",
            "api": "/api/v1",
            "openapi": "/api/v1/openapi.json",
            "docs": "/api/v1/docs",
        }

    @app.get("/tra-cuu", endpoint="public_lookup")
    def public_lookup():
        # The address Mẫu 01 prints and its QR code opens: the public lookup page (no login).
        code = request.args.get("ma", "")[:64]
        return redirect(url_for("ui.lookup", **({"ma": code} if code else {})))

    return app


API_DESCRIPTION = """\
Motcua's REST API. Authenticate with `Authorization: Bearer <token>` or the session of
`POST /auth/login` (session writes also send its `csrf_token` as `X-CSRFToken`).

Every error is `{"error": {"code", "message", "details"}}` (the `Error` schema): 400 a malformed
request (JSON that is not valid, not UTF-8, nested deeper than MOTCUA_JSON_MAX_DEPTH (64), with NaN,
Infinity, a number that overflows a double, an integer of more than 4300 digits or a lone surrogate;
a URL that is not UTF-8; no body where the operation takes one), 401 not authenticated, 403 not
allowed (decided before the body is read wherever the rule does not depend on the resource),
404 unknown, 409 conflict, 412 stale `If-Match`, 413 too large, 415 a body that is not JSON where
JSON is expected, 422 invalid (`details.fields` names each field).

Writes (POST, PUT, PATCH, DELETE) accept an `Idempotency-Key` header: a retry with the same key and
request gets the first answer (`Idempotent-Replayed: true`) and nothing is done twice; the same key
with another request is a 422 (`idempotency_key_reused`).

A JSON body has the JSON types the schemas declare (`true`, not `"true"` or `1`). Text never holds
NUL characters, and dates are in the years 1900 to 2999.
"""


def _security_schemes() -> dict:
    return {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "motcua tokens create --user NAME"},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
        # The remote systems' callbacks (service/callbacks/): the body signed with a shared secret.
        "callbackSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Motcua-Signature",
            "description": "sha256=<hex HMAC-SHA256 of the body with the system's shared secret>",
        },
    }
