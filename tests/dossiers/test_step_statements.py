"""How many SQL statements a step costs: a simple completion, and each transaction of a dossier
from reception to return. Statement counts are deterministic where timings are not: these bounds
guard the step pipeline's hot path (docs/benchmarks.md records the counts beside the bench's
figures; `make bench` times the same transactions over HTTP)."""

from __future__ import annotations

import pytest

from service import inserts
from service.extensions import db
from service.models_base import utcnow
from tests.factories import receive_dossier
from tests.support import statements

# The happy path of AG-LLTP-01 (bpmn/dossier.bpmn), each step by its role, as bench/bench.py does.
STEPS = (
    ("receive", "clerk", {"reception_decision": "accept"}),
    ("digitise", "clerk", {"all_components_digitised": True}),
    ("assign", "head", {"specialist": "specialist"}),
    ("appraise", "specialist", {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đạt."}),
    ("approve", "leader", {"approval_decision": "approve"}),
    (
        "issue_result",
        "records",
        {"result_number": "123/PLLTP", "issued_on": "2026-11-26"},
    ),
    ("return_result", "clerk", {"method": "counter"}),
)
# At most this many statements per transaction (BEGIN and COMMIT not counted), warm caches. On
# SQLite each table a step inserts into is one INSERT, and the ORM updates the dossier and the
# instance; on PostgreSQL all of that is one statement (service/inserts.py: the task rows, their
# candidate groups, Mẫu 05 steps, outbox events, audit facts, the dossier's and the instance's
# updates). docs/benchmarks.md lists them.
DOSSIER_BOUNDS = {
    # The org units are kept per process under their version, read with the principal (identity.
    # operations.units): no step reads them while they do not change.
    "reception": 10,  # principal, procedure with its definition; instance, dossier, tasks, ...
    # ... and the message it waits for (withdrawal: one message_waits row, instances/waits.py)
    # A completion reads its dossier with the task and instance (steps.Pipeline.completion_reads).
    "receive": 12,  # ... and the day's code sequence and the register's line (one upsert each)
    "digitise": 10,
    "assign": 11,  # ... and the specialist named in the form, read once: checked, made the assignee
    "appraise": 10,
    "approve": 10,
    "issue_result": 12,  # ... and its PDFs' signatures (e_result_signed), a new system variable
    "return_result": 9,  # opens no task; its wait for the withdrawal message ends (one DELETE)
}
DOSSIER_BOUNDS_PG = {
    # ... the task's row locked when it is read, so its completion is one of the step's writes, all
    # in one statement (service/inserts.py): the task's update, its rows, the message waits that
    # come and go, the dossier's and the instance's updates
    "reception": 5,  # principal, procedure with its definition, instance, dossier, the step's writes
    "receive": 5,  # principal, task (+ instance, dossier), code, register line, writes
    "digitise": 3,
    "assign": 4,  # ... and the specialist named in the form (identity.queries.active_user)
    "appraise": 3,
    "approve": 3,
    "issue_result": 4,  # ... and its PDFs' signatures (its new system variable is one of the writes)
    "return_result": 3,
}
SIMPLE_BOUND, SIMPLE_BOUND_PG = 8, 3  # PostgreSQL: principal, task (+ instance), writes
REGISTER = {"title": "Công văn số 12", "sender": "Sở Tư pháp"}


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def _show(counts: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{name}: {len(seen)}\n  " + "\n  ".join(s[:120] for s in seen) for name, seen in counts.items()
    )


def _warm_tokens(*callers) -> None:
    """Each caller's token has been used (its last use is written at most once a minute, so with
    the service clock frozen the counted requests write none)."""
    for caller in callers:
        assert caller.get("/api/v1/auth/me").status_code == 200


def test_each_transaction_of_a_dossier_stays_within_its_statements(dossier_office, clock):
    office = dossier_office
    clock.freeze()
    _warm_tokens(office.clerk, office.head, office.specialist, office.leader, office.records)
    receive_dossier(office.clerk)  # the definition compiled, the calendar cached
    counts: dict[str, list[str]] = {}
    with statements(office.app) as seen:
        dossier = receive_dossier(office.clerk)
    counts["reception"] = seen
    tasks = [(t["element_id"], t["task_id"]) for t in dossier["current_steps"]]
    for element, user, variables in STEPS:
        assert tasks and tasks[0][0] == element
        with statements(office.app) as seen:
            response = getattr(office, user).complete(tasks[0][1], variables)
        assert response.status_code == 200, response.json
        counts[element] = seen
        tasks = [(t["element_id"], t["id"]) for t in response.json["tasks"]]
    assert response.json["state"] == "completed"
    bounds = DOSSIER_BOUNDS_PG if _postgres(office.app) else DOSSIER_BOUNDS
    over = {name: len(seen) for name, seen in counts.items() if len(seen) > bounds[name]}
    assert not over, _show(counts)


def test_a_simple_completion_stays_within_its_statements(app, admin, deploy_library, clock):
    clock.freeze()
    deploy_library("simple_approval.bpmn")
    admin.start("simple_approval")  # warm
    task_id = admin.start("simple_approval").json["tasks"][0]["id"]
    with statements(app) as seen:
        response = admin.complete(task_id, REGISTER)
    assert response.status_code == 200, response.json
    assert response.json["tasks"][0]["element_id"] == "appraise"
    bound = SIMPLE_BOUND_PG if _postgres(app) else SIMPLE_BOUND
    assert len(seen) <= bound, _show({"register": seen})


def _whole_dossier(office) -> None:
    dossier = receive_dossier(office.clerk)
    tasks = [(t["element_id"], t["task_id"]) for t in dossier["current_steps"]]
    for element, user, variables in STEPS:
        assert tasks and tasks[0][0] == element
        response = getattr(office, user).complete(tasks[0][1], variables)
        assert response.status_code == 200, response.json
        tasks = [(t["element_id"], t["id"]) for t in response.json["tasks"]]


def test_a_dossiers_steps_send_statements_built_once(dossier_office, clock, monkeypatch):
    """After one dossier, the next one's steps build no statement of their own: each step's one
    statement is kept per shape (inserts._combined) and made only of kept parts, so SQLAlchemy
    compiles nothing (PostgreSQL: elsewhere a step's writes are not combined)."""
    if not _postgres(dossier_office.app):
        pytest.skip("a step's writes are one statement on PostgreSQL (the PostgreSQL pass checks it)")
    clock.freeze()
    _whole_dossier(dossier_office)
    built: list[object] = []
    original = inserts._Part.__init__

    def spy(self, statement):
        built.append(statement)
        original(self, statement)

    monkeypatch.setattr(inserts._Part, "__init__", spy)
    misses = inserts._combined.cache_info().misses
    _whole_dossier(dossier_office)
    assert built == []
    assert inserts._combined.cache_info().misses == misses


def _relay_statements(office) -> list[str]:
    from service import relay

    with statements(office.app) as seen, office.app.app_context():
        assert relay.relay(utcnow()) > 0
    return seen


def _numbered_dossier(office) -> None:
    """A dossier received and accepted: its status moves to 2 (the events the portal hears of)."""
    dossier = receive_dossier(office.clerk)
    element, user, variables = STEPS[0]
    (task,) = [t["task_id"] for t in dossier["current_steps"] if t["element_id"] == element]
    assert getattr(office, user).complete(task, variables).status_code == 200


def test_relaying_the_outbox_costs_the_same_statements_for_one_dossier_or_many(dossier_office, clock):
    """The relay (service/relay.py) reads a batch's dossiers in one query (and keeps them: the
    session holds its objects weakly) and marks the batch relayed in one UPDATE: a batch of four
    dossiers' status events costs what one dossier's does, not a query per event."""
    clock.freeze()
    _numbered_dossier(dossier_office)
    _relay_statements(dossier_office)  # the calendar, the org units, the subscriptions: cached
    _numbered_dossier(dossier_office)
    one = _relay_statements(dossier_office)
    for _ in range(4):
        _numbered_dossier(dossier_office)
    many = _relay_statements(dossier_office)
    assert any("FROM dossiers" in statement for statement in many)
    assert len(many) == len(one), _show({"one dossier": one, "four dossiers": many})
