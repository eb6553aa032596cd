"""The worklist's rows: a projection of the engine's ready human tasks, queried without the engine.

The rows are the instances' (instances/models.py: an instance's visibility and detail read them);
this module names them for the tasks' domain, with the columns of the SLA rule.
"""

from __future__ import annotations

from ..instances.models import CANCELLED, COMPLETED, OPEN, Task, task_candidates
from ..sla import Columns

__all__ = ["CANCELLED", "COMPLETED", "OPEN", "SLA_COLUMNS", "Task", "task_candidates"]

# The columns the SQL form of the SLA rule reads (sla.condition(klass, window, SLA_COLUMNS)).
SLA_COLUMNS = Columns(
    due_at=Task.due_at,
    finished_at=Task.completed_at,
    unfinished=Task.state == OPEN,
    finished=Task.state == COMPLETED,
)
