"""A Camunda 7 compatible REST API under /engine-rest, so Camunda's client libraries work against
Motcua (docs/camunda-compatibility.md): thin routes over the domains' operations, queries and
permissions, with Camunda's paths, JSON shapes, typed variables and errors."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API at /engine-rest and at /engine-rest/engine/default (the engine's name)."""
    from . import (  # noqa: F401  (their routes join bp)
        definition_routes,
        external_task_routes,
        instance_routes,
        message_routes,
        task_routes,
    )
    from .blueprint import bp

    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/engine-rest/engine/default", name="camunda_engine")
