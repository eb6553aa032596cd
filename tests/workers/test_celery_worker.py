"""A real worker does the asynchronous work: `motcua serve --no-runner` takes the starts, one
Celery worker process (prefork pool, what `motcua worker` runs) does the service calls and the
timers that beat finds, against the simulator, on PostgreSQL, with Redis and with RabbitMQ.
Nothing runs in the test process but HTTP requests and SQL reads."""

from __future__ import annotations

from tests.workers.stack import SERVICE_CHAIN, Stack, check_service_chain_outcome


def run_service_chain(stack: Stack, instances: int) -> None:
    api = stack.serve()
    assert api.deploy(SERVICE_CHAIN)["key"] == "service_chain"
    worker = stack.worker("worker1", concurrency=2)
    beat = stack.beat()
    stack.wait_ready(worker)

    ids = []
    for i in range(instances):
        started = api.start("service_chain", {"ref": f"HS-{i:03d}", "wait_for": "PT1S"})
        assert started["state"] == "running"  # the API process never calls the remote system
        ids.append(started["id"])

    stack.wait_until(
        lambda: stack.completed() == instances,
        seconds=90,
        what=f"{instances} instances completed by the worker",
        watch=(worker, beat),
    )
    check_service_chain_outcome(stack, ids)
    stack.check_alive()
    # the worker process made every call (and nothing else could: the API runs no runner)
    assert stack.tasks_succeeded(worker, "motcua.run_call") >= 2 * instances
    assert stack.tasks_succeeded(worker, "motcua.fire_timers") >= instances

    # The API process sees the worker through its heartbeats, and the broker.
    status, health = api.health()
    assert status == 200, health
    assert health["status"] == "ok"
    assert health["database"]["ok"] is True
    assert health["broker"] == {"configured": True, "ok": True}
    assert health["workers"]["seen_recently"] >= 1
    assert health["oldest_pending_job_age_seconds"] == 0.0

    # One instance through the API: its history holds both service tasks and the timer.
    detail = api.request("GET", f"/api/v1/process-instances/{ids[0]}")
    assert detail["variables"]["delivery"]["ok"] is True
    assert detail["variables"]["sync_result"]["reference"].startswith("dvc-")
    types = [event["type"] for event in detail["history"]]
    assert types.count("service_task_completed") == 2
    assert "timers_fired" in types


def test_a_worker_process_runs_service_tasks_and_timers_with_redis(make_stack):
    run_service_chain(make_stack(broker="redis"), instances=20)


def test_a_worker_process_runs_service_tasks_and_timers_with_rabbitmq(make_stack):
    run_service_chain(make_stack(broker="amqp"), instances=5)


def test_the_motcua_worker_and_beat_commands_do_the_work(make_stack):
    stack = make_stack(broker="redis")
    api = stack.serve()
    api.deploy(SERVICE_CHAIN)
    worker = stack.worker("worker1", via="motcua")
    beat = stack.beat(via="motcua")
    started = api.start("service_chain", {"ref": "HS-CLI", "wait_for": "PT1S"})
    stack.wait_until(lambda: stack.completed() == 1, 60, "the instance completed", watch=(worker, beat))
    check_service_chain_outcome(stack, [started["id"]])
