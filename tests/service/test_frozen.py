"""Rows that never change once written (service/frozen.py): a completion finds its instance's
definition and its dossier's procedure version among the rows the process keeps, without reading
them; what does change of such a row is read from the database; a change in place is refused."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from service import frozen, uow
from service.definitions.models import ProcessDefinition
from service.dossiers.models import Dossier
from service.extensions import db
from service.procedures import operations as procedures
from service.procedures.models import Procedure
from tests.factories import receive_dossier
from tests.support import statements


def _reads(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and f" {table}" in s]


def test_a_completion_reads_neither_the_definition_nor_the_procedure(dossier_office):
    office = dossier_office
    dossier = receive_dossier(office.clerk)
    (task,) = dossier["current_steps"]
    with statements(office.app) as seen:
        response = office.clerk.complete(task["task_id"], {"reception_decision": "accept"})
    assert response.status_code == 200, response.json
    assert not _reads(seen, "procedures"), seen
    assert not _reads(seen, "process_definitions"), seen
    # and the step used them: the dossier's due moment counts the procedure's working days
    answer = office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json
    assert answer["procedure_code"] == "AG-LLTP-01" and answer["due_at"]


def test_a_process_that_never_read_the_procedure_reads_it_at_the_completion(dossier_office):
    """Nothing kept (another process received the dossier): the relationship reads the row."""
    office = dossier_office
    dossier = receive_dossier(office.clerk)
    office.app.extensions["motcua.frozen"] = frozen.FrozenRows()  # a fresh process's rows
    (task,) = dossier["current_steps"]
    with statements(office.app) as seen:
        response = office.clerk.complete(task["task_id"], {"reception_decision": "accept"})
    assert response.status_code == 200, response.json
    assert len(_reads(seen, "procedures")) == 1, seen
    assert len(_reads(seen, "process_definitions")) == 1, seen


def test_a_seeded_procedure_reads_its_valid_to_from_the_database(dossier_office):
    office = dossier_office
    with office.app.app_context():
        old = procedures.get("AG-LLTP-01")
        old_id = old.id
        assert old.valid_to is None  # read (and kept) while current
        procedures.update(old, {"processing_days": Decimal(12)})
        db.session.commit()
        db.session.remove()
    with office.app.test_request_context(), uow.unit_of_work():
        frozen.seed(Procedure, old_id)
        with statements(office.app) as seen:
            seeded = db.session.get(Procedure, old_id)
            assert seeded.processing_days == Decimal(10) and seeded.code == "AG-LLTP-01"
        assert seen == []  # found in the session: the kept row
        assert seeded.valid_to is not None  # not kept: read now, as the database has it


def test_a_unit_that_changes_a_seeded_json_value_changes_nothing_for_the_next(dossier_office):
    office = dossier_office
    with office.app.app_context():
        procedure_id = procedures.get("AG-LLTP-01").id
        db.session.remove()
    with office.app.test_request_context(), uow.unit_of_work() as unit:
        frozen.seed(Procedure, procedure_id)
        db.session.get(Procedure, procedure_id).step_allotments["appraise"] = 99
        unit.abort()
    with office.app.test_request_context(), uow.unit_of_work():
        frozen.seed(Procedure, procedure_id)
        assert db.session.get(Procedure, procedure_id).step_allotments.get("appraise") != 99


@pytest.mark.parametrize(
    ("entity", "column", "value"),
    [(Procedure, "processing_days", Decimal(1)), (ProcessDefinition, "key", "another")],
)
def test_a_kept_column_changed_in_place_is_refused(dossier_office, entity, column, value):
    with dossier_office.app.app_context():
        row = db.session.scalars(sa.select(entity).limit(1)).one()
        setattr(row, column, value)
        with pytest.raises(RuntimeError, match="never changes once written"):
            db.session.flush()
        db.session.rollback()


def test_a_column_that_changes_is_written_as_before(dossier_office):
    """A procedure superseded gets its valid_to; a definition's starters are replaced in place."""
    with dossier_office.app.app_context():
        definition = db.session.scalars(sa.select(ProcessDefinition).limit(1)).one()
        definition.starter_groups = ["clerks"]
        procedure = procedures.get("AG-LLTP-01")
        procedures.update(procedure, {"name": "Cấp Phiếu lý lịch tư pháp (mới)"})
        db.session.commit()
        assert procedure.valid_to is not None and definition.starter_groups == ["clerks"]


def test_a_dossier_received_under_an_old_version_keeps_its_terms(dossier_office):
    """The kept rows are versions: a dossier names the version it was received under."""
    office = dossier_office
    dossier = receive_dossier(office.clerk)
    with office.app.app_context():
        procedures.update(procedures.get("AG-LLTP-01"), {"processing_days": Decimal(20)})
        db.session.commit()
    (task,) = dossier["current_steps"]
    assert office.clerk.complete(task["task_id"], {"reception_decision": "accept"}).status_code == 200
    with office.app.app_context():
        row = db.session.get(Dossier, uuid.UUID(dossier["id"]))
        assert row.procedure.processing_days == Decimal(10) and row.procedure.valid_to is not None


def test_a_row_the_unit_wrote_is_not_kept_when_it_reads_it_again(dossier_office):
    """The unit may roll back (and SQLite may then give the id to another row)."""
    import gc

    office = dossier_office
    data = {"code": "P-FROZEN", "name": "Thủ tục thử", "processing_days": 3, "process_key": "dossier"}
    with office.app.test_request_context(), uow.unit_of_work() as unit:
        procedure_id = procedures.create(data, check=False).id
        db.session.expunge_all()
        gc.collect()
        assert db.session.get(Procedure, procedure_id).code == "P-FROZEN"  # loaded from its row
        unit.abort()
    assert office.app.extensions["motcua.frozen"].get(Procedure, procedure_id) is None
    with office.app.test_request_context(), uow.unit_of_work():
        current = procedures.get("AG-LLTP-01").id  # read by another unit: kept
    assert office.app.extensions["motcua.frozen"].get(Procedure, current) is not None
