"""Deploying a BPMN file as the service does it, for the REST route, the Camunda deployment route
and `motcua deploy`: definitions.operations.deploy_file stores the new versions; then, for each
new version, the instance that waits on a timer start event is armed (instances) and the
procedures of the catalogue whose step allotments no longer fit their statutory time are named
(procedures.allotments). It composes those three domains, so it lives above them: none of them
imports another for a deploy."""

from __future__ import annotations

from ..definitions.operations import Deployment, deploy_file
from ..extensions import db
from ..instances.operations import arm_timer_start
from ..procedures.allotments import deploy_notes


def deploy(
    data: bytes,
    *,
    filename: str,
    actor,
    max_bytes: int,
    starter_groups: list[str] | None = None,
    starter_users: list[str] | None = None,
) -> tuple[Deployment, list[dict]]:
    """(what deploy_file did, the warnings of the new versions' step allotments), flushed."""
    deployment = deploy_file(
        data,
        filename=filename,
        actor=actor,
        max_bytes=max_bytes,
        starter_groups=starter_groups,
        starter_users=starter_users,
    )
    warnings: list[dict] = []
    for definition, created in deployment.definitions:
        if created:
            arm_timer_start(definition, actor)
            warnings += deploy_notes(definition.key, definition.id, definition.version)
    db.session.flush()
    return deployment, warnings
