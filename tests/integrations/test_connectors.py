"""Connectors.call over real HTTP against the simulator (and a tiny canned server for odd answers)."""

from __future__ import annotations

import datetime as dt
import http.server
import subprocess
import sys
import threading

import pytest

from integrations import ConnectorConfig, ConnectorError, Connectors, UnknownConnector
from tests.integrations.simulation import POST_TOKEN, ROOT, free_port

PARAMS = {"dossier_code": "000.00.12.H01-250101-0001", "applicant": "Nguyễn Thị Ánh", "pages": 3}


def test_success_returns_the_remote_json(connectors, simulator):
    answer = connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="inst-1:task-1")
    assert answer == {"ok": True, "reference": "dvc-1", "echo": PARAMS}
    [entry] = simulator.journal()
    assert entry["connector"] == "dvc" and entry["operation"] == "sync_dossier"
    assert entry["params"] == PARAMS


def test_the_idempotency_key_is_sent_and_a_repeated_call_has_one_side_effect(connectors, simulator):
    first = connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="inst-1:task-1")
    again = connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="inst-1:task-1")
    other = connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="inst-1:task-2")
    assert again == first
    assert other["reference"] == "dvc-2"
    assert [entry["key"] for entry in simulator.journal()] == ["inst-1:task-1", "inst-1:task-2"]
    assert simulator.stats() == {
        "calls": 3,
        "effects": 2,
        "effects_per_key": {"inst-1:task-1": 1, "inst-1:task-2": 1},
    }


def test_a_503_is_retryable_and_the_retry_with_the_same_key_has_one_effect(connectors, simulator):
    simulator.fail(connector="dvc", operation="sync_dossier", times=2, status=503)
    for _ in range(2):
        with pytest.raises(ConnectorError) as caught:
            connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k-503")
        assert caught.value.retryable is True
        assert caught.value.status == 503
        message = str(caught.value)
        assert "'dvc'" in message and "sync_dossier" in message and "503" in message
        assert "simulated failure" in message  # the remote's error text
    assert connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k-503")["reference"] == "dvc-1"
    assert simulator.stats() == {"calls": 3, "effects": 1, "effects_per_key": {"k-503": 1}}


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 504])
def test_transient_statuses_are_retryable(connectors, simulator, status):
    simulator.fail(connector="dvc", status=status)
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k")
    assert (caught.value.retryable, caught.value.status) == (True, status)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_client_errors_are_not_retryable(connectors, simulator, status):
    simulator.fail(connector="dvc", operation="*", status=status, error="hồ sơ không hợp lệ")
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k")
    assert (caught.value.retryable, caught.value.status) == (False, status)
    assert f"HTTP {status}: hồ sơ không hợp lệ" in str(caught.value)
    assert simulator.stats()["effects"] == 0


def test_a_long_remote_error_is_truncated(connectors, simulator):
    simulator.fail(connector="dvc", status=400, error="lỗi " * 1000)
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k")
    assert len(str(caught.value)) < 400


def test_a_timeout_is_retryable(simulator):
    simulator.fail(connector="dvc", status="timeout", delay=3)
    with simulator.connectors(timeout=0.3) as conns:
        with pytest.raises(ConnectorError) as caught:
            conns.call("dvc/sync_dossier", PARAMS, idempotency_key="k-timeout")
        assert (caught.value.retryable, caught.value.status) == (True, None)
        assert "'dvc'" in str(caught.value) and "sync_dossier" in str(caught.value)
        assert conns.call("dvc/sync_dossier", PARAMS, idempotency_key="k-timeout")["reference"] == "dvc-1"
    assert simulator.stats()["effects_per_key"] == {"k-timeout": 1}


def test_a_dropped_connection_is_retryable(connectors, simulator):
    simulator.fail(connector="dvc", status="drop")
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", PARAMS, idempotency_key="k-drop")
    assert (caught.value.retryable, caught.value.status) == (True, None)
    assert simulator.stats()["effects"] == 0


def test_a_refused_connection_is_retryable():
    conns = Connectors({"dvc": ConnectorConfig("dvc", f"http://127.0.0.1:{free_port()}", timeout=2)})
    with conns, pytest.raises(ConnectorError) as caught:
        conns.call("dvc/sync_dossier", PARAMS, idempotency_key="k")
    assert (caught.value.retryable, caught.value.status) == (True, None)


def test_an_unknown_connector_is_not_retryable(connectors, simulator):
    with pytest.raises(UnknownConnector) as caught:
        connectors.call("tax/declare", PARAMS, idempotency_key="k")
    assert isinstance(caught.value, ConnectorError)
    assert caught.value.retryable is False and caught.value.status is None
    assert "'tax'" in str(caught.value)
    assert simulator.stats()["calls"] == 0


@pytest.mark.parametrize(
    "operation",
    [
        "",
        "dvc",
        "dvc/",
        "/sync",
        "dvc/a/b",
        "DVC/sync",
        "dvc/../sync",
        "dvc/sync?x=1",
        "dvc/sync dossier",
        None,
    ],
)
def test_a_malformed_operation_is_not_retryable(connectors, simulator, operation):
    with pytest.raises(ConnectorError) as caught:
        connectors.call(operation, PARAMS, idempotency_key="k")
    assert type(caught.value) is ConnectorError
    assert caught.value.retryable is False and "malformed operation" in str(caught.value)
    assert simulator.stats()["calls"] == 0


