"""The org units kept per process (identity.operations.units): read again exactly when they moved.

A request's principal is read with the units' version (cache_versions 'org_units', moved by
triggers on every write of org_units, migration 0033); the units kept under that version serve the
request without a query. Whatever wrote the units, and from wherever, the next request sees it.
"""

import pytest
import sqlalchemy as sa

from service import uow
from service.extensions import db
from service.identity import operations as identity
from tests.support import statements


@pytest.fixture
def units_queries(app):
    """The statements that read the units (not the principal's, which reads only their version)."""

    def reads_units(statement: str) -> bool:
        return (
            statement.lstrip().startswith("SELECT (SELECT cache_versions.version")
            and "FROM org_units" in statement
        )

    with statements(app, reads_units) as seen:
        yield seen


@pytest.fixture
def officer(app):
    with app.app_context():
        user = identity.create_user("officer", "password-1", unit="UBND-X")
        identity.get_or_create_unit("SO-TP", "Sở Tư pháp")
        db.session.commit()
        return user.id


def _request(app, user_id, work=lambda: dict(identity.units()), *, commit=False):
    """What `work` returns in a unit of work acting for the user, as a request runs it."""
    with app.app_context():
        principal = identity.principal_for_user(user_id)
        unit, token = uow.begin(principal)
        try:
            result = work()
            if commit:
                db.session.commit()
            else:
                db.session.rollback()
        finally:
            uow.end(unit, token, committed=commit)
        return result


def _elsewhere(app, sql: str) -> None:
    """A write committed by another connection (another process, psql, a migration)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(sql))


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT version FROM cache_versions WHERE name = 'org_units'"))


def test_the_units_are_read_once_while_their_version_stands(app, officer, units_queries):
    first = _request(app, officer)
    assert first["SO-TP"].name == "Sở Tư pháp"
    assert len(units_queries) == 1
    assert _request(app, officer) == first
    assert _request(app, officer, lambda: identity.unit_name("SO-TP")) == "Sở Tư pháp"
    assert len(units_queries) == 1  # kept: no query for the later requests


def test_a_write_committed_elsewhere_is_seen_by_the_next_request(app, officer, units_queries):
    _request(app, officer)
    _elsewhere(app, "UPDATE org_units SET name = 'Sở Tư pháp tỉnh' WHERE code = 'SO-TP'")
    assert _request(app, officer, lambda: identity.unit_name("SO-TP")) == "Sở Tư pháp tỉnh"
    _elsewhere(app, "INSERT INTO org_units (code, name) VALUES ('SO-YT', 'Sở Y tế')")
    assert _request(app, officer)["SO-YT"].name == "Sở Y tế"
    _elsewhere(app, "DELETE FROM org_units WHERE code = 'SO-YT'")
    assert "SO-YT" not in _request(app, officer)
    assert len(units_queries) == 4  # one read per version, the first included


def test_every_write_of_org_units_moves_the_version(app, officer):
    before = _version(app)
    _elsewhere(app, "INSERT INTO org_units (code, name) VALUES ('A', 'a')")
    _elsewhere(app, "UPDATE org_units SET name = 'b' WHERE code = 'A'")
    _elsewhere(app, "DELETE FROM org_units WHERE code = 'A'")
    assert _version(app) == before + 3
    _elsewhere(app, "UPDATE org_units SET name = name WHERE code = 'NO-SUCH-UNIT'")
    assert _version(app) >= before + 3  # never backwards (PostgreSQL counts the statement too)


def test_a_unit_of_work_that_changes_units_sees_its_change_and_keeps_it_from_nobody(
    app, officer, units_queries
):
    _request(app, officer)

    def add_and_read():
        identity.get_or_create_unit("SO-MOI", "Sở mới")
        return dict(identity.units())

    assert "SO-MOI" in _request(app, officer, add_and_read)  # its own change, not committed
    assert "SO-MOI" not in _request(app, officer)  # rolled back: the others never saw it

    def rename_without_saying():  # an ORM write says units_changed() by itself
        identity.find_unit("SO-TP").name = "tạm"
        db.session.flush()
        return identity.unit_name("SO-TP")

    assert _request(app, officer, rename_without_saying) == "tạm"
    assert _request(app, officer, lambda: identity.unit_name("SO-TP")) == "Sở Tư pháp"


def test_a_change_committed_by_a_request_is_seen_by_the_next(app, officer):
    _request(app, officer)
    _request(app, officer, lambda: identity.get_or_create_unit("SO-MOI", "Sở mới"), commit=True)
    assert _request(app, officer)["SO-MOI"].name == "Sở mới"


def test_without_a_principal_the_units_are_read_in_each_unit(app, officer, units_queries):
    with app.app_context():
        for _ in range(2):
            with uow.unit_of_work():
                assert identity.units()["SO-TP"].name == "Sở Tư pháp"
                identity.units()  # once per unit of work
    assert len(units_queries) == 2


def test_the_units_kept_cannot_be_changed_by_a_caller(app, officer):
    units = _request(app, officer, identity.units)
    with pytest.raises(TypeError):
        units["SO-TP"] = identity.Unit("x", None)


def test_without_the_version_row_the_units_are_read_every_time_and_all_there(app, officer, units_queries):
    """Its row deleted (by hand), no version is known: nothing is kept, nothing is lost."""
    version = _version(app)
    _elsewhere(app, "DELETE FROM cache_versions WHERE name = 'org_units'")
    try:
        for _ in range(2):
            assert _request(app, officer)["SO-TP"].name == "Sở Tư pháp"
        assert len(units_queries) == 2
    finally:  # the database outlives the test on PostgreSQL (its tables are emptied, not this one)
        _elsewhere(app, f"INSERT INTO cache_versions (name, version) VALUES ('org_units', {version + 1})")
