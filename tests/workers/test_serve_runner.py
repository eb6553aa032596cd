"""Without a broker, `motcua serve` does the asynchronous work in a runner process of its own
(`motcua run-jobs`), never in the process that answers requests; it starts the runner again when
it ends on its own, and the runner ends with serve: stopped, or killed outright. Real processes on
PostgreSQL, against the simulator."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from tests.workers.stack import SERVICE_CHAIN, Stack, check_service_chain_outcome


def runner_pid(stack: Stack, api, *, not_: int | None = None) -> int:
    """The runner's process id, as `motcua serve` last logged it (another than `not_`)."""

    def logged() -> int | None:
        pids = re.findall(r"asynchronous work runs in process (\d+)", api.process.log.read_text())
        return int(pids[-1]) if pids and int(pids[-1]) != not_ else None

    return stack.wait_until(logged, seconds=30, what="serve to log its runner process")


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (an ended child nobody reaped yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"PPid:\t(\d+)", status).group(1))


def test_serve_without_a_broker_runs_the_work_in_a_runner_process_that_ends_with_it(make_stack):
    stack = make_stack()
    api = stack.serve(runner=True)
    runner = runner_pid(stack, api)
    assert runner != api.process.pid
    assert parent_of(runner) == api.process.pid

    # a runner that ends on its own (here killed) is started again by serve
    os.kill(runner, signal.SIGKILL)
    runner = runner_pid(stack, api, not_=runner)
    assert running(runner) and parent_of(runner) == api.process.pid

    assert api.deploy(SERVICE_CHAIN)["key"] == "service_chain"
    ids = [api.start("service_chain", {"ref": f"HS-{i}", "wait_for": "PT1S"})["id"] for i in range(3)]
    stack.wait_until(lambda: stack.completed() == 3, seconds=60, what="3 instances completed by the runner")
    check_service_chain_outcome(stack, ids)

    # stopped as a service manager stops it (SIGTERM, to serve alone): serve stops its runner
    os.kill(api.process.pid, signal.SIGTERM)
    assert api.process.popen.wait(20) == 0
    assert not running(runner)

    # killed outright, serve cannot stop it: the runner sees its parent gone and ends by itself
    api = stack.serve("api2", runner=True)
    runner = runner_pid(stack, api)
    os.kill(api.process.pid, signal.SIGKILL)
    api.process.popen.wait(10)
    stack.wait_until(lambda: not running(runner), seconds=15, what="the runner to end after serve's kill -9")
