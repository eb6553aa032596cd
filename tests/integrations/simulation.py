"""The remote-system simulator as a real process: started on a free loopback port, driven over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from integrations import ConnectorConfig, Connectors

ROOT = Path(__file__).resolve().parents[2]
POST_TOKEN = "post-secret-7Hq2vX9"  # the simulator requires it from the "post" system's callers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimulatorProcess:
    """`python -m integrations.simulator` on a free port; waits for /_control/health."""

    def __init__(self, log_path: Path, *args: str):
        self.log_path = log_path
        for _attempt in range(3):  # another process may take the free port before the simulator binds it
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            with open(log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "integrations.simulator", "--port", str(self.port), *args],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_healthy():
                return
            self.stop()
        raise RuntimeError(f"the simulator did not start; its log:\n{log_path.read_text(errors='replace')}")

    def _wait_healthy(self, seconds: float = 20.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/_control/health", timeout=1).status_code == 200:
                    return True
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    # control endpoints
    def reset(self) -> None:
        requests.post(f"{self.url}/_control/reset", timeout=5).raise_for_status()

    def fail(self, **spec) -> None:
        requests.post(f"{self.url}/_control/fail", json=spec, timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_control/stats", timeout=5).json()

    def journal(self) -> list:
        return requests.get(f"{self.url}/_control/journal", timeout=5).json()["journal"]

    def connectors(self, timeout: float = 5.0, token: str | None = POST_TOKEN) -> Connectors:
        """Connectors for "dvc" and "post", both served by this simulator."""
        return Connectors(
            {
                "dvc": ConnectorConfig("dvc", self.url, timeout=timeout),
                "post": ConnectorConfig("post", self.url, timeout=timeout, token=token),
            }
        )
