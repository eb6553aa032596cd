"""Scale-out: two API processes and two worker processes share one database and one broker.

200 service_chain instances (sync → 1 s timer → deliver) are started concurrently, round-robin
through both APIs, while the remote DVC portal refuses some calls with 503 (each of those calls is
retried by whichever worker takes it next). Every instance must complete, every audit event the
rule allows once must be there once, and no remote side effect may happen twice.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.workers.stack import SERVICE_CHAIN, check_service_chain_outcome

INSTANCES = 200
THREADS = 8
FAILURE_EVERY = 20  # after every 20 starts, the next 2 DVC calls fail with 503: about 10 %
FAILURES_EACH = 2


def test_two_apis_and_two_workers_complete_every_instance_once(make_stack):
    stack = make_stack(broker="redis")
    apis = [stack.serve("api1"), stack.serve("api2")]
    assert apis[0].deploy(SERVICE_CHAIN)["key"] == "service_chain"
    workers = [stack.worker("worker1", concurrency=2), stack.worker("worker2", concurrency=2)]
    beat = stack.beat()
    stack.wait_ready(*workers)

    lock, started, injected = threading.Lock(), [], [0]

    def start(i: int) -> str:
        instance = apis[i % 2].start("service_chain", {"ref": f"HS-{i:04d}", "wait_for": "PT1S"})
        with lock:
            started.append(instance["id"])
            if len(started) % FAILURE_EVERY == 0 and len(started) < INSTANCES:
                # consumed by DVC calls of instances started from now on, so they surely happen
                stack.simulator.fail(
                    connector="dvc", operation="sync_dossier", times=FAILURES_EACH, status=503
                )
                injected[0] += FAILURES_EACH
        return instance["id"]

    with ThreadPoolExecutor(THREADS) as pool:
        ids = list(pool.map(start, range(INSTANCES)))
    assert len(set(ids)) == INSTANCES

    stack.wait_until(
        lambda: stack.completed() == INSTANCES,
        seconds=100,
        what=f"{INSTANCES} instances completed",
        watch=(*workers, beat),
    )
    stats = check_service_chain_outcome(stack, ids)
    stack.check_alive()

    # The refused calls were retried: the simulator saw them, and their rows count the attempts.
    assert injected[0] >= FAILURES_EACH * (INSTANCES // FAILURE_EVERY - 1)
    retried = stack.scalar(
        "select coalesce(sum(attempts - 1), 0) from service_calls where element_id = 'sync'"
    )
    assert retried >= injected[0]
    assert stats["calls"] >= stats["effects"] + injected[0]
    # Both workers took part, and together they made every call.
    calls = [stack.tasks_succeeded(worker, "motcua.run_call") for worker in workers]
    assert all(calls), calls
    assert sum(calls) >= 2 * INSTANCES + injected[0]
