"""The `motcua` command: administration of a Motcua installation.

motcua db upgrade                      apply migrations
motcua users create NAME --password P [--group G ...] [--unit U] [--admin]
motcua tokens create --user NAME [--scope S ...]  prints only the token
motcua deploy bpmn/                    deploy every .bpmn file of a folder
motcua demo                            demo users (and their tokens in instance/demo-tokens.txt)
motcua serve                           serve the API with waitress

The commands by concern: administration.py (users, tokens, units, the catalogue, deploy,
housekeeping), demonstration.py (the demo's units, users and history), processes.py (the
processes that run Motcua: serve and its runner, run-jobs, the Celery worker and beat).
"""

from __future__ import annotations

# The commands register themselves on `main` when their modules are imported.
from . import administration, demonstration, processes
from .demonstration import DEMO_GROUPS, DEMO_UNITS, DEMO_USERS, demo
from .group import fail, main
from .processes import RunnerProcess

__all__ = [
    "DEMO_GROUPS",
    "DEMO_UNITS",
    "DEMO_USERS",
    "RunnerProcess",
    "administration",
    "demo",
    "demonstration",
    "fail",
    "main",
    "processes",
]
