"""Fixtures of the Camunda API's tests: the people of the Camunda Modeler purchase process
(tests/data/camunda/camunda_purchase.bpmn) and a Basic-auth caller of /engine-rest."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from tests.support import DATA

PURCHASE = DATA / "camunda" / "camunda_purchase.bpmn"
PASSWORD = "password-1"


@dataclass
class Engine:
    """A user calling /engine-rest with HTTP Basic (as Camunda clients do), through the test client."""

    client: object
    username: str
    password: str = PASSWORD

    @property
    def headers(self) -> dict:
        pair = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def call(self, method: str, path: str, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open("/engine-rest" + path, method=method, headers=headers, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def people(make_user, admin):
    """The admin (who deploys), alice (a requester: starts), pat (purchasing: reviews), dora
    (directors: signs large purchases off) and eve (no group), with tokens."""
    return {
        "admin": admin,
        "alice": make_user("alice", groups=["requesters"]),
        "pat": make_user("pat", groups=["purchasing"]),
        "dora": make_user("dora", groups=["directors"]),
        "eve": make_user("eve"),
    }


@pytest.fixture
def engine(client, people):
    """engine(name) -> the user's Basic-auth caller of /engine-rest."""
    return lambda name: Engine(client, name)


@pytest.fixture
def purchase(people):
    """The purchase process deployed (through Motcua's own API)."""
    response = people["admin"].deploy(PURCHASE)
    assert response.status_code == 201, response.json
    return response.json
