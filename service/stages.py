"""The stages of the step pipeline (service/steps.py), in the order they run after every engine
step, and what the service adds to the data of every task completion. create_app installs them;
this list is the one place to read (or change) what happens after a step.
"""

from __future__ import annotations

from . import deadlines, inserts, metrics
from .attachments import signing as signed_results
from .audit import operations as audit
from .dossiers import follow as dossier
from .dossiers import handover
from .external_tasks import queue as external_tasks
from .instances import waits
from .jobs import queue
from .outbox import operations as outbox
from .payments import operations as payments
from .procedures import changes as catalogue
from .steps import Pipeline
from .tasks import projection

PIPELINE = Pipeline(
    stages=(
        projection.record_instance,  # the instance row: state, variables, timer, error; closed tasks
        projection.open_tasks,  # rows for the human tasks the step opened, with their assignees
        waits.record_waits,  # the messages the instance waits for (message_waits), when they change
        dossier.find_dossier,  # the dossier the instance drives, if any
        dossier.record_steps,  # Mẫu 05 steps of the tasks done; the clock restarts after a pause
        dossier.move_status,  # dossierStatus moves (status 2 numbers the dossier); pauses; stops
        dossier.record_facts,  # digitised, electronic result, fee payment (the QĐ 766 indicators)
        handover.record_results,  # remote systems' answers the dossier keeps: tracking, document no.
        deadlines.due_dates,  # the due moment of every opened task (one policy)
        catalogue.apply_approved,  # an approved catalogue change: new versions of its procedures
        queue.service_calls,  # service tasks to run on workers, announced in the outbox
        external_tasks.published,  # external tasks for outside workers; those the step ended withdrawn
        projection.write_tasks,  # the task rows and their candidate groups, to insert
        outbox.step_events,  # task.created, task.completed, instance.completed / failed, to insert
        audit.write,  # every fact the step and the stages gathered, to insert
        inserts.write,  # the rows gathered above: one statement on PostgreSQL, one per table elsewhere
        metrics.count_step,  # the engine's step latency, instances completed
    ),
    completion_inputs=(
        dossier.timer_variables,  # the dossier's code, due and apology moments, for its timer
        signed_results.result_signed,  # a result step (signedResult): is one of its PDFs signed and good
    ),
    completion_checks=(
        dossier.check_completion,  # the apology's one new appointment (Mẫu 04)
        catalogue.check_completion,  # an approved catalogue change that cannot be applied: 422
        payments.check_fee,  # the result step (feeRequired): not before the procedure's fee is paid
    ),
    completion_reads=(
        dossier.read_with_task,  # the instance's dossier (and procedure), in the task's own query
    ),
)
