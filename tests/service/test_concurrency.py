"""Racing writers over real HTTP: one winner, a clear 409 for the others, nothing lost or doubled."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import bpmn_path

REGISTER = {"title": "Công văn số 12", "sender": "Sở Tư pháp"}
RACERS = 6


def _race(calls):
    """Run the callables at the same instant (as far as threads allow); return their results."""
    barrier = threading.Barrier(len(calls))

    def go(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def _approval(base, session) -> dict:
    """A new instance of simple_approval (its first task open), as JSON."""
    response = session.post(f"{base}/api/v1/process-instances", json={"definition_key": "simple_approval"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def http(live_server, admin, make_user):
    assert admin.deploy(bpmn_path("simple_approval.bpmn")).status_code == 201
    assert admin.deploy(bpmn_path("svc_parallel.bpmn")).status_code == 201
    clerks = [make_user(f"clerk{n}", groups=["reception"]) for n in range(RACERS)]

    def session(caller):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {caller.token}"
        return s

    return live_server, [session(c) for c in clerks]


def test_racing_completions_of_one_task_have_exactly_one_winner(http):
    base, sessions = http
    instance = _approval(base, sessions[0])
    task_id = instance["tasks"][0]["id"]
    url = f"{base}/api/v1/tasks/{task_id}/complete"
    results = _race([lambda s=s: s.post(url, json={"variables": REGISTER}) for s in sessions])
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * (RACERS - 1), codes
    for loser in (r for r in results if r.status_code == 409):
        assert loser.json()["error"]["code"] in {"task_not_open", "concurrent_update"}
        assert loser.json()["error"]["message"]
    detail = sessions[0].get(f"{base}/api/v1/process-instances/{instance['id']}").json()
    completions = [e for e in detail["history"] if e["type"] == "task_completed"]
    assert len(completions) == 1
    assert [t["element_id"] for t in detail["tasks"]] == ["appraise"]
    opened = [e for e in detail["history"] if e["type"] == "task_created" and e["element_id"] == "appraise"]
    assert len(opened) == 1


def test_racing_completions_through_the_camunda_api_have_exactly_one_winner(http):
    """The same race through /engine-rest (Camunda's task complete): one 204, the others refused
    (the task no longer open, or the instance changed under them), one completion in the history."""
    base, sessions = http
    instance = _approval(base, sessions[0])
    task_id = instance["tasks"][0]["id"]
    url = f"{base}/engine-rest/task/{task_id}/complete"
    body = {"variables": {name: {"value": value, "type": "String"} for name, value in REGISTER.items()}}
    results = _race([lambda s=s: s.post(url, json=body) for s in sessions])
    codes = sorted(r.status_code for r in results)
    assert codes[0] == 204 and codes.count(204) == 1, codes
    assert all(code in {404, 409} for code in codes[1:]), [r.text[:200] for r in results]
    detail = sessions[0].get(f"{base}/api/v1/process-instances/{instance['id']}").json()
    assert len([e for e in detail["history"] if e["type"] == "task_completed"]) == 1
    assert [t["element_id"] for t in detail["tasks"]] == ["appraise"]


def test_racing_claims_have_exactly_one_holder(http):
    base, sessions = http
    instance = _approval(base, sessions[0])
    url = f"{base}/api/v1/tasks/{instance['tasks'][0]['id']}/claim"
    results = _race([lambda s=s: s.post(url) for s in sessions])
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1
    assert all(r.status_code == 409 for r in results if r.status_code != 200)
    holder = sessions[0].get(f"{base}/api/v1/tasks/{instance['tasks'][0]['id']}").json()["assignee"]
    assert holder == winners[0].json()["assignee"]


def test_parallel_branches_completed_at_once_lose_no_update(http):
    base, sessions = http
    owner = sessions[0]
    instance = owner.post(
        f"{base}/api/v1/process-instances", json={"definition_key": "parallel_review"}
    ).json()
    tasks = {t["element_id"]: t["id"] for t in instance["tasks"]}
    assert set(tasks) == {"opinion_a", "opinion_b"}

    def complete(element, value):
        url = f"{base}/api/v1/tasks/{tasks[element]}/complete"
        response = owner.post(url, json={"variables": {element: value}})
        if response.status_code == 409:  # the other branch won the instance row: retry on fresh state
            assert response.json()["error"]["code"] == "concurrent_update"
            response = owner.post(url, json={"variables": {element: value}})
        return response

    results = _race([lambda: complete("opinion_a", "A agrees"), lambda: complete("opinion_b", "B agrees")])
    assert [r.status_code for r in results] == [200, 200]
    detail = owner.get(f"{base}/api/v1/process-instances/{instance['id']}").json()
    assert [t["element_id"] for t in detail["tasks"]] == ["decide"]
    decide = detail["tasks"][0]["id"]
    done = owner.post(f"{base}/api/v1/tasks/{decide}/complete", json={"variables": {}}).json()
    assert done["state"] == "completed"
    assert done["variables"]["opinion_a"] == "A agrees"
    assert done["variables"]["opinion_b"] == "B agrees"


def test_two_writers_with_the_same_if_match_never_both_succeed(http):
    base, sessions = http
    owner = sessions[0]
    instance = owner.post(
        f"{base}/api/v1/process-instances", json={"definition_key": "simple_approval"}
    ).json()
    url = f"{base}/api/v1/process-instances/{instance['id']}"
    version = {"If-Match": f'"{instance["version"]}"'}
    task_url = f"{base}/api/v1/tasks/{instance['tasks'][0]['id']}/complete"
    results = _race(
        [
            lambda: owner.post(url + "/suspend", headers=version),
            lambda: owner.post(task_url, json={"variables": REGISTER}, headers=version),
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes in ([200, 409], [200, 412]), codes
    state = owner.get(url).json()
    assert state["version"] == instance["version"] + 1
