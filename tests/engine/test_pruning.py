"""Task-tree pruning (service.engine.pruning): long-running instances stay small and keep working.

Without pruning SpiffWorkflow keeps every task it ever created: a loop's state grows with each
iteration, and past about 500 iterations the task iterator's depth limit (1000) hides the live
tasks. Every step here goes through the Engine, which prunes before it serializes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from service.engine import Engine

from .conftest import Instance, deploy

ITERATIONS = 1200


def bounded(sizes: dict[int, int], early: int, late: int, factor: float = 1.5) -> bool:
    return sizes[late] <= factor * sizes[early]


def stored(instance: Instance) -> dict:
    return json.loads(instance.state)


# --- a long loop ------------------------------------------------------------------------------


@dataclass
class LoopRun:
    completed_iterations: int = 0
    stopped_because: str | None = None
    sizes: dict[int, int] = field(default_factory=dict)
    task_counts: dict[int, int] = field(default_factory=dict)
    instance: Instance | None = None


@pytest.fixture(scope="module")
def long_loop() -> LoopRun:
    """engine_loop.bpmn driven through ITERATIONS completions, then once more with the exit condition."""
    engine = Engine()
    definition = deploy(engine, "engine_loop.bpmn")
    instance = Instance.start(engine, definition, {"finished": False, "applicant": "A"})
    run = LoopRun(instance=instance)
    for i in range(1, ITERATIONS + 1):
        ready = instance.ready_elements()
        if instance.status != "running" or ready != ["review"]:
            run.stopped_because = f"iteration {i}: status {instance.status}, ready {ready}"
            return run
        instance.complete("review", iteration=i)
        run.completed_iterations = i
        run.sizes[i] = len(instance.state)
        run.task_counts[i] = len(stored(instance)["tasks"])
    instance.complete("review", finished=True)
    return run


def test_loop_keeps_offering_its_task_for_1200_iterations(long_loop):
    assert long_loop.stopped_because is None
    assert long_loop.completed_iterations == ITERATIONS


def test_loop_state_at_iteration_1000_is_within_1_5x_of_iteration_10(long_loop):
    assert bounded(long_loop.sizes, 10, 1000), (long_loop.sizes[10], long_loop.sizes[1000])


def test_loop_state_holds_as_many_tasks_at_iteration_1000_as_at_iteration_10(long_loop):
    assert long_loop.task_counts[1000] == long_loop.task_counts[10]


def test_loop_completes_when_the_exit_condition_is_set(long_loop):
    instance = long_loop.instance
    assert instance.status == "completed"
    assert instance.ready() == []
    assert instance.variables == {"finished": True, "applicant": "A", "iteration": ITERATIONS}


# --- parallel branches in a loop --------------------------------------------------------------


def test_parallel_split_and_join_in_a_loop_wait_for_both_branches_every_round(engine):
    definition = deploy(engine, "engine_parallel_loop.bpmn")
    instance = Instance.start(engine, definition, {"rounds": 0, "finished": False})
    task_counts = {}
    for round_ in range(50):
        assert instance.ready_elements() == ["check_a", "check_b"], f"round {round_}"
        first, second = ("check_a", "check_b") if round_ % 2 == 0 else ("check_b", "check_a")
        result = instance.complete(first, **{f"{first}_{round_}": "ok"})
        assert result.opened == [], f"round {round_}: the join must wait for {second}"
        assert instance.ready_elements() == [second]
        result = instance.complete(second, **{f"{second}_{round_}": "ok"}, finished=round_ == 49)
        assert result.variables["rounds"] == round_ + 1
        # The join merges what both branches wrote this round.
        assert result.variables[f"check_a_{round_}"] == result.variables[f"check_b_{round_}"] == "ok"
        task_counts[round_] = len(stored(instance)["tasks"])
    assert instance.status == "completed"
    assert instance.ready() == []
    assert task_counts[48] == task_counts[10]  # the data grows by design; the tree must not


def test_loop_back_into_a_parallel_gateway_keeps_running(engine):
    definition = deploy(engine, "engine_parallel_loop_into_fork.bpmn")
    instance = Instance.start(engine, definition, {"rounds": 0, "finished": False})
    for round_ in range(5):
        assert instance.ready_elements() == ["check_a", "check_b"], f"round {round_}"
        instance.complete("check_a")
        instance.complete("check_b", finished=round_ == 4)
    assert instance.status == "completed"
    assert instance.variables["rounds"] == 5


# --- boundary timers, subprocesses, call activities in loops ----------------------------------


def test_user_tasks_with_boundary_timers_in_a_loop_keep_working(engine):
    definition = deploy(engine, "engine_boundary_loop.bpmn")
    instance = Instance.start(engine, definition, {"finished": False})
    sizes = {}
    for round_ in range(50):
        assert instance.ready_elements() == ["handle"], f"round {round_}"
        deadline = instance.result.next_timer_at  # the interrupting P10D timer on 'handle'
        assert deadline is not None
        result = instance.complete("handle")
        assert instance.ready_elements() == ["sign"]
        reminder = result.next_timer_at  # now only the non-interrupting P2D timer on 'sign'
        assert timedelta(days=7) < deadline - reminder < timedelta(days=9)
        instance.complete("sign", finished=round_ == 49)
        sizes[round_] = len(instance.state)
    assert instance.status == "completed"
    assert instance.result.next_timer_at is None
    assert "reminded" not in instance.variables
    assert bounded(sizes, 5, 48)


def test_embedded_subprocess_in_a_loop_keeps_working(engine):
    definition = deploy(engine, "engine_subprocess_loop.bpmn")
    instance = Instance.start(engine, definition, {"stages": 0, "finished": False})
    sizes = {}
    for round_ in range(50):
        assert instance.ready_elements() == ["inner_review"], f"round {round_}"
        result = instance.complete("inner_review", finished=round_ == 49)
        assert result.variables["stages"] == round_ + 1
        assert len(stored(instance)["subprocesses"]) <= 1
        sizes[round_] = len(instance.state)
    assert instance.status == "completed"
    assert instance.variables["stages"] == 50
    assert bounded(sizes, 5, 48)


def test_call_activity_in_a_loop_keeps_working(engine):
    definition = deploy(engine, "engine_call_activity_loop.bpmn")
    instance = Instance.start(engine, definition, {"consultations": 0, "finished": False})
    sizes = {}
    for round_ in range(20):
        assert instance.ready_elements() == ["consult"], f"round {round_}"
        result = instance.complete("consult", opinion=f"opinion {round_}", finished=round_ == 19)
        assert result.variables["consultations"] == round_ + 1
        assert len(stored(instance)["subprocesses"]) <= 1
        sizes[round_] = len(instance.state)
    assert instance.status == "completed"
    assert instance.variables["consultations"] == 20
    assert instance.variables["opinion"] == "opinion 19"
    assert bounded(sizes, 2, 18)


# --- multi-instance ---------------------------------------------------------------------------


def test_parallel_multi_instance_task_completes_after_three_completions(engine):
    instance = Instance.start(engine, deploy(engine, "engine_multi_instance.bpmn"))
    opinions = instance.ready()
    assert [t.element_id for t in opinions] == ["opinion"] * 3
    assert len({t.id for t in opinions}) == 3
    for done, task in enumerate(opinions, start=1):
        result = instance.complete_task(task)
        assert result.status == "running"
        expected = ["close"] if done == 3 else ["opinion"] * (3 - done)
        assert instance.ready_elements() == expected
    assert instance.complete("close").status == "completed"
