"""An agency's electronic documents system: a filed result gets a document number.

`file_result` checks the PDF it is sent against its SHA-256, keeps what it received (not the bytes)
and answers a document number ("12/2026/VB-EDMS"); `GET /edms/_documents` lists them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime

from werkzeug.routing import Rule
from werkzeug.wrappers import Response


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    if operation != "file_result":
        return {"ok": True, "reference": f"edms-{number}", "echo": params}
    document = params.get("document") or {}
    try:
        content = base64.b64decode(document.get("content_base64", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    now = datetime.now(UTC)
    filed = f"{number}/{now.year}/VB-EDMS"
    state.setdefault("documents", {})[filed] = {
        "ref": params.get("ref"),
        "result_number": params.get("result_number"),
        "name": document.get("name"),
        "size": len(content),
        "sha256_ok": hashlib.sha256(content).hexdigest() == document.get("sha256"),
        "pdf": content.startswith(b"%PDF-"),
    }
    return {"ok": True, "document_number": filed, "filed_at": now.isoformat(timespec="seconds")}


def _documents(simulator, request) -> Response:
    with simulator.lock:
        documents = simulator.state.get("systems", {}).get("edms", {}).get("documents", {})
        return Response(json.dumps(documents, ensure_ascii=False), 200, mimetype="application/json")


def routes(simulator) -> list:
    return [(Rule("/edms/_documents", endpoint="edms_documents", methods=["GET"]), _documents)]
