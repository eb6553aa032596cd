"""The one SLA rule (service/sla.py): its Python and SQL forms agree, for tasks and for dossiers."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
import sqlalchemy as sa

from service import sla
from service.calendar.workcal import WorkingCalendar
from service.dossiers.models import SLA_COLUMNS as DOSSIER_SLA
from service.dossiers.models import Dossier
from service.extensions import db
from service.tasks.models import SLA_COLUMNS as TASK_SLA
from service.tasks.models import Task

CALENDAR = WorkingCalendar()
NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
WINDOW = sla.Window.at(NOW, CALENDAR)
DUE = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # Wednesday 17:00 local


def task(due_at, state="open", completed_at=None):
    return Task(due_at=due_at, state=state, completed_at=completed_at)


def test_due_soon_is_one_working_day_of_office_time():
    assert CALENDAR.local(WINDOW.soon).isoformat() == "2025-03-04T09:00:00+07:00"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (task(None), None),
        (task(NOW - timedelta(minutes=1)), sla.Sla.LATE),
        (task(NOW + timedelta(hours=3)), sla.Sla.DUE_SOON),
        (task(WINDOW.soon), sla.Sla.DUE_SOON),
        (task(WINDOW.soon + timedelta(minutes=1)), sla.Sla.EARLY),
        (task(DUE, "completed", DUE - timedelta(days=1)), sla.Sla.EARLY),
        (task(DUE, "completed", DUE - timedelta(hours=2)), sla.Sla.ON_TIME),
        (task(DUE, "completed", DUE + timedelta(minutes=5)), sla.Sla.LATE),
        (task(NOW - timedelta(days=3), "cancelled"), None),
    ],
)
def test_a_task_is_classed_against_its_due_moment(item, expected):
    assert item.sla_class(WINDOW) == expected


def test_a_dossier_waiting_for_the_applicant_is_paused_unless_it_was_already_late():
    due = NOW - timedelta(days=2)  # past, judged now

    def dossier(paused_at):
        return Dossier(due_at=due, finished_at=None, paused_at=paused_at)

    assert dossier(due - timedelta(hours=1)).sla_class(WINDOW) == sla.Sla.PAUSED
    assert dossier(due + timedelta(hours=1)).sla_class(WINDOW) == sla.Sla.LATE
    assert dossier(None).sla_class(WINDOW) == sla.Sla.LATE


MOMENTS = [
    None,
    NOW - timedelta(days=2),
    NOW - timedelta(minutes=1),
    NOW + timedelta(hours=3),
    WINDOW.soon,
    WINDOW.soon + timedelta(days=3),
]
SQL_CLASSES = {
    sla.Sla.LATE: {sla.Sla.LATE},
    sla.Sla.DUE_SOON: {sla.Sla.DUE_SOON},
    sla.IN_TIME: {sla.Sla.EARLY, sla.Sla.ON_TIME},
    sla.Sla.PAUSED: {sla.Sla.PAUSED},
    "none": {None},
}


def test_the_sql_conditions_select_exactly_the_dossiers_the_rule_classes(app, admin):
    """Every combination of due, finished and paused moments, stored, then selected per class."""
    with app.app_context():
        expected: dict[uuid.UUID, sla.Sla | None] = {}
        user_id = db.session.execute(sa.text("SELECT id FROM users")).scalar()
        for due, finished, paused in product(MOMENTS, MOMENTS, MOMENTS):
            if finished is not None and paused is not None:
                continue  # a finished dossier waits for no one
            row = _dossier(due_at=due, finished_at=finished, paused_at=paused, user_id=user_id)
            expected[row.id] = row.sla_class(WINDOW)
        db.session.flush()
        for klass, members in SQL_CLASSES.items():
            if klass == "none":
                members_of = {key for key, value in expected.items() if value is None}
            else:
                members_of = {key for key, value in expected.items() if value in members}
            selected = set(
                db.session.scalars(sa.select(Dossier.id).where(sla.condition(klass, WINDOW, DOSSIER_SLA)))
            )
            assert selected == members_of, klass
        db.session.rollback()


def test_the_sql_conditions_select_exactly_the_tasks_the_rule_classes(app, admin):
    with app.app_context():
        expected: dict[uuid.UUID, sla.Sla | None] = {}
        undated: set[uuid.UUID] = set()
        instance_id = _instance()
        for due, completed, state in product(MOMENTS, MOMENTS, ("open", "completed", "cancelled")):
            if (state == "completed") != (completed is not None):
                continue
            row = Task(
                id=uuid.uuid4(),
                instance_id=instance_id,
                element_id="work",
                name="Work",
                candidate_groups=[],
                state=state,
                created_at=NOW - timedelta(days=5),
                due_at=due,
                completed_at=completed,
                properties={},
            )
            db.session.add(row)
            expected[row.id] = row.sla_class(WINDOW)
            if due is None:
                undated.add(row.id)
        db.session.flush()
        for klass, members in SQL_CLASSES.items():
            if klass == sla.Sla.PAUSED:
                continue  # tasks are never paused
            # "none" is every task without a due date, whatever its state (the rule classes no
            # cancelled task either, but the list filter is about due dates)
            wanted = undated if klass == "none" else {k for k, v in expected.items() if v in members}
            condition = sla.condition(klass, WINDOW, TASK_SLA)
            selected = set(db.session.scalars(sa.select(Task.id).where(condition)))
            assert selected == wanted, klass
        db.session.rollback()


def _instance() -> uuid.UUID:
    from service.definitions.models import ProcessDefinition
    from service.instances.models import ProcessInstance

    definition = db.session.scalar(sa.select(ProcessDefinition).where(ProcessDefinition.key == "k"))
    if definition is None:
        definition = ProcessDefinition(key="k", version=1, name="k", checksum="c", bpmn=b"", spec_blob="{}")
        db.session.add(definition)
        db.session.flush()
    instance = ProcessInstance(
        id=uuid.uuid4(), definition_id=definition.id, state="running", engine_state="{}", variables={}
    )
    db.session.add(instance)
    db.session.flush()
    return instance.id


def _dossier(*, due_at, finished_at, paused_at, user_id) -> Dossier:
    from service.procedures.models import Procedure

    procedure = db.session.scalar(sa.select(Procedure).limit(1))
    if procedure is None:
        procedure = Procedure(
            code="P-1", name="P", processing_days=5, components=[], step_allotments={}, process_key="dossier"
        )
        db.session.add(procedure)
        db.session.flush()
    row = Dossier(
        id=uuid.uuid4(),
        unit_code="U",
        procedure_id=procedure.id,
        instance_id=_instance(),
        applicant={},
        channel="counter",
        components=[],
        status=4,
        submitted_at=NOW - timedelta(days=10),
        due_at=due_at,
        finished_at=finished_at,
        paused_at=paused_at,
        created_by_id=user_id,
        updated_at=NOW,
    )
    db.session.add(row)
    return row
