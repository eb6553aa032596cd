"""A step's rows for several tables (service/inserts.py): one statement on PostgreSQL, one INSERT per
table on SQLite or past MAX_PARAMETERS; every row lands, in order, whichever way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from service import inserts, uow
from service.audit.models import AuditEvent
from service.extensions import db
from service.instances.models import ProcessInstance
from service.outbox.models import OutboxEvent
from tests.support import statements

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def _facts(n: int) -> list[dict]:
    keys = ("instance_id", "task_id", "element_id", "actor_id", "actor", "token_id", "message")
    return [{"type": f"fact_{i}", "at": NOW, "data": {"i": i}, **dict.fromkeys(keys)} for i in range(n)]


def _events(n: int) -> list[dict]:
    return [
        {"topic": f"test.{i}", "payload": {"i": i}, "instance_id": None, "created_at": NOW} for i in range(n)
    ]


def _insert(app) -> list[str]:
    with app.app_context(), statements(app) as seen, uow.unit_of_work():
        inserts.insert_all(
            [(AuditEvent.__table__, _facts(3)), (OutboxEvent.__table__, _events(2)), (AuditEvent, [])]
        )
    return seen


def _stored(app) -> tuple[list, list]:
    with app.app_context():
        audit = db.session.execute(sa.select(AuditEvent.type, AuditEvent.data).order_by(AuditEvent.id)).all()
        events = db.session.execute(sa.select(OutboxEvent.topic).order_by(OutboxEvent.id)).scalars().all()
    return [tuple(row) for row in audit], list(events)


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_the_rows_of_several_tables_are_one_statement_on_postgresql_else_one_per_table(app):
    statements = _insert(app)
    assert len(statements) == (1 if _postgres(app) else 2)
    assert _stored(app) == (
        [("fact_0", {"i": 0}), ("fact_1", {"i": 1}), ("fact_2", {"i": 2})],
        ["test.0", "test.1"],
    )


def test_rows_past_the_parameter_limit_go_one_table_at_a_time(app, monkeypatch):
    monkeypatch.setattr(inserts, "MAX_PARAMETERS", 10)
    assert len(_insert(app)) == 2
    assert len(_stored(app)[0]) == 3


def test_an_instance_changed_meanwhile_refuses_the_whole_write(app, admin, deploy_library):
    deploy_library("simple_approval.bpmn")
    instance_id = admin.start("simple_approval").json["id"]
    with app.app_context():
        instance = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        # another writer moved the version since this one read it
        db.session.execute(
            sa.update(ProcessInstance.__table__)
            .where(ProcessInstance.id == instance.id)
            .values(version=instance.version + 1)
        )
        instance.variables = {**instance.variables, "note": "mine"}
        with pytest.raises(StaleDataError):
            inserts.insert_all([(AuditEvent.__table__, _facts(1))], last=instance)
            db.session.flush()  # SQLite: the ORM's flush refuses it
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.type == "fact_0")) == 0


def test_the_instance_update_is_part_of_the_statement_on_postgresql(app, admin, deploy_library):
    deploy_library("simple_approval.bpmn")
    instance_id = admin.start("simple_approval").json["id"]
    with app.app_context():
        instance = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        version = instance.version
        instance.variables = {**instance.variables, "note": "mine"}
        with statements(app) as seen:
            inserts.insert_all([(AuditEvent.__table__, _facts(1))], last=instance)
            db.session.flush()
        db.session.commit()
        assert len(seen) == (1 if _postgres(app) else 2)
        db.session.expire_all()
        stored = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        assert (stored.version, stored.variables["note"]) == (version + 1, "mine")


def _postgres_only(app):
    """These tests are about the one statement PostgreSQL gets; the PostgreSQL pass runs them."""
    if not _postgres(app):
        pytest.skip("the recordset INSERT is PostgreSQL's (SQLite inserts one table at a time)")


def test_a_steps_statement_is_compiled_once_whatever_its_number_of_rows(app):
    """The rows travel as one JSON parameter: two steps of one shape but different row counts send
    the same SQL text (PostgreSQL prepares it) from one compiled form (SQLAlchemy's cache)."""
    _postgres_only(app)
    seen: list[tuple] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, context.compiled))

    with app.app_context():
        sa.event.listen(db.engine, "after_cursor_execute", keep)
        try:
            for n in (1, 3, 7):
                with uow.unit_of_work():
                    inserts.insert_all(
                        [(AuditEvent.__table__, _facts(n)), (OutboxEvent.__table__, _events(n))]
                    )
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", keep)
        assert len(seen) == 3
        assert len({text for text, _ in seen}) == 1
        assert len({id(compiled) for _, compiled in seen}) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 11


