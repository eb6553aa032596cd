"""A local simulator of the remote systems connectors call: the national DVC portal, the post, SMS and Zalo.

    python -m integrations.simulator --host 127.0.0.1 --port 8081 [--state FILE] [--token post=SECRET]

`POST /<system>/<operation>` with {"params": {...}} and an Idempotency-Key header performs the "side
effect" (a journal entry) the first time a key is seen and answers {"ok": true, "reference":
"<system>-<n>", "echo": params}; the same key again replays the stored answer without a new effect
(422 if sent with other params or to another operation: keys are global). The systems and their
answers are in integrations/simulators/ (dvc and post: a numbered reference, the params echoed);
--token SYSTEM=TOKEN makes one require "Authorization: Bearer TOKEN" (401 otherwise).
Control endpoints for tests and demos, under /_control/:
  POST fail     {"connector": "dvc" | "*", "operation": "sync_dossier" | "*", "times": N,
                 "status": 503 | 400 | "timeout" | "drop" | "slow", "delay": s, "error": text}
                 makes the next N matching calls fail that way, before any side effect
                 ("slow": wait `delay` seconds, then answer as usual);
  POST reset    clears the journal, the stored answers and the pending failures (not the callbacks);
  POST callbacks {"system": "payment", "url": "http://motcua/api/v1/payments/callback",
                 "secret": "..."} where a system sends its callbacks (also --callback SYSTEM=URL
                 and --callback-secret SYSTEM=SECRET), signed with X-Motcua-Signature;
  GET  journal  the side effects; GET health;
  GET  stats    {"calls": requests to a system, "effects": side effects, "effects_per_key": {...}}.
State lives in memory behind a lock; with --state it is written to a JSON file after every change
and read back at start, so a restarted simulator still deduplicates.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from integrations.codes import SIGNATURE_HEADER
from integrations.simulators import SYSTEMS
from integrations.webhooks import sign


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, headers, mimetype="application/json")


def _error(message: str, status: int) -> Response:
    return _json({"error": message}, status)


class Simulator:
    """The WSGI application. `tokens` maps a system to the bearer token it requires (if any)."""

    def __init__(
        self,
        state_path=None,
        tokens: dict | None = None,
        systems=tuple(SYSTEMS),
        options: dict | None = None,
        callbacks: dict | None = None,
    ):
        self.state_path = Path(state_path) if state_path else None
        # What a system needs to call Motcua back (the portal: motcua_url, motcua_token).
        self.options = dict(options or {})
        self.tokens = dict(tokens or {})
        self.systems = {name: SYSTEMS[name] for name in systems}
        self.lock = threading.Lock()
        self.state = self._empty()
        # system -> {"url", "secret"}: where its callbacks go (kept across a reset)
        self.callbacks = {name: dict(target) for name, target in (callbacks or {}).items()}
        if self.state_path and self.state_path.exists():
            self.state.update(json.loads(self.state_path.read_text("utf-8")))
        control = [
            ("health", "GET"),
            ("journal", "GET"),
            ("stats", "GET"),
            ("fail", "POST"),
            ("reset", "POST"),
            ("callbacks", "POST"),
        ]
        rules = [Rule(f"/_control/{name}", endpoint=name, methods=[method]) for name, method in control]
        self.extra = {}
        for system in self.systems.values():
            for rule, handler in system.routes(self):
                self.extra[rule.endpoint] = handler
                rules.append(rule)
        self.url_map = Map([*rules, Rule("/<connector>/<operation>", endpoint="call", methods=["POST"])])

    @staticmethod
    def _empty() -> dict:
        return {"calls": 0, "journal": [], "responses": {}, "counters": {}, "failures": [], "systems": {}}

    def _save(self) -> None:
        """Persist the state (the caller holds the lock); atomic through a renamed temporary file."""
        if self.state_path:
            tmp = self.state_path.with_name(self.state_path.name + ".tmp")
            tmp.write_text(json.dumps(self.state, ensure_ascii=False), "utf-8")
            os.replace(tmp, self.state_path)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            if endpoint in self.extra:
                response = self.extra[endpoint](self, request, **args)
            else:
                response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = _error(exc.description or exc.name, exc.code or 500)
        return response(environ, start_response)

    def on_health(self, request):
        return _json({"ok": True})

    def on_journal(self, request):
        with self.lock:
            return _json({"journal": self.state["journal"]})

    def on_stats(self, request):
        with self.lock:
            per_key = Counter(entry["key"] for entry in self.state["journal"])
            return _json(
                {"calls": self.state["calls"], "effects": per_key.total(), "effects_per_key": per_key}
            )

    def on_reset(self, request):
        with self.lock:
            self.state = self._empty()
            self._save()
        return _json({"ok": True})

    def on_callbacks(self, request):
        spec = request.get_json(silent=True)
        if not (
            isinstance(spec, dict)
            and spec.get("system") in self.systems
            and isinstance(spec.get("url"), str)
            and isinstance(spec.get("secret"), str)
        ):
            return _error('expected {"system": ..., "url": ..., "secret": ...}', 400)
        with self.lock:
            self.callbacks[spec["system"]] = {"url": spec["url"], "secret": spec["secret"]}
        return _json({"ok": True})

    def send_callback(self, system: str, payload: dict) -> dict:
        """POST a signed callback of `system` to Motcua (outside the lock); its answer, or the error."""
        with self.lock:
            target = dict(self.callbacks.get(system) or {})
        if not target.get("url"):
            return {"status": None, "error": f"no callback URL for {system} (POST /_control/callbacks)"}
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(target.get("secret", ""), body)}
        try:
            with requests.Session() as http:
                http.trust_env = False
                answer = http.post(target["url"], data=body, headers=headers, timeout=30)
        except requests.RequestException as exc:
            return {"status": None, "error": f"{exc.__class__.__name__}: {exc}"}
        try:
            data = answer.json()
        except ValueError:
            data = answer.text[:500]
        return {"status": answer.status_code, "body": data}

    def on_fail(self, request):
        spec = request.get_json(silent=True)
        if not isinstance(spec, dict) or not isinstance(spec.get("connector"), str):
            return _error('expected {"connector": ..., "operation": ..., "times": N, "status": ...}', 400)
        failure = {
            "connector": spec["connector"],
            "operation": spec.get("operation", "*"),
            "times": spec.get("times", 1),
            "status": spec.get("status", 503),
            "delay": spec.get("delay", 5.0),
            "error": spec.get("error"),
        }
        status, times, delay = failure["status"], failure["times"], failure["delay"]
        if not (
            (status in ("timeout", "drop", "slow") or (type(status) is int and 400 <= status <= 599))
            and type(times) is int
            and times > 0
            and type(delay) in (int, float)
            and 0 < delay <= 60
            and isinstance(failure["operation"], str)
            and isinstance(failure["error"], str | None)
        ):
            return _error(
                '"status" must be 400-599, "timeout", "drop" or "slow"; "times" >= 1; 0 < "delay" <= 60', 400
            )
        with self.lock:
            self.state["failures"].append(failure)
            self._save()
            return _json({"ok": True, "failures": self.state["failures"]})

    def _take_failure(self, connector: str, operation: str) -> dict | None:
        for failure in self.state["failures"]:
            if failure["connector"] in (connector, "*") and failure["operation"] in (operation, "*"):
                failure["times"] -= 1
                if failure["times"] <= 0:
                    self.state["failures"].remove(failure)
                return failure
        return None

    def on_call(self, request, connector: str, operation: str):
        if connector not in self.systems:
            return _error(f"no such system: {connector}", 404)
        with self.lock:
            self.state["calls"] += 1
            self._save()
        token = self.tokens.get(connector)
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return _error("missing or invalid bearer token", 401)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return _error("the Idempotency-Key header is required", 400)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("params"), dict):
            return _error('the body must be a JSON object {"params": {...}}', 400)
        params, call = body["params"], [connector, operation, body["params"]]
        with self.lock:
            failure = self._take_failure(connector, operation)
        if failure is not None and failure["status"] == "slow":
            time.sleep(failure["delay"])  # then answers as usual
            failure = None
        with self.lock:
            stored = replay = None
            if failure is None:
                stored = self.state["responses"].get(key)
                replay = stored is not None
                if stored is None:
                    n = self.state["counters"][connector] = self.state["counters"].get(connector, 0) + 1
                    own = self.state.setdefault("systems", {}).setdefault(connector, {})
                    answer = self.systems[connector].answer(operation, params, own, n)
                    stored = self.state["responses"][key] = {"call": call, "answer": answer}
                    at = datetime.now(UTC).isoformat(timespec="milliseconds")
                    entry = {"key": key, "connector": connector, "operation": operation, "params": params}
                    self.state["journal"].append({**entry, "at": at})
            self._save()
        if failure is not None:
            return self._fail(request, failure)
        if stored["call"] != call:
            return _error("idempotency key reused with other params", 422)
        return _json(stored["answer"], 200, {"Idempotent-Replayed": "true"} if replay else None)

    def _fail(self, request, failure: dict) -> Response:
        if failure["status"] == "timeout":
            time.sleep(failure["delay"])  # longer than the client waits; then a late 504
            return _error("simulated timeout", 504)
        if failure["status"] == "drop":
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)  # the client sees the connection close, no answer
            return Response(status=500)
        return _error(failure["error"] or f"simulated failure (HTTP {failure['status']})", failure["status"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m integrations.simulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--state", help="JSON file that keeps the state across restarts")
    parser.add_argument(
        "--token", action="append", default=[], metavar="SYSTEM=TOKEN", help="require a token"
    )
    parser.add_argument(
        "--motcua-url", default=os.environ.get("MOTCUA_URL", ""), help="where the portal pushes dossiers"
    )
    parser.add_argument(
        "--motcua-token",
        default=os.environ.get("MOTCUA_DVCQG_TOKEN", ""),
        help="the portal's Motcua token (scope integrations:dvcqg)",
    )
    parser.add_argument(
        "--motcua-token-file",
        default="",
        help="a demo's tokens file (the line 'dvcqg<TAB>token' of instance/demo-tokens.txt, written by"
        " `motcua demo`), read when the portal pushes and no --motcua-token was given",
    )
    parser.add_argument(
        "--callback", action="append", default=[], metavar="SYSTEM=URL", help="where its callbacks go"
    )
    parser.add_argument(
        "--callback-secret", action="append", default=[], metavar="SYSTEM=SECRET", help="signs them"
    )
    args = parser.parse_args(argv)
    tokens = dict(item.partition("=")[::2] for item in args.token)
    if not all(tokens.values()):
        parser.error("--token takes SYSTEM=TOKEN")
    options = {
        "motcua_url": args.motcua_url,
        "motcua_token": args.motcua_token,
        "motcua_token_file": args.motcua_token_file,
    }
    callbacks: dict = {}
    for option, key in ((args.callback, "url"), (args.callback_secret, "secret")):
        for system, value in (item.partition("=")[::2] for item in option):
            callbacks.setdefault(system, {})[key] = value
    simulator = Simulator(args.state, tokens, options=options, callbacks=callbacks)
    run_simple(args.host, args.port, simulator, threaded=True)


if __name__ == "__main__":
    main()
