"""The workflow classes the engine runs: SpiffWorkflow's, with one walk replaced.

After every task that completes, SpiffWorkflow updates the WAITING tasks of its workflow
(`Workflow.update_waiting_tasks`: joins, events, subprocesses waiting on their children), finding
them with its generic task iterator over the whole tree. A dossier's step completes four or five
tasks, so that walk ran as often; `walk.waiting` finds the same tasks in the same order. The
serializer restores states into these classes under SpiffWorkflow's own type names
(serialization.py), so a stored state reads and writes exactly as before.
"""

from __future__ import annotations

import logging
from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from . import walk

# SpiffWorkflow builds its log records' extras whether a record is emitted or not, and while its
# loggers' own level is unset (0) it adds to them a walk of the whole task tree (each workflow and
# subprocess started or completed) and a task's data (each state change). Those INFO records say
# what the audit keeps; the loggers start at WARNING unless the deployment has set their level.
SPIFF_LOGGERS = ("spiff.task", "spiff.workflow")


def quiet_logs(names: tuple[str, ...] = SPIFF_LOGGERS) -> None:
    for name in names:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


quiet_logs()


def _update_waiting(workflow: Any) -> None:
    for task in walk.waiting(workflow):
        task.task_spec._update(task)


class Workflow(BpmnWorkflow):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """A top-level workflow: its subprocesses are SubWorkflows."""

    def update_waiting_tasks(self) -> None:
        _update_waiting(self)

    def create_subprocess(self, my_task: Any, spec_name: str) -> SubWorkflow:
        spec = self.subprocess_specs[spec_name]
        subprocess = SubWorkflow(spec, parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class SubWorkflow(BpmnSubWorkflow):  # type: ignore[misc]  # SpiffWorkflow is untyped
    def update_waiting_tasks(self) -> None:
        _update_waiting(self)