def test_values_arrive_as_the_orm_would_write_them(app):
    """UUIDs, aware datetimes (stored in UTC), JSON (a Python None is JSON's null, as SQLAlchemy
    writes it), Vietnamese text, and the Python-side defaults of the columns a row leaves out."""
    _postgres_only(app)
    instance_id = uuid.uuid4()
    at = datetime(2026, 12, 4, 16, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    fact = {"type": "hồ sơ", "at": at, "data": None, "instance_id": instance_id, "message": "Đã tiếp nhận"}
    event = {"topic": "test.defaults", "instance_id": None}  # payload and created_at: the model's defaults
    with app.app_context():
        with uow.unit_of_work():
            inserts.insert_all([(AuditEvent.__table__, [fact]), (OutboxEvent.__table__, [event])])
        row = db.session.execute(
            sa.select(
                AuditEvent.type,
                AuditEvent.at,
                AuditEvent.instance_id,
                AuditEvent.message,
                sa.cast(AuditEvent.data, sa.Text),
            )
        ).one()
        assert row == ("hồ sơ", at, instance_id, "Đã tiếp nhận", "null")
        payload, created = db.session.execute(sa.select(OutboxEvent.payload, OutboxEvent.created_at)).one()
        assert payload == {}
        assert created is not None and created.tzinfo is not None


@pytest.mark.parametrize("data", [{"x": float("nan")}, {"x": float("inf")}, {"x": {1, 2}}])
def test_a_value_json_cannot_hold_is_refused_and_no_row_lands(app, data):
    """The rows' JSON is written by orjson, which would write NaN and infinity as null: they are
    refused instead (the rows then take the multi-row VALUES, which PostgreSQL refuses), as a set
    (no JSON type) is; nothing of the statement lands, and nothing becomes a silent null."""
    _postgres_only(app)
    fact = {**_facts(1)[0], "data": data}
    with app.app_context():
        with pytest.raises((sa.exc.StatementError, TypeError)), uow.unit_of_work():
            inserts.insert_all([(AuditEvent.__table__, [fact]), (OutboxEvent.__table__, _events(1))])
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 0


def test_a_table_whose_column_types_json_cannot_carry_takes_the_values_list(app, admin):
    """A column type the recordset does not know (bytes) falls back to a multi-row VALUES: the rows
    land, in the step's one statement with the recordset INSERTs of the other tables."""
    _postgres_only(app)
    from service.idempotency.models import IdempotentRequest
    from service.identity.models import User

    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).limit(1))
        rows = [
            {
                "user_id": user_id,
                "key": f"k{i}",
                "fingerprint": "f" * 64,
                "method": "POST",
                "path": "/x",
                "status": 201,
                "body": b"\x00{}",
            }
            for i in range(2)
        ]
        with statements(app) as seen, uow.unit_of_work():
            inserts.insert_all([(IdempotentRequest.__table__, rows), (AuditEvent.__table__, _facts(2))])
        assert len(seen) == 1
        stored = db.session.execute(
            sa.select(IdempotentRequest.key, IdempotentRequest.body, IdempotentRequest.headers)
        ).all()
        assert sorted(stored) == [("k0", b"\x00{}", {}), ("k1", b"\x00{}", {})]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 2


def test_an_instances_changes_make_one_statement_whatever_order_they_were_set_in(app, admin, deploy_library):
    """The UPDATE is kept per set of changed columns (taken in the mapper's order, from the
    attributes set since the load): two writes setting the same columns in opposite orders use
    one kept statement and send one SQL text, and every changed column lands."""
    _postgres_only(app)
    deploy_library("simple_approval.bpmn")
    ids = [uuid.UUID(admin.start("simple_approval").json["id"]) for _ in range(2)]
    with app.app_context(), statements(app) as seen:
        for n, instance_id in enumerate(ids):
            instance = db.session.get(ProcessInstance, instance_id)
            seen.clear()
            if n == 0:
                instance.variables = {**instance.variables, "note": "first"}
                instance.business_key = "HS-0"
            else:
                instance.business_key = "HS-1"
                instance.variables = {**instance.variables, "note": "second"}
                built = inserts._update.cache_info().misses
            inserts.insert_all([(AuditEvent.__table__, _facts(1))], last=instance)
            db.session.flush()
            assert len(seen) == 1
            if n == 0:
                first = seen[0]
        assert seen[0] == first
        assert inserts._update.cache_info().misses == built  # the first write's UPDATE, kept
        db.session.commit()
        db.session.expire_all()
        stored = [db.session.get(ProcessInstance, instance_id) for instance_id in ids]
    assert [(s.business_key, s.variables["note"]) for s in stored] == [("HS-0", "first"), ("HS-1", "second")]


def test_an_object_set_to_what_it_already_holds_is_left_clean(app, admin, deploy_library):
    """A stage that sets an attribute to the value it has (a dossier's updated_at at its own
    moment) changes nothing: the write leaves the object clean, so the request's next query does
    not flush it (a flush walks the unit of work for nothing). PostgreSQL's: elsewhere the ORM's
    flush writes the step's changes."""
    _postgres_only(app)
    deploy_library("simple_approval.bpmn")
    instance_id = uuid.UUID(admin.start("simple_approval").json["id"])
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        instance.business_key = instance.business_key  # the value it holds
        assert instance in db.session.dirty
        inserts.insert_all([(AuditEvent.__table__, _facts(1))], last=instance)
        assert instance not in db.session.dirty
        db.session.rollback()