@pytest.mark.parametrize(
    "params", [{"at": dt.datetime(2025, 1, 1)}, {"x": float("nan")}, {"s": {1, 2}}, ["not", "an", "object"]]
)
def test_params_that_are_not_a_json_object_are_not_retryable(connectors, simulator, params):
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", params, idempotency_key="k")
    assert caught.value.retryable is False
    assert simulator.stats()["calls"] == 0


@pytest.mark.parametrize("key", ["", "has space", "dòng", "x" * 256, "a\r\nX-Evil: 1", None])
def test_a_bad_idempotency_key_is_not_retryable(connectors, simulator, key):
    with pytest.raises(ConnectorError) as caught:
        connectors.call("dvc/sync_dossier", PARAMS, idempotency_key=key)
    assert caught.value.retryable is False
    assert simulator.stats()["calls"] == 0


def test_the_token_is_sent_as_bearer(connectors, simulator):
    assert connectors.call("post/send_result", PARAMS, idempotency_key="k")["reference"] == "post-1"
    with simulator.connectors(token=None) as anonymous, pytest.raises(ConnectorError) as caught:
        anonymous.call("post/send_result", PARAMS, idempotency_key="k2")
    assert (caught.value.retryable, caught.value.status) == (False, 401)


def test_the_token_never_appears_in_errors(simulator):
    wrong = "wrong-token-Zq81"
    with simulator.connectors(token=wrong) as conns:
        with pytest.raises(ConnectorError) as caught:
            conns.call("post/send_result", PARAMS, idempotency_key="k")
        assert caught.value.status == 401 and wrong not in str(caught.value)
    with simulator.connectors() as conns:
        # a careless remote that echoes the token back in its error text
        simulator.fail(connector="post", status=400, error=f"bad header Authorization: Bearer {POST_TOKEN}")
        with pytest.raises(ConnectorError) as caught:
            conns.call("post/send_result", PARAMS, idempotency_key="k")
        assert POST_TOKEN not in str(caught.value) and "Bearer ***" in str(caught.value)
        simulator.fail(connector="post", status="drop")
        with pytest.raises(ConnectorError) as caught:
            conns.call("post/send_result", PARAMS, idempotency_key="k")
        assert POST_TOKEN not in str(caught.value)
    config = ConnectorConfig("post", simulator.url, token=POST_TOKEN)
    assert POST_TOKEN not in repr(config)
    with Connectors(
        {"post": ConnectorConfig("post", f"http://127.0.0.1:{free_port()}", token=POST_TOKEN)}
    ) as c:
        with pytest.raises(ConnectorError) as caught:
            c.call("post/send_result", PARAMS, idempotency_key="k")
        assert POST_TOKEN not in str(caught.value)


def test_the_package_imports_no_framework():
    code = (
        "import sys, integrations\n"
        "heavy = {'flask', 'sqlalchemy', 'celery', 'SpiffWorkflow', 'werkzeug'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- odd answers, from a canned server ------------------------------------------------------------

CANNED = {
    "/x/list": (200, "application/json", b"[1, 2]"),
    "/x/empty": (204, None, b""),
    "/x/html": (200, "text/html", b"<html>ok</html>"),
    "/x/broken": (502, "text/html", b"<html><body>\n  Bad   Gateway\n</body></html>"),
    "/x/redirect": (302, None, b""),
}


class _Canned(http.server.BaseHTTPRequestHandler):
    seen: dict = {}

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Canned.seen[self.path] = dict(self.headers)
        status, content_type, body = CANNED[self.path]
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status == 302:
            self.send_header("Location", "http://attacker.example/steal")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def canned():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = ConnectorConfig("x", f"http://127.0.0.1:{server.server_port}", headers={"X-Agency": "AG"})
    with Connectors({"x": config}) as conns:
        yield conns
    server.shutdown()
    server.server_close()


def test_a_json_value_that_is_not_an_object_is_wrapped(canned):
    assert canned.call("x/list", {}, idempotency_key="k") == {"result": [1, 2]}
    headers = _Canned.seen["/x/list"]
    assert headers["Idempotency-Key"] == "k" and headers["X-Agency"] == "AG"
    assert headers["Content-Type"] == "application/json" and headers["Accept"] == "application/json"
    assert "Authorization" not in headers


def test_an_empty_success_is_an_empty_object(canned):
    assert canned.call("x/empty", {}, idempotency_key="k") == {}


def test_a_success_that_is_not_json_is_an_error(canned):
    with pytest.raises(ConnectorError) as caught:
        canned.call("x/html", {}, idempotency_key="k")
    assert (caught.value.retryable, caught.value.status) == (False, 200)


def test_a_non_json_error_body_is_shown_on_one_line(canned):
    with pytest.raises(ConnectorError) as caught:
        canned.call("x/broken", {}, idempotency_key="k")
    assert caught.value.retryable is True
    assert str(caught.value).endswith("HTTP 502: <html><body> Bad Gateway </body></html>")


def test_redirects_are_not_followed(canned):
    with pytest.raises(ConnectorError) as caught:
        canned.call("x/redirect", {}, idempotency_key="k")
    assert (caught.value.retryable, caught.value.status) == (False, 302)
    assert "not followed" in str(caught.value)
