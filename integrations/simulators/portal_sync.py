"""The provincial portal and the units' portals (Cổng TTĐT), as the simulator plays them: each
`publish_procedures` call publishes the localised procedures on one portal (`portal`: "province"
or a unit's code), kept per portal, and answers how many it published. Their integration is not
published; the contract (integrations/contracts/portal_sync.json) is Motcua's own.

GET /_control/portal_sync/portals shows what each portal shows.
"""

from __future__ import annotations

import json

from werkzeug.routing import Rule
from werkzeug.wrappers import Response


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    if operation != "publish_procedures":
        return {"ok": True, "reference": f"portal_sync-{number}", "echo": params}
    shown = state.setdefault("portals", {}).setdefault(params["portal"], {})
    for procedure in params["procedures"]:
        shown[procedure["code"]] = {
            "active": procedure.get("active", True),
            "decision": params.get("decision"),
        }
    return {"ok": True, "reference": f"portal_sync-{number}", "published": len(params["procedures"])}


def _portals(simulator, request) -> Response:
    with simulator.lock:
        own = simulator.state.setdefault("systems", {}).setdefault("portal_sync", {})
        data = {"portals": own.get("portals", {})}
    return Response(json.dumps(data, ensure_ascii=False), 200, mimetype="application/json")


def routes(simulator) -> list:
    rule = Rule("/_control/portal_sync/portals", endpoint="portal_sync_portals", methods=["GET"])
    return [(rule, _portals)]
