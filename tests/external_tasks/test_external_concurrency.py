"""Workers fetching at the same instant over real HTTP: every task is locked by one of them only."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import bpmn_path

URL = "/api/v1/external-tasks"
RACERS = 6


def _race(calls):
    barrier = threading.Barrier(len(calls))

    def go(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


@pytest.fixture
def http(live_server, admin, make_user):
    assert admin.deploy(bpmn_path("engine_external.bpmn")).status_code == 201
    worker = make_user("worker", groups=["external-workers"])

    def session(caller):
        s = requests.Session()
        s.trust_env = False
        s.headers["Authorization"] = f"Bearer {caller.token}"
        return s

    return live_server, session(admin), [session(worker) for _ in range(RACERS)]


def _fetch(base, s, worker_id, max_tasks):
    body = {
        "worker_id": worker_id,
        "max_tasks": max_tasks,
        "topics": [{"topic_name": "population-lookup", "lock_duration": 60_000}],
    }
    response = s.post(f"{base}{URL}/fetch-and-lock", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_concurrent_fetches_split_the_tasks_and_never_share_one(http):
    base, admin, sessions = http
    started = []
    for _ in range(9):
        answer = admin.post(f"{base}/api/v1/process-instances", json={"definition_key": "external_check"})
        assert answer.status_code == 201, answer.text
        started.append(answer.json()["id"])
    results = _race([lambda s=s, n=n: _fetch(base, s, f"w{n}", 2) for n, s in enumerate(sessions)])
    locked = [(task["id"], task["worker_id"]) for result in results for task in result]
    ids = [task_id for task_id, _ in locked]
    assert len(ids) == len(set(ids)), "a task was locked by two workers"
    assert len(ids) == 9  # 6 workers x 2 > 9 tasks: every one was taken
    for n, result in enumerate(results):
        assert all(task["worker_id"] == f"w{n}" for task in result)
    # Each holder completes its own tasks; every instance moves on once.
    for n, result in enumerate(results):
        for task in result:
            done = sessions[n].post(
                f"{base}{URL}/{task['id']}/complete", json={"worker_id": f"w{n}", "variables": {}}, timeout=30
            )
            assert done.status_code == 200, done.text
    for instance_id in started:
        detail = admin.get(f"{base}/api/v1/process-instances/{instance_id}", timeout=30).json()
        assert [t["element_id"] for t in detail["tasks"]] == ["review"]


def test_racing_fetches_of_one_task_have_exactly_one_winner(http):
    base, admin, sessions = http
    assert (
        admin.post(f"{base}/api/v1/process-instances", json={"definition_key": "external_check"}).status_code
        == 201
    )
    results = _race([lambda s=s, n=n: _fetch(base, s, f"w{n}", 1) for n, s in enumerate(sessions)])
    assert sorted(len(r) for r in results) == [0] * (RACERS - 1) + [1]


def test_racing_completions_of_one_locked_task_apply_once(http):
    base, admin, sessions = http
    instance = admin.post(
        f"{base}/api/v1/process-instances", json={"definition_key": "external_check"}
    ).json()
    [task] = _fetch(base, sessions[0], "w0", 1)
    url = f"{base}{URL}/{task['id']}/complete"
    results = _race(
        [lambda s=s: s.post(url, json={"worker_id": "w0", "variables": {}}, timeout=30) for s in sessions]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * (RACERS - 1), codes
    detail = admin.get(f"{base}/api/v1/process-instances/{instance['id']}", timeout=30).json()
    assert [e["type"] for e in detail["history"]].count("external_task_completed") == 1
    assert [t["element_id"] for t in detail["tasks"]] == ["review"]


def test_a_waiting_fetch_gets_the_task_committed_while_it_waits(http):
    base, admin, sessions = http
    with ThreadPoolExecutor(1) as pool:
        body = {
            "worker_id": "patient",
            "async_response_timeout": 20_000,
            "topics": [{"topic_name": "population-lookup", "lock_duration": 60_000}],
        }
        waiting = pool.submit(sessions[0].post, f"{base}{URL}/fetch-and-lock", json=body, timeout=60)
        started = admin.post(f"{base}/api/v1/process-instances", json={"definition_key": "external_check"})
        assert started.status_code == 201
        answer = waiting.result(timeout=60)
    assert answer.status_code == 200, answer.text
    [task] = answer.json()
    assert task["process_instance_id"] == started.json()["id"]


@pytest.fixture
def one_may_wait(monkeypatch):
    """The app of the test lets one fetch wait for work at a time."""
    monkeypatch.setenv("MOTCUA_EXTERNAL_TASK_MAX_WAITING", "1")


def test_fetches_beyond_the_waiting_limit_answer_at_once_and_the_api_stays_free(one_may_wait, http):
    """Each fetch that waits holds a server thread: beyond MOTCUA_EXTERNAL_TASK_MAX_WAITING, a
    fetch answers at once with no task instead of waiting, so workers cannot take every thread;
    the one that waits still gets the work committed meanwhile."""
    base, admin, sessions = http
    body = {
        "worker_id": "patient",
        "async_response_timeout": 20_000,
        "topics": [{"topic_name": "population-lookup", "lock_duration": 60_000}],
    }
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(sessions[0].post, f"{base}{URL}/fetch-and-lock", json=body, timeout=60)
        time.sleep(0.5)  # the first fetch is waiting now
        late = {**body, "worker_id": "late"}
        second = sessions[1].post(f"{base}{URL}/fetch-and-lock", json=late, timeout=60)
        assert second.status_code == 200 and second.json() == []
        assert not waiting.done()  # answered while the first still waits: it did not wait its 20 s
        started = admin.post(f"{base}/api/v1/process-instances", json={"definition_key": "external_check"})
        assert started.status_code == 201
        answer = waiting.result(timeout=60)
    assert answer.status_code == 200, answer.text
    assert [task["worker_id"] for task in answer.json()] == ["patient"]
    # the slot is free again: the next fetch waits (and gets nothing within its short wait)
    began = time.monotonic()
    again = sessions[1].post(
        f"{base}{URL}/fetch-and-lock", json={**body, "worker_id": "late", "async_response_timeout": 1500}
    )
    assert again.json() == [] and time.monotonic() - began >= 1.4
