"""Crashes: worker processes are killed with SIGKILL while they work, and restarted.

Two workers (thread pool: one OS process each, so SIGKILL takes all of a worker at once) run the
service calls and timers of 60 service_chain instances started while a worker is killed about
every second, five times. Each worker reaches the remote systems through a slow link of its own
(SlowNetwork: the answer comes 0.3 s after the remote applied the call). Before each kill the
links keep their answers back, and the victim is the first worker (by name) that has been up a
while and waits for an answer: it dies holding a leased call the remote system applied and Motcua
did not record yet. With a 3 s lease the others take its calls over. Every instance must still
complete, each remote side effect must happen once per idempotency key, each service task's
completion must be recorded exactly once (no lost and no doubled update), and the counts must show
the take-overs: every kill left a claim another worker redid, calling the remote again.
"""

from __future__ import annotations

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

    def waiting_for_an_answer():
        """The first worker, by name, up a while, whose link holds back an answer the remote gave."""
        for worker in workers:
            if stack.is_ready(worker) and time.monotonic() - worker.started_at >= UP and worker.network.held:
                return worker
        return None

    starter = threading.Thread(target=start_all, name="starter")
    starter.start()
    killed = []
    try:
        for _ in range(KILLS):
            time.sleep(1.0)
            for worker in workers:
                worker.network.hold()
            try:
                victim = stack.wait_until(
                    waiting_for_an_answer, seconds=60, what="a worker up a while, waiting for an answer"
                )
                victim.kill9()
            finally:
                for worker in workers:
                    worker.network.release()
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
    # Every victim died holding a claim (attempt) of a call whose effect the remote had applied; each
    # such claim was redone by a later one, and that one called the remote again with the same key.
    attempts = [row.attempts for row in stack.rows("select attempts from service_calls")]
    stats = stack.simulator.stats()
    redone = sum(a - 1 for a in attempts)
    assert redone >= KILLS, f"{redone} claims redone after {KILLS} kills: {killed}"
    assert stats["calls"] - stats["effects"] >= KILLS, (stats["calls"], stats["effects"], killed)
    assert stats["calls"] <= sum(attempts)  # a claim calls the remote once at most
