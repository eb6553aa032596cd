"""The engine adapter: the only package that imports SpiffWorkflow.

It takes BPMN bytes, stored state and a command, and returns the new state plus the
effects the service must persist (human tasks opened and closed, audit facts, the next
timer). It does no I/O and imports nothing from Flask, SQLAlchemy or Celery, so it can be
tested with .bpmn files alone. See docs/architecture.md.
"""

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
from .parser import ParsedDefinition, checksum, parse_definition
from .runtime import CompiledDefinition, Engine, HumanTask, StepResult

__all__ = [
    "BUDGET_SETTINGS",
    "BpmnInvalid",
    "BpmnTooLarge",
    "BudgetExceeded",
    "Budgets",
    "CompiledDefinition",
    "Engine",
    "EngineError",
    "EventNotExpected",
    "HumanTask",
    "ParsedDefinition",
    "StateCorrupt",
    "StateNotStorable",
    "StepResult",
    "TaskNotReady",
    "checksum",
    "parse_definition",
]
