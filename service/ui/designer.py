"""The process designer: a bpmn-js modeler to open, edit and deploy definitions, and to compare versions."""

from __future__ import annotations

from . import bp  # noqa: F401
