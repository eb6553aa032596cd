"""Crashes: worker processes are killed with SIGKILL while they work, and restarted.

Two workers (thread pool: one OS process each, so SIGKILL takes all of a worker at once) run the
service calls and timers of 60 service_chain instances started while a worker is killed about
every second, five times. The remote's answers come 0.3 s after its side effect (SlowNetwork), so
a killed worker often dies holding a leased call the remote system applied and Motcua did not
record yet; or in the middle of a transaction, or with unacknowledged broker messages. With a
3 s lease the others take its calls over. Every instance must still complete, each remote side
effect must happen once per idempotency key, and each service task's completion must be recorded
exactly once (no lost and no doubled update).
"""

from __future__ import annotations

import random
import threading
import time

from tests.workers.stack import SERVICE_CHAIN, check_service_chain_outcome

INSTANCES = 60
KILLS = 5
START_PACE = 0.08  # seconds between two starts: the starts go on while the workers are killed
CONNECTOR_DELAY = 0.3  # the remote's answers come 0.3 s after its side effect: kills land there
UP = 1.5  # seconds a worker has been running (and ready) before it may be killed; it starts in ~1 s


def test_killed_workers_lose_nothing_and_do_nothing_twice(make_stack):
    stack = make_stack(broker="redis", lease_seconds=3, connector_delay=CONNECTOR_DELAY)
    api = stack.serve()
    assert api.deploy(SERVICE_CHAIN)["key"] == "service_chain"
    workers = [stack.worker(f"worker{n}", "--pool=threads", concurrency=2) for n in (1, 2)]
    beat = stack.beat()
    stack.wait_ready(*workers)

    ids: list[str] = []
    errors: list[BaseException] = []

    def start_all() -> None:
        try:
            for i in range(INSTANCES):
                ids.append(api.start("service_chain", {"ref": f"HS-{i:03d}", "wait_for": "PT1S"})["id"])
                time.sleep(START_PACE)
        except BaseException as exc:
            errors.append(exc)

    starter = threading.Thread(target=start_all, name="starter")
    starter.start()
    rng = random.Random()
    killed = []
    try:
        for _ in range(KILLS):
            time.sleep(1.0)

            # a worker that has been working a while (so it is likely to be in the middle of something)
            def working() -> list:
                return [w for w in workers if stack.is_ready(w) and time.monotonic() - w.started_at >= UP]

            victim = rng.choice(stack.wait_until(working, seconds=60, what="a worker working for a while"))
            victim.kill9()
            killed.append((victim.name, victim.popen.returncode))
            victim.start()
    finally:
        starter.join(120)
    assert not errors, errors
    assert not starter.is_alive()
    assert len(killed) == KILLS and all(code == -9 for _name, code in killed), killed

    stack.wait_until(
        lambda: stack.completed() == INSTANCES,
        seconds=120,
        what=f"{INSTANCES} instances completed despite {KILLS} SIGKILLs",
        watch=(*workers, beat),
    )
    check_service_chain_outcome(stack, ids)
    stack.check_alive()
    taken_over = stack.scalar("select count(*) from service_calls where attempts > 1")
    stats = stack.simulator.stats()
    print(
        f"killed {killed}; service calls claimed more than once: {taken_over};"
        f" remote calls {stats['calls']} for {stats['effects']} effects"
    )
