"""Fixtures for the connector tests: one simulator process for the session, reset before each test.

`simulator` is that process (see simulation.SimulatorProcess); tests that restart a simulator (with a
--state file) start their own.
"""

from __future__ import annotations

import pytest

from tests.integrations.simulation import POST_TOKEN, SimulatorProcess


@pytest.fixture(scope="session")
def _simulator_process(tmp_path_factory):
    process = SimulatorProcess(
        tmp_path_factory.mktemp("simulator") / "simulator.log", "--token", f"post={POST_TOKEN}"
    )
    yield process
    process.stop()


@pytest.fixture
def simulator(_simulator_process) -> SimulatorProcess:
    _simulator_process.reset()
    return _simulator_process


@pytest.fixture
def connectors(simulator):
    with simulator.connectors() as conns:
        yield conns
