"""The engine adapter: the only package that imports SpiffWorkflow.

It takes BPMN bytes, stored state and a command, and returns the new state plus the
effects the service must persist (human tasks opened and closed, audit facts, the next
timer). Everything a command needs comes in as a value (the time, the org units' codes, the
working calendar); it does no I/O and imports no web, database, queue or network library nor
anything else of the service (import-linter contracts in pyproject.toml), so it can be tested
with .bpmn files alone. See docs/architecture.md.
"""

from .calendar_helpers import Calendar
from .errors import (
    BpmnInvalid,
    BpmnTooLarge,
    EngineError,
    EventNotExpected,
    StateCorrupt,
    StateNotStorable,
    TaskNotReady,
)
from .limits import SETTINGS as BUDGET_SETTINGS
from .limits import BudgetExceeded, Budgets
from .modeler import Note
from .parser import ParsedDefinition, ParsedFile, checksum, parse_definition, parse_file
from .results import CompletedElement, ExternalTask, HumanTask, InstanceError, ServiceCall, StepResult
from .runtime import CompiledDefinition, Engine

__all__ = [
    "BUDGET_SETTINGS",
    "BpmnInvalid",
    "BpmnTooLarge",
    "BudgetExceeded",
    "Budgets",
    "Calendar",
    "CompiledDefinition",
    "CompletedElement",
    "Engine",
    "EngineError",
    "EventNotExpected",
    "ExternalTask",
    "HumanTask",
    "InstanceError",
    "Note",
    "ParsedDefinition",
    "ParsedFile",
    "ServiceCall",
    "StateCorrupt",
    "StateNotStorable",
    "StepResult",
    "TaskNotReady",
    "checksum",
    "parse_definition",
    "parse_file",
]
