"""The simulator's own contract: idempotent replay, failure injection, control endpoints, --state."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations import ConnectorError
from tests.integrations.simulation import POST_TOKEN, SimulatorProcess

PARAMS = {"dossier_code": "HS-001"}


def post(simulator, path, body=None, key="k", **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(f"{simulator.url}{path}", json=body, headers=headers, timeout=5)


def test_a_call_needs_an_idempotency_key_and_a_params_object(simulator):
    missing = post(simulator, "/dvc/sync_dossier", {"params": PARAMS}, key=None)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["error"]
    assert post(simulator, "/dvc/sync_dossier", {"params": [1]}).status_code == 400
    assert post(simulator, "/dvc/sync_dossier", PARAMS).status_code == 400
    assert simulator.stats()["effects"] == 0


def test_unknown_systems_and_wrong_tokens_are_refused(simulator):
    assert post(simulator, "/tax/declare", {"params": {}}).status_code == 404
    assert post(simulator, "/post/send", {"params": {}}).status_code == 401
    answer = post(simulator, "/post/send", {"params": {}}, Authorization=f"Bearer {POST_TOKEN}")
    assert answer.status_code == 200 and answer.json()["reference"] == "post-1"


def test_a_replay_returns_the_stored_answer_and_a_reused_key_with_other_params_is_422(simulator):
    first = post(simulator, "/dvc/sync_dossier", {"params": PARAMS})
    again = post(simulator, "/dvc/sync_dossier", {"params": PARAMS})
    assert first.json() == again.json() == {"ok": True, "reference": "dvc-1", "echo": PARAMS}
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    other = post(simulator, "/dvc/sync_dossier", {"params": {"dossier_code": "HS-002"}})
    assert other.status_code == 422
    assert other.json() == {"error": "idempotency key reused with other params"}
    assert post(simulator, "/dvc/other_operation", {"params": PARAMS}).status_code == 422
    assert simulator.stats() == {"calls": 4, "effects": 1, "effects_per_key": {"k": 1}}


def test_failures_match_by_connector_and_operation_and_count_down(simulator, connectors):
    simulator.fail(connector="dvc", operation="*", times=2, status=500)
    connectors.call("post/send_result", PARAMS, idempotency_key="p")  # another system: unaffected
    for operation in ("dvc/sync_dossier", "dvc/publish"):
        with pytest.raises(ConnectorError):
            connectors.call(operation, PARAMS, idempotency_key="d")
    assert connectors.call("dvc/publish", PARAMS, idempotency_key="d")["reference"] == "dvc-1"
    # an injected failure answers even a key already seen, and does not replace its stored answer
    simulator.fail(connector="*", operation="publish", status=503)
    with pytest.raises(ConnectorError):
        connectors.call("dvc/publish", PARAMS, idempotency_key="d")
    assert connectors.call("dvc/publish", PARAMS, idempotency_key="d")["reference"] == "dvc-1"
    assert simulator.stats()["effects_per_key"] == {"p": 1, "d": 1}


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"connector": "dvc", "status": 200},
        {"connector": "dvc", "status": "explode"},
        {"connector": "dvc", "times": 0},
        {"connector": "dvc", "status": "timeout", "delay": 3600},
    ],
)
def test_a_bad_failure_spec_is_400(simulator, spec):
    answer = requests.post(f"{simulator.url}/_control/fail", json=spec, timeout=5)
    assert answer.status_code == 400


def test_reset_clears_journal_failures_and_stored_answers(simulator, connectors):
    connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k")
    simulator.fail(connector="dvc", status=503)
    simulator.reset()
    assert simulator.journal() == []
    assert simulator.stats() == {"calls": 0, "effects": 0, "effects_per_key": {}}
    assert connectors.call("dvc/sync_dossier", {"x": 1}, idempotency_key="k")["reference"] == "dvc-1"


def test_concurrent_calls_with_one_key_have_one_effect(simulator, connectors):
    def call(_):
        return connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="same")["reference"]

    with ThreadPoolExecutor(8) as pool:
        references = set(pool.map(call, range(32)))
    assert references == {"dvc-1"}
    assert simulator.stats() == {"calls": 32, "effects": 1, "effects_per_key": {"same": 1}}


def test_the_state_file_keeps_deduplication_across_a_restart(tmp_path):
    state = tmp_path / "state.json"
    first = SimulatorProcess(tmp_path / "first.log", "--state", str(state))
    try:
        with first.connectors() as conns:
            answer = conns.call("dvc/sync_dossier", PARAMS, idempotency_key="before-restart")
    finally:
        first.stop()
    assert json.loads(state.read_text("utf-8"))["journal"][0]["key"] == "before-restart"

    second = SimulatorProcess(tmp_path / "second.log", "--state", str(state))
    try:
        with second.connectors() as conns:
            assert conns.call("dvc/sync_dossier", PARAMS, idempotency_key="before-restart") == answer
            assert conns.call("dvc/sync_dossier", PARAMS, idempotency_key="after")["reference"] == "dvc-2"
        assert second.stats() == {
            "calls": 3,
            "effects": 2,
            "effects_per_key": {"before-restart": 1, "after": 1},
        }
    finally:
        second.stop()


def test_a_slow_answer_comes_late_but_once(simulator):
    import time

    simulator.fail(connector="dvc", operation="sync_dossier", status="slow", delay=1.2)
    started = time.monotonic()
    answer = post(simulator, "/dvc/sync_dossier", {"params": PARAMS}, key="slow-1")
    waited = time.monotonic() - started
    assert answer.status_code == 200 and answer.json()["reference"] == "dvc-1"
    assert waited >= 1.0  # the simulator held the answer back (a fact of the simulator, not a speed target)
    assert simulator.stats()["effects"] == 1
