"""Running a dossier's service calls for real: the app's connectors point at a simulator process
(tests.integrations.simulation), and `run_calls` ticks like a worker (jobs.dispatch.tick, over
real HTTP) until no call is left to run. `remote_systems` is a module-scoped fixture factory."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from integrations import ConnectorConfig, Connectors, contracts
from tests.integrations.simulation import SimulatorProcess

SYSTEMS = ("dvc", "post", "payment", "edms")
PAYMENT_SECRET = "payment-callback-secret-5Yt"
POST_SECRET = "post-callback-secret-8Qe"


def simulator_fixture():
    """A module-scoped fixture: one simulator process for the module's tests."""

    @pytest.fixture(scope="module")
    def remote_simulator(tmp_path_factory):
        process = SimulatorProcess(tmp_path_factory.mktemp("remote") / "simulator.log")
        yield process
        process.stop()

    return remote_simulator


def connect(app, simulator, *, timeout: float = 5.0) -> None:
    """The app's connectors call the (reset) simulator, and its callbacks are signed as the
    simulator signs them."""
    simulator.reset()
    app.extensions["motcua.connectors"] = Connectors(
        {name: ConnectorConfig(name, simulator.url, timeout=timeout) for name in SYSTEMS},
        contracts=contracts.load(),
    )
    app.config["MOTCUA_PAYMENT_CALLBACK_SECRET"] = PAYMENT_SECRET
    app.config["MOTCUA_POST_CALLBACK_SECRET"] = POST_SECRET


def point_callbacks(simulator, base_url: str) -> None:
    """Where the simulator sends the payment platform's and the post's callbacks."""
    import requests

    for system, path, secret in (
        ("payment", "/api/v1/payments/callback", PAYMENT_SECRET),
        ("post", "/api/v1/post/callback", POST_SECRET),
    ):
        answer = requests.post(
            f"{simulator.url}/_control/callbacks",
            json={"system": system, "url": base_url + path, "secret": secret},
            timeout=5,
        )
        answer.raise_for_status()


def calls(app) -> list:
    from service.extensions import db
    from service.jobs.models import ServiceCall

    with app.app_context():
        rows = db.session.scalars(sa.select(ServiceCall).order_by(ServiceCall.id)).all()
        return [(row.element_id, row.operation, row.state, row.attempts, row.last_error) for row in rows]


def run_calls(app, seconds: float = 20.0) -> list:
    """Tick until no call is pending or running (bounded); the calls as (element, operation, state,
    attempts, last error)."""
    from service.jobs import dispatch

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dispatch.tick(app)
        if not [c for c in calls(app) if c[2] in ("pending", "running")]:
            break
        time.sleep(0.05)
    return calls(app)


def journal(simulator) -> list:
    """The simulator's journal without the status sync to the national portal (`dvc/update_status`:
    every dossier's statuses once the `dvc` connector is configured, tested in tests/dvcqg)."""
    return [e for e in simulator.journal() if (e["connector"], e["operation"]) != ("dvc", "update_status")]
