"""The service's one clock (service.models_base.utcnow), and the suite's `clock` fixture that moves
it for every thread of the process instead of rewriting timestamps in the database."""

from datetime import UTC, datetime, timedelta

import requests

from service import models_base
from service.models_base import utcnow


def test_the_service_reads_the_wall_clock_in_utc_when_nothing_moved_it():
    assert models_base.clock_override is None
    before = datetime.now(UTC)
    now = utcnow()
    assert before <= now <= datetime.now(UTC)
    assert now.utcoffset() == timedelta(0)


def test_moving_the_clock_moves_the_requests_served_by_the_live_servers_threads(
    live_server, admin, deploy_library, clock
):
    deploy_library("simple_approval.bpmn")
    moved = clock.advance(days=400)
    with requests.Session() as http:
        http.trust_env = False
        response = http.post(
            f"{live_server}/api/v1/process-instances",
            json={"definition_key": "simple_approval"},
            headers=admin.headers,
            timeout=30,
        )
    assert response.status_code == 201, response.text
    started = response.json()
    created = datetime.fromisoformat(started["created_at"])
    assert moved <= created <= clock.now()
    due = datetime.fromisoformat(started["tasks"][0]["due_at"])  # register: dueIn PT4H
    assert moved + timedelta(hours=4) <= due <= clock.now() + timedelta(hours=4)


def test_the_clock_can_stand_elsewhere_for_a_block_and_then_comes_back(clock):
    last_year = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    entered = datetime.now(UTC)
    with clock.at(last_year):
        inside = utcnow()
        left = datetime.now(UTC)
    assert last_year <= inside <= last_year + (left - entered)
    before, now, after = datetime.now(UTC), utcnow(), datetime.now(UTC)
    assert before <= now <= after  # back on the wall clock
    start = datetime.now(UTC)
    later = clock.advance_to(now + timedelta(hours=2))
    assert now + timedelta(hours=2) <= later <= now + timedelta(hours=2) + (datetime.now(UTC) - start)


def test_a_frozen_clock_moves_only_when_the_test_moves_it(clock):
    frozen = clock.freeze()
    assert utcnow() == frozen == utcnow()
    clock.advance(seconds=5)
    assert utcnow() == frozen + timedelta(seconds=5)
