"""A webhook receiver for the tests: a real HTTP server on a loopback port that checks each
delivery's signature, keeps what it accepted (once per delivery id, as a receiver should), and
can be told to fail (answer 503) or be down (its port closed)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from integrations.webhooks import DELIVERY, EVENT, SIGNATURE, verify


@dataclass
class Received:
    delivery: str
    event: str
    body: dict
    signed: bool


@dataclass
class Receiver:
    secret: str
    attempts: list[Received] = field(default_factory=list)  # every request, failed ones too
    accepted: dict[str, Received] = field(default_factory=dict)  # by delivery id
    failing: bool = False
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                got = Received(
                    self.headers.get(DELIVERY, ""),
                    self.headers.get(EVENT, ""),
                    json.loads(raw),
                    verify(receiver.secret, raw, self.headers.get(SIGNATURE)),
                )
                receiver.attempts.append(got)
                if receiver.failing or not got.signed:
                    self.send_response(503 if receiver.failing else 401)
                    self.end_headers()
                    return
                receiver.accepted.setdefault(got.delivery, got)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port is closed (a connection is refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[str]:
        return sorted(r.event for r in self.accepted.values())
