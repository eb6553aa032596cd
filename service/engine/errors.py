"""Errors the engine adapter raises; the service maps them to HTTP answers in one place."""

from __future__ import annotations

from typing import Any

from .limits import SETTINGS


class EngineError(Exception):
    """Base class of the engine adapter's errors."""

    def __init__(self, message: str, *, element_id: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.line = line

    def details(self) -> dict[str, Any]:
        return {k: v for k, v in (("element_id", self.element_id), ("line", self.line)) if v is not None}


class BpmnInvalid(EngineError):
    """The BPMN file is not acceptable (not XML, not BPMN, fails the XSD or cannot be compiled)."""


class BpmnTooLarge(EngineError):
    """The BPMN file is over the configured size limit."""


class TaskNotReady(EngineError):
    """The task does not exist in the workflow or cannot be completed now."""


class StateCorrupt(EngineError):
    """A stored workflow state cannot be restored."""


class EventNotExpected(EngineError):
    """A message was sent to an instance that is not waiting for it."""


class StateNotStorable(EngineError):
    """A step produced data that cannot be serialized; the step is refused as a whole."""


class ScriptError(Exception):
    """A BPMN script or expression failed; str(exc) is one readable line such as
    "NameError: name 'x' is not defined (line 2)". Attributes: message (str), line (int | None)."""

    def __init__(self, message: str, line: int | None = None, *, budget: str | None = None):
        self.message, self.line = message, line
        # The budget that stopped the script, if one did, and its service setting (limits.py).
        self.budget, self.setting = budget, SETTINGS.get(budget) if budget else None
        super().__init__(message if line is None else f"{message} (line {line})")


class ScriptTimeout(ScriptError):
    """The script ran past its CPU-time budget (its own, or what was left of its step's)."""
