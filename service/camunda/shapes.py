"""Camunda's ids and JSON shapes of Motcua's rows (pure functions of the rows).

Ids (docs/camunda-compatibility.md, "Ids"):
- a process definition is `<key>:<version>:<Motcua's definition row id>`, as Camunda's own ids
  (`key:version:uuid`); a BPMN process id is an XML NCName, so it holds no colon and the id splits
  from the right;
- a deployment is one deployed definition version: its id is the definition's id (Motcua keeps no
  deployment row; a file with several processes answers one deployment per definition in lists);
- process instances and tasks keep Motcua's UUIDs; a task's executionId is its instance's id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import request

from ..errors import NotFound

CAMUNDA_VERSION = "7.20.0"
ENDED = frozenset({"completed", "terminated"})
_DEFINITION_ID = re.compile(r"^(?P<key>[^:\s]{1,255}):(?P<version>\d{1,9}):(?P<row>\d{1,18})$")


def definition_id(definition) -> str:
    return f"{definition.key}:{definition.version}:{definition.id}"


def parse_definition_id(value: str) -> tuple[str, int, int]:
    """(key, version, row id) of a Camunda definition id, or 404 (Camunda: no such definition)."""
    match = _DEFINITION_ID.match(value or "")
    if match is None:
        raise NotFound(f"No process definition with id '{value[:300]}'.", code="definition_not_found")
    return match["key"], int(match["version"]), int(match["row"])


def parse_definition_id_or_none(value) -> tuple[str | None, int | None, int | None]:
    """(key, version, row id) of a Camunda definition id, or Nones (a filter that matches nothing)."""
    match = _DEFINITION_ID.match(value) if isinstance(value, str) else None
    if match is None:
        return None, None, None
    return match["key"], int(match["version"]), int(match["row"])


def moment(value: datetime | None) -> str | None:
    """A moment as Camunda writes it: 2024-01-31T02:30:00.000+0000 (UTC)."""
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _link(rel: str, path: str, method: str = "GET") -> dict:
    return {"method": method, "href": request.host_url.rstrip("/") + "/engine-rest" + path, "rel": rel}


def definition(row) -> dict:
    ident = definition_id(row)
    return {
        "id": ident,
        "key": row.key,
        "category": None,
        "description": None,
        "name": row.name,
        "version": row.version,
        "resource": row.filename,
        "deploymentId": ident,
        "diagram": None,
        "suspended": False,
        "tenantId": None,
        "versionTag": None,
        "historyTimeToLive": None,
        "startableInTasklist": True,
    }


def deployment(row, *, name: str | None = None, source: str | None = None) -> dict:
    """A definition version as the deployment that made it."""
    ident = definition_id(row)
    return {
        "id": ident,
        "name": name if name is not None else row.filename,
        "source": source,
        "deploymentTime": moment(row.deployed_at),
        "tenantId": None,
        "links": [_link("self", f"/deployment/{ident}")],
    }


def instance(row) -> dict:
    ident = str(row.id)
    return {
        "id": ident,
        "definitionId": definition_id(row.definition),
        "businessKey": row.business_key,
        "caseInstanceId": None,
        "ended": row.state in ENDED,
        "suspended": row.state == "suspended",
        "tenantId": None,
        "links": [_link("self", f"/process-instance/{ident}")],
    }


def task(row, *, definition_ident: str, instance_state: str, assignee: str | None) -> dict:
    return {
        "id": str(row.id),
        "name": row.name,
        "assignee": assignee,
        "owner": None,
        "created": moment(row.created_at),
        "lastUpdated": None,
        "due": moment(row.due_at),
        "followUp": None,
        "delegationState": None,
        "description": row.documentation,
        "executionId": str(row.instance_id),
        "parentTaskId": None,
        "priority": 50,
        "processDefinitionId": definition_ident,
        "processInstanceId": str(row.instance_id),
        "taskDefinitionKey": row.element_id,
        "caseExecutionId": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "suspended": instance_state == "suspended",
        "formKey": row.form_key,
        "camundaFormRef": None,
        "tenantId": None,
    }
