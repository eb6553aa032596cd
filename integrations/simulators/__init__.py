"""The remote systems the simulator (integrations/simulator.py) plays, one module per system.

A system answers the calls a connector makes (`answer(operation, params, state, number)`: the
JSON answer of a call seen for the first time; `state` is the system's own part of the
simulator's state, kept with --state; `number` counts the system's side effects) and may add routes
of its own (`routes`: werkzeug Rules with their handlers, e.g. a page where a citizen submits a
dossier, or a callback the system sends to Motcua). Add a system by writing its module and one
line in SYSTEMS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.simulators import sms, zalo

from . import csdl_tthc, portal_sync


def echo(connector: str) -> Callable[[str, dict, dict, int], dict]:
    """The plain answer: a reference numbered per system, and the params echoed."""

    def answer(operation: str, params: dict, state: dict, number: int) -> dict:
        return {"ok": True, "reference": f"{connector}-{number}", "echo": params}

    return answer


@dataclass(frozen=True)
class System:
    name: str
    answer: Callable[[str, dict, dict, int], dict]
    # (simulator) -> [(werkzeug Rule with an endpoint name, handler(simulator, request, **args))]
    routes: Callable[[Any], list] = field(default=lambda simulator: [])


def _module(name: str) -> System:
    """A system written as a module of this package (its `answer` and `routes`)."""
    from importlib import import_module

    module = import_module(f"{__name__}.{name}")
    return System(name, module.answer, module.routes)


from . import dvc  # noqa: E402  (a system module imports System from here)

SYSTEMS: dict[str, System] = {
    "dvc": dvc.SYSTEM,
    "post": _module("post"),
    "payment": _module("payment"),
    "edms": _module("edms"),
    "sms": System("sms", sms.answer),
    "zalo": System("zalo", zalo.answer),
    "csdl_tthc": System("csdl_tthc", csdl_tthc.answer, csdl_tthc.routes),
    "portal_sync": System("portal_sync", portal_sync.answer, portal_sync.routes),
}
