"""Fixtures of the notification tests: the simulator (SMS and Zalo) as a real process, the app's
connectors pointed at it, the API over real HTTP (a live server), and the dossier office with
officers' contacts."""

from __future__ import annotations

import pytest
import requests

from integrations import ConnectorConfig, Connectors, contracts
from tests.conftest import Caller
from tests.integrations.simulation import SimulatorProcess

PHONE = "0912345678"
PUBLIC_URL = "https://dichvucong.angiang.example"


@pytest.fixture(scope="session")
def _simulator_process(tmp_path_factory):
    process = SimulatorProcess(tmp_path_factory.mktemp("simulator") / "simulator.log")
    yield process
    process.stop()


@pytest.fixture
def simulator(_simulator_process):
    _simulator_process.reset()
    return _simulator_process


class _Answer:
    """A requests answer read like Flask's test client's (json and data as attributes)."""

    def __init__(self, response: requests.Response):
        self.status_code = response.status_code
        self.data = response.content
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0]
        self.headers = response.headers
        try:
            self.json = response.json()
        except ValueError:
            self.json = None


class HttpClient:
    """The API over real HTTP, with the test client's get/post/put/delete."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def open(self, method, url, *, json=None, data=None, headers=None, content_type=None):
        files = None
        if isinstance(data, dict):  # multipart, as the test client takes it: {"file": (stream, name)}
            files = {k: (v[1], v[0].read(), "application/pdf") for k, v in data.items()}
            data = None
        response = self.session.request(
            method, self.base + url, json=json, data=data, files=files, headers=headers, timeout=60
        )
        return _Answer(response)

    def get(self, url, **kw):
        return self.open("GET", url, **kw)

    def post(self, url, **kw):
        return self.open("POST", url, **kw)

    def put(self, url, **kw):
        return self.open("PUT", url, **kw)

    def delete(self, url, **kw):
        return self.open("DELETE", url, **kw)


@pytest.fixture
def office(app, live_server, simulator, dossier_office):
    """The dossier office (tests/factories.py) over real HTTP, with SMS and Zalo configured on the
    simulator, a public address, and contacts for the head (Zalo) and the specialist (SMS, Zalo)."""
    app.config["MOTCUA_PUBLIC_URL"] = PUBLIC_URL
    app.extensions["motcua.connectors"] = Connectors(
        {name: ConnectorConfig(name, simulator.url, timeout=5) for name in ("sms", "zalo")},
        contracts=contracts.load(),
    )
    http = HttpClient(live_server)
    for name in ("admin", "clerk", "head", "specialist", "leader", "records"):
        caller = getattr(dossier_office, name)
        setattr(dossier_office, name, Caller(http, caller.username, caller.token))
    admin = dossier_office.admin
    for name, phone, channels in (
        ("head", "0987000001", {"zalo": True}),
        ("specialist", "0987000002", {"sms": True}),
    ):
        body = {"phone": phone, "sms": False, "zalo": False, **channels}
        if name == "specialist":
            body["zalo"] = True
        answer = admin.client.put(f"/api/v1/notifications/contacts/{name}", json=body, headers=admin.headers)
        assert answer.status_code == 200, answer.json
    dossier_office.simulator = simulator
    return dossier_office
