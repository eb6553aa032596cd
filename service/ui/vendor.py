"""Browser libraries installed from the npm registry (service/assets), served read-only.

Only the files listed here are served; anything else is 404, so nothing else of node_modules
(and no path outside it) can be reached.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import abort, send_file, url_for

NODE_MODULES = Path(__file__).resolve().parent.parent / "assets" / "node_modules"

# Served name -> (npm package, files under the package's folder).
PACKAGES: dict[str, tuple[str, frozenset[str]]] = {
    "json-editor": (
        "@json-editor/json-editor",
        frozenset({"dist/jsoneditor.js", "dist/jsoneditor.js.LICENSE.txt", "LICENSE"}),
    ),
    # The viewer (dossier page, version comparison) and the modeler (designer). Its licence asks
    # that the bpmn.io watermark the library draws stays visible.
    "bpmn-js": (
        "bpmn-js",
        frozenset(
            {
                "dist/bpmn-viewer.production.min.js",
                "dist/bpmn-navigated-viewer.production.min.js",
                "dist/bpmn-modeler.production.min.js",
                "dist/assets/diagram-js.css",
                "dist/assets/bpmn-js.css",
                "dist/assets/bpmn-font/css/bpmn.css",
                *(f"dist/assets/bpmn-font/font/bpmn.{ext}" for ext in ("eot", "svg", "ttf", "woff", "woff2")),
                "LICENSE",
            }
        ),
    ),
    # The dashboard's trend charts (service/ui/dashboard.py).
    "chart.js": ("chart.js", frozenset({"dist/chart.umd.min.js", "LICENSE.md"})),
}
MAX_AGE = 24 * 3600


@cache
def version(name: str) -> str | None:
    """The installed version of a served package, or None when it is not installed."""
    package, _files = PACKAGES[name]
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def vendor_url(name: str, filename: str) -> str:
    """The URL of a served file, with the package version to bust caches on upgrade."""
    return url_for("ui.vendor", name=name, filename=filename, v=version(name) or "missing")


def serve(name: str, filename: str):
    entry = PACKAGES.get(name)
    if entry is None or filename not in entry[1]:
        abort(404)
    path = NODE_MODULES / entry[0] / filename
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=MAX_AGE, conditional=True)
