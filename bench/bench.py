"""Motcua benchmark: what one human task completion costs, against its floor.

One run, one process, one workload: bench/steps.bpmn, a user task "work" (lane "bench")
that loops through an exclusive gateway until a completion sends done == True. Every
step completes one ready user task and runs the engine to the next one. In (a), (b) and
(c) a fresh instance replaces the current one every STEPS_PER_INSTANCE steps, so all
three measure the same short-instance step: the stock engine's step cost grows with the
instance's length (`raw_stock_growth_400_vs_10`), the service prunes its state (d).

(a) raw      SpiffWorkflow in memory: parse once; per step find the ready user task,
             set_data, run, do_engine_steps. The engine's own cost, no I/O.
(b) naive    The naive persisted loop of ENGINE_NOTES.md: one table (id, json text); per
             step SELECT the row, deserialize_json with the stock BpmnWorkflowSerializer
             (SPIFF_CONFIG, spec embedded), complete the task, do_engine_steps,
             serialize_json, UPDATE, COMMIT. Raw drivers: sqlite3 (file, WAL,
             synchronous=NORMAL as the service sets it) and psycopg.
(c) service  Motcua end to end over real HTTP: `motcua serve` (waitress) in a subprocess
             on a freshly migrated database, without a broker as `make run` (its runner
             process relays the steps' outbox events beside it); per step POST /api/v1/tasks/{id}/complete
             over a keep-alive connection (the next task's id comes back in the response's
             `tasks`). Client-side time: HTTP and JSON are included. The client is the
             standard library's http.client (JsonClient): the service's figure should not
             carry a client library's own work. Until 2026-12-05 it was a requests.Session,
             which costs 0.3 to 0.8 ms more per request on this machine; the same completions
             through requests are still measured, interleaved, as `service_pg_requests_*`
             (not part of the ratios), to keep the earlier figures comparable.
worklist     GET /api/v1/tasks?candidate_group=bench (first page of 50 and the total) with
             `worklist_open` open tasks (one per running instance), ms per request; its
             own figure, not part of the ratios. On PostgreSQL it is measured right after
             the instances were started (`worklist_pg_fresh_stats_ms`: planner statistics
             not refreshed yet) and after ANALYZE (`worklist_pg_ms`: the steady state
             autovacuum keeps). SQLite never analyzes by itself: one figure.
(d) growth   The service on SQLite, one instance looping `growth_steps` completions:
             median step time of steps 991..1010 over that of steps 1..20.

(e) async    Asynchronous work on PostgreSQL + Redis with real processes: one
             `motcua serve --no-runner` API process, 1 and then 2 Celery worker processes
             (`celery -A service.jobs.celery_main:celery worker`, the default concurrency
             of `motcua worker`: 2), one beat, and the remote-system simulator; a fresh
             database for each worker count. Instances per second from the first start to
             the last instance completed (the database polled every 0.05 s), `async_clients`
             client threads starting as fast as they can:
             - bench/service.bpmn (start → service task dvc/sync_dossier → end): the API
               starts, a worker calls the simulator and completes the instance;
             - bpmn/dossier.bpmn with the demo catalogue (data/procedures.json, AG-LLTP-01):
               each client thread is a team of officers (the `motcua demo` users) taking one
               dossier at a time from reception to return as fast as the API answers
               (POST /dossiers, then 7 task completions, each by its role);
             - the workers alone (`async_service_drain_*`): service.bpmn instances started
               while the workers are stopped, then the workers started; instances per second
               from the first instance completed to the last (their ended_at), so neither the
               API nor the workers' start-up is in it.
             Against the naive persisted loop of (b) on PostgreSQL, in the same run, as
             instances per second of one sequential loop: `naive_pg_service_instances_per_s`
             = 1000 / (2 x naive_pg_ms_per_step) (a start and one step per instance; the
             remote call not counted) and `naive_pg_dossier_instances_per_s` = 1000 / (8 x
             naive_pg_ms_per_step) (a start and 7 steps).

(f) ui       The web worklist at scale, on each backend: a fresh database with the demo users
             and catalogue filled by bench/ui_setup.py inside the app context with the
             service's own operations (4000 dossiers received by the clerk over the 5
             procedures, 16000 simple_approval instances: 20000 open tasks of group
             reception, 500 claimed by the clerk, due dates spread late / due soon / early /
             none), then `motcua serve --no-runner`; the clerk logs in through POST /ui/login
             (CSRF token from the form) and GETs the worklist's group tab (plain, due=late, a
             procedure, a process), the mine tab and /ui/dossiers over the session cookie;
             median ms of `requests` after `warmup`, each response checked to show its rows.
             On PostgreSQL also right after the load (`ui_pg_*_fresh_stats_ms`), then after
             ANALYZE. `--only ui` runs this section alone, `--skip-ui` leaves it out.

(g) scale    On PostgreSQL, reads over a province's history (bench/scale.py): a fresh database
             filled by bench/generate.py with `--scale-dossiers` dossiers (1,000,000 in a full
             run, 20,000 with --quick) across 200 units and two years, timed
             (`scale_generate_s_per_100k`); then `motcua serve --no-runner` and, over HTTP as the
             administrator, the median ms of each endpoint of scale.ENDPOINTS (the dossier list,
             first page, overdue, by procedure; for the last full month: the late list, old and
             new route; the QĐ 766 indicators of the province and of the largest unit; the
             register, Mẫu 06, as streamed CSV; the dashboard page of the province and of the
             unit, its data worked out in the page), one line each. `--only scale` runs this
             section alone, `--skip-scale` leaves it out.

dossier      On PostgreSQL, on the service of (c) with the demo catalogue and officers: one
             client takes a dossier of bpmn/dossier.bpmn (AG-LLTP-01) from reception to return
             over HTTP (POST /dossiers, then its 7 completions, each by its role's user), ms per
             transaction (total / 8).

(b), (c) and the dossiers run interleaved: each repetition is `rounds` rounds, and a round runs
its share of the naive loop's steps, then of the service's completions, then (PostgreSQL) of the
dossiers (one dossier a round in a full run), so that whatever else the machine does hits both
sides of a ratio alike: the two sides of a repetition's ratio are measured within a fraction of a
second of each other, not seconds apart. `ratio_service_vs_naive_*` and
`ratio_dossier_step_vs_naive_pg` are the median of the per-repetition ratios, with their range,
interquartile range and a verdict against the targets of issue 10 (1.5 and 2):
`*_conclusive` is false (verdict "inconclusive") when the interquartile range straddles the
target; `*_wide` is true when it is wider than WIDE times the median. The load average is
recorded around them.

Figures are the median over `reps` repetitions of the mean ms per step, after a warm-up
(`*_reps` in the JSON hold every repetition, to show the noise). The table is for
people; the last line of output is one JSON object with every figure.

    .venv/bin/python bench/bench.py [--quick] [--skip-pg] [--skip-async] [--skip-ui] [--skip-scale]
                                    [--only ui|ratios|scale] [--scale-dossiers N]

PostgreSQL: MOTCUA_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names a server and a database to connect to; the bench creates a database of its own
there. Redis (for (e)): MOTCUA_BENCH_REDIS_URL (default redis://127.0.0.1:6379/0), used
under a key prefix of the run's own. Everything it creates (temp dir, databases, Redis
keys, the processes) is removed on exit, also on errors, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
import scale
from lxml import etree
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

STEPS_BPMN = Path(__file__).resolve().parent / "steps.bpmn"
PROCESS = "bench_steps"
MOTCUA = Path(sys.executable).parent / "motcua"
PG_URL = os.environ.get("MOTCUA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STEPS_PER_INSTANCE = 50
# steps and dossiers are per repetition; the repetitions of (b), (c) and the dossiers interleave
FULL = dict(
    warmup=50,
    steps=100,
    reps=11,
    raw_steps=1000,
    open=2000,
    requests=40,
    growth_steps=1010,
    dossiers=10,
    dossier_warmup=3,
    rounds=10,  # a repetition's rounds: its steps and dossiers are divided among them evenly
)
QUICK = dict(
    warmup=20,
    steps=30,
    reps=5,
    raw_steps=200,
    open=200,
    requests=10,
    growth_steps=120,
    dossiers=3,
    dossier_warmup=1,
    rounds=3,
)
# the targets of issue 10 on PostgreSQL: a simple completion within 1.5 naive steps, a dossier's
# transaction within 2; a ratio is inconclusive when the interquartile range of its repetitions
# straddles the target, and flagged wide when that range is wider than WIDE times the median
SERVICE_TARGET, DOSSIER_TARGET, WIDE = 1.5, 2.0, 0.25
ROOT = Path(__file__).resolve().parent.parent
SERVICE_BPMN = Path(__file__).resolve().parent / "service.bpmn"
# The shipped forms and the bench's own (the start and step forms of its two processes).
FORMS_DIR = os.pathsep.join([str(ROOT / "forms"), str(Path(__file__).resolve().parent / "forms")])
DOSSIER_BPMN = ROOT / "bpmn" / "dossier.bpmn"
CELERY = Path(sys.executable).parent / "celery"
# `motcua worker` runs `celery -A service.jobs.celery_main`, which Celery resolves to that module's
# Flask `app`; naming the Celery app works around it (see bench/README.md).
CELERY_APP = "service.jobs.celery_main:celery"
REDIS_URL = os.environ.get("MOTCUA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ASYNC_FULL = dict(service_instances=400, dossiers=60, clients=4, reps=3, warmup=10)
ASYNC_QUICK = dict(service_instances=100, dossiers=12, clients=4, reps=1, warmup=4)
UI_FULL = dict(dossiers=4000, approvals=16000, assign=500, requests=20, warmup=3)
UI_QUICK = dict(dossiers=200, approvals=800, assign=50, requests=5, warmup=1)
WORKER_COUNTS = (1, 2)
WORKER_CONCURRENCY = 2  # `motcua worker`'s default
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
STEP_DATA = {"done": False}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class Loop:
    """A loop of steps on fresh instances: new_instance() -> handle; step(handle) -> the handle for
    the next step. run(n) times n steps (only step() is timed) and returns the mean seconds per
    step; a fresh instance replaces the current one every STEPS_PER_INSTANCE steps."""

    def __init__(self, step, new_instance):
        self.step, self.new_instance = step, new_instance
        self.handle, self.left = None, 0

    def run(self, n: int) -> float:
        total = 0.0
        for _ in range(n):
            if self.left == 0:
                self.handle, self.left = self.new_instance(), STEPS_PER_INSTANCE
            t0 = time.perf_counter()
            self.handle = self.step(self.handle)
            total += time.perf_counter() - t0
            self.left -= 1
        return total / n


def measure(step, new_instance, size: dict, steps: int | None = None) -> list[float]:
    """Mean seconds per step of each repetition, after a warm-up (see Loop)."""
    loop = Loop(step, new_instance)
    loop.run(size["warmup"])
    return [loop.run(steps or size["steps"]) for _ in range(size["reps"])]


def spread(values: list[float], target: float) -> dict:
    """The median of per-repetition ratios, their range and interquartile range, and whether they
    allow a conclusion about `target`: conclusive when the middle half of the repetitions (the
    interquartile range) lies on one side of the target; `wide` when that range is wider than WIDE
    times the median (the ratio itself is then imprecise, whatever the verdict)."""
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    median = statistics.median(values)
    conclusive = q3 <= target or q1 > target
    verdict = ("met" if median <= target else "not met") if conclusive else "inconclusive"
    return {
        "": round(median, 2),
        "_reps": [round(v, 2) for v in values],
        "_min": round(min(values), 2),
        "_max": round(max(values), 2),
        "_iqr": [round(q1, 2), round(q3, 2)],
        "_target": target,
        "_conclusive": conclusive,
        "_wide": (q3 - q1) > WIDE * median,
        "_verdict": verdict,
    }


# ---------------------------------------------------------------- (a) raw SpiffWorkflow


def parse_spec():
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(etree.parse(str(STEPS_BPMN)), filename=STEPS_BPMN.name)
    return parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)


def new_workflow(specs) -> BpmnWorkflow:
    workflow = BpmnWorkflow(*specs)
    workflow.task_tree.data.update(STEP_DATA)
    workflow.do_engine_steps()
    return workflow


def complete_ready(workflow: BpmnWorkflow) -> BpmnWorkflow:
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.set_data(**STEP_DATA)
    task.run()
    workflow.do_engine_steps()
    return workflow


def raw_stock_growth(specs) -> float:
    """One stock workflow (nothing pruned) for 410 steps: median of steps 395..405 over 5..15."""
    workflow, times = new_workflow(specs), []
    for _ in range(410):
        t0 = time.perf_counter()
        complete_ready(workflow)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[394:405]) / statistics.median(times[4:15])


# ---------------------------------------------------------------- (b) the naive persisted loop


def naive_loop(conn, ph: str, specs) -> Loop:
    """The naive loop on conn (an open sqlite3 or psycopg connection; ph: its parameter placeholder)."""
    conn.execute("CREATE TABLE naive_workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    conn.commit()
    ids = iter(range(1, 10**9))

    def new_instance() -> int:
        row_id, state = next(ids), SERIALIZER.serialize_json(new_workflow(specs))
        conn.execute(f"INSERT INTO naive_workflows (id, state) VALUES ({ph}, {ph})", (row_id, state))
        conn.commit()
        return row_id

    def step(row_id: int) -> int:
        (state,) = conn.execute(f"SELECT state FROM naive_workflows WHERE id = {ph}", (row_id,)).fetchone()
        workflow = complete_ready(SERIALIZER.deserialize_json(state))
        state = SERIALIZER.serialize_json(workflow)
        conn.execute(f"UPDATE naive_workflows SET state = {ph} WHERE id = {ph}", (state, row_id))
        conn.commit()
        return row_id

    return Loop(step, new_instance)


@contextlib.contextmanager
def naive_connection(backend: str, where):
    """An open connection for the naive loop and its placeholder: a SQLite file (WAL,
    synchronous=NORMAL as the service sets it) or a PostgreSQL database (a conninfo)."""
    if backend == "sqlite":
        with contextlib.closing(sqlite3.connect(where)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn, "?"
    else:
        with psycopg.connect(where) as conn:
            yield conn, "%s"


# ---------------------------------------------------------------- (c) the service over HTTP


class JsonClient:
    """A keep-alive HTTP/1.1 connection that sends and receives JSON (http.client): the bench's
    client for the timed requests, as thin as a client gets, so that a figure is the service's.
    A request the server answered by closing an idle connection is sent again once, on a new one."""

    def __init__(self, base: str, token: str):
        url = urlsplit(base)
        self.host, self.port, self.prefix = url.hostname, url.port, url.path
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, self.prefix + path, body=payload, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(data) if kind.startswith("application/json") else data.decode()
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Service:
    """`motcua serve` in a subprocess on a freshly migrated database, with a user "bench"."""

    def __init__(self, database_url: str, workdir: Path, stack: contextlib.ExitStack, dossiers: bool = False):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "MOTCUA_INSTANCE_DIR": str(workdir),
            "MOTCUA_FORMS_DIR": FORMS_DIR,
        }
        self.motcua("db", "upgrade")
        groups = ("--group", "bench", "--group", "designers")  # designers may deploy
        self.motcua("users", "create", "bench", "--password", secrets.token_hex(8), *groups)
        token = self.motcua("tokens", "create", "--user", "bench").strip()
        self.officers: dict[str, JsonClient] = {}
        if dossiers:  # the real dossier process, its catalogue and the demo officers (as in (e))
            self.motcua("deploy", str(DOSSIER_BPMN))
            self.motcua("procedures", "load", str(ROOT / "data" / "procedures.json"))
            self.motcua("demo")
            lines = (workdir / "demo-tokens.txt").read_text().split("\n")
            tokens = dict(line.split("\t") for line in lines if line)
            officers = {user for user, _ in DOSSIER_STEPS.values()}
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.api = JsonClient(self.base, token)
        stack.callback(self.api.close)
        if dossiers:
            for user in officers:
                self.officers[user] = JsonClient(self.base, tokens[user])
                stack.callback(self.officers[user].close)
        self.log = workdir / "server.log"
        with self.log.open("wb") as log:  # a session of its own: Ctrl-C reaches us; we stop it
            command = [str(MOTCUA), "serve", "--host", "127.0.0.1", "--port", str(port)]
            self.proc = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        stack.callback(self.stop)
        self.http = stack.enter_context(requests.Session())
        self.http.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.wait_ready()
        with STEPS_BPMN.open("rb") as fh:
            self.call("POST", "/process-definitions", files={"file": (STEPS_BPMN.name, fh)})

    def motcua(self, *args: str) -> str:
        done = subprocess.run([str(MOTCUA), *args], env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"motcua {' '.join(args[:2])} failed: {done.stderr.strip()}")
        return done.stdout

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"motcua serve exited:\n{self.log.read_text()[-2000:]}")
            with contextlib.suppress(requests.ConnectionError):
                if self.http.get(self.base.removesuffix("/api/v1") + "/").ok:
                    return
            time.sleep(0.1)
        raise RuntimeError("motcua serve did not answer within 30 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def call(self, method: str, path: str, **kw) -> dict:
        """A request through requests.Session (the deploy's upload, the comparison series)."""
        response = self.http.request(method, self.base + path, **kw)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def send(self, method: str, path: str, body: dict | None = None, *, user: str | None = None) -> dict:
        """A timed request through the thin client (as `user`, one of the demo officers, or as bench)."""
        status, data = (self.officers[user] if user else self.api).request(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}{f' as {user}' if user else ''}: {status} {str(data)[:500]}")
        return data

    def start(self) -> str:
        body = {"definition_key": PROCESS, "variables": STEP_DATA}
        return self.send("POST", "/process-instances", body)["tasks"][0]["id"]

    def complete(self, task_id: str) -> str:
        return self.send("POST", f"/tasks/{task_id}/complete", {"variables": STEP_DATA})["tasks"][0]["id"]

    def complete_with_requests(self, task_id: str) -> str:
        """The same completion through requests.Session (the client of the figures before 2026-12-05)."""
        return self.call("POST", f"/tasks/{task_id}/complete", json={"variables": STEP_DATA})["tasks"][0][
            "id"
        ]

    def post_as(self, user: str, path: str, body: dict) -> dict:
        return self.send("POST", path, body, user=user)

    def dossier(self) -> float:
        """One dossier from reception to return over HTTP, each step by its role (POST /dossiers,
        then its 7 completions), as the demo officers would; mean seconds per transaction."""
        t0 = time.perf_counter()
        dossier = self.post_as("clerk", "/dossiers", DOSSIER)
        tasks = [(t["element_id"], t["task_id"]) for t in dossier["current_steps"]]
        transactions, state = 1, "running"
        while tasks:
            element, task_id = tasks[0]
            user, variables = DOSSIER_STEPS[element]
            instance = self.post_as(user, f"/tasks/{task_id}/complete", {"variables": variables})
            tasks, state = [(t["element_id"], t["id"]) for t in instance["tasks"]], instance["state"]
            transactions += 1
        elapsed = time.perf_counter() - t0
        if state != "completed" or transactions != DOSSIER_TRANSACTIONS:
            raise RuntimeError(f"a dossier ended after {transactions} transactions with its instance {state}")
        return elapsed / transactions

    def dossiers(self, n: int) -> float:
        """Mean seconds per transaction over n dossiers, one after the other."""
        return sum(self.dossier() for _ in range(n)) / n

    def worklist(self, per_page: int = 50) -> dict:
        return self.call("GET", "/tasks", params={"candidate_group": "bench", "per_page": per_page})

    def fill(self, open_tasks: int) -> float:
        """Start instances until open_tasks tasks are open; median ms per start."""
        starts = []
        for _ in range(open_tasks - self.worklist(1)["total"]):
            t0 = time.perf_counter()
            self.start()
            starts.append(time.perf_counter() - t0)
        assert self.worklist(1)["total"] >= open_tasks
        return ms(statistics.median(starts)) if starts else float("nan")

    def time_worklist(self, requests: int, warmup: int = 3) -> float:
        """Median ms per worklist request (first page of 50)."""
        times = []
        for i in range(warmup + requests):
            t0 = time.perf_counter()
            assert len(self.worklist()["items"]) == 50
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return ms(statistics.median(times))

    def growth(self, n: int) -> tuple[float, float]:
        """One instance, n completions: median ms of steps 1..20 and of the last 20 steps."""
        task_id, times = self.start(), []
        for _ in range(n):
            t0 = time.perf_counter()
            task_id = self.complete(task_id)
            times.append(time.perf_counter() - t0)
        return ms(statistics.median(times[:20])), ms(statistics.median(times[-20:]))


def bench_steps(
    backend: str, naive_where, service_url: str, workdir: Path, specs, size: dict, result: dict, log
) -> None:
    """(b) and (c), and on PostgreSQL the dossier's transactions, interleaved: each repetition is
    `rounds` rounds of a share of the naive loop's steps, then of the service's completions (then,
    on PostgreSQL, of the dossiers from reception to return), so that whatever else the machine
    does hits both sides of a ratio alike. Each ratio is the median of the per-repetition ratios (the
    service's repetition over the naive one of the same repetition), with their spread. Then, on the same
    service, (d) growth (SQLite) and the worklist. Adds the figures to result."""
    workdir.mkdir()
    dossiers = backend == "pg" and size.get("dossiers", 0) > 0
    with contextlib.ExitStack() as stack:
        conn, ph = stack.enter_context(naive_connection(backend, naive_where))
        naive = naive_loop(conn, ph, specs)
        log(f"(b)+(c) {backend}: starting the service")
        service = Service(service_url, workdir, stack, dossiers=dossiers)
        served = Loop(service.complete, service.start)
        # the same completions through requests (the earlier figures' client), for comparison
        served_requests = Loop(service.complete_with_requests, service.start)
        naive.run(size["warmup"])
        served.run(size["warmup"])
        served_requests.run(size["warmup"])
        if dossiers:
            service.dossiers(size["dossier_warmup"])
        reps: dict[str, list[float]] = {"naive": [], "service": [], "requests": [], "dossier": []}
        load = [round(x, 2) for x in os.getloadavg()]
        log(f"(b)+(c) {backend}: {size['reps']} interleaved repetitions")
        rounds = size["rounds"]
        if size["steps"] % rounds or (dossiers and size["dossiers"] % rounds):
            raise ValueError("a repetition's steps and dossiers must divide evenly among its rounds")
        for _ in range(size["reps"]):
            # A repetition is `rounds` rounds of every side in turn (a round's share of the naive
            # steps, of the service's, of the dossiers): the two sides of a ratio are measured
            # within a fraction of a second of each other, so that a burst of the machine's other
            # work lands in both rather than in one side's whole repetition.
            spent = {name: 0.0 for name in reps}
            for _ in range(rounds):
                spent["naive"] += naive.run(size["steps"] // rounds)
                spent["service"] += served.run(size["steps"] // rounds)
                spent["requests"] += served_requests.run(size["steps"] // rounds)
                if dossiers:
                    spent["dossier"] += service.dossiers(size["dossiers"] // rounds)
            for name in ("naive", "service", "requests", *(("dossier",) if dossiers else ())):
                reps[name].append(spent[name] / rounds)
        result[f"loadavg_{backend}_steps"] = {"before": load, "after": [round(x, 2) for x in os.getloadavg()]}
        record(result, f"naive_{backend}", reps["naive"])
        record(result, f"service_{backend}", reps["service"])
        record(result, f"service_{backend}_requests", reps["requests"])
        ratios = [c / b for c, b in zip(reps["service"], reps["naive"], strict=True)]
        for suffix, value in spread(ratios, SERVICE_TARGET).items():
            result[f"ratio_service_vs_naive_{backend}{suffix}"] = value
        if dossiers:
            record(result, "dossier_pg", reps["dossier"], unit="ms_per_transaction")
            ratios = [d / b for d, b in zip(reps["dossier"], reps["naive"], strict=True)]
            for suffix, value in spread(ratios, DOSSIER_TARGET).items():
                result[f"ratio_dossier_step_vs_naive_pg{suffix}"] = value
        if size.get("growth_steps") and backend == "sqlite":
            early, late = service.growth(size["growth_steps"])
            result["service_sqlite_step_ms_at_10"], result["service_sqlite_step_ms_at_1000"] = early, late
            result["step_cost_growth_1000_vs_10"] = round(late / early, 2)
        if size.get("open"):
            result[f"service_{backend}_start_ms"] = service.fill(size["open"])
            if backend == "pg":
                result["worklist_pg_fresh_stats_ms"] = service.time_worklist(3, warmup=1)
                with psycopg.connect(service_url, autocommit=True) as analyze:
                    analyze.execute("ANALYZE")
            result[f"worklist_{backend}_ms"] = service.time_worklist(size["requests"])


def record(result: dict, name: str, reps: list[float], unit: str = "ms_per_step") -> float:
    result[f"{name}_{unit}_reps"] = [ms(r) for r in reps]
    result[f"{name}_{unit}"] = ms(statistics.median(reps))
    return result[f"{name}_{unit}"]


# ---------------------------------------------------------------- (f) the web worklist, at scale

UI_SETUP = Path(__file__).resolve().parent / "ui_setup.py"
UI_USER, UI_PASSWORD = "clerk", "motcua-demo"  # `motcua demo`'s clerk: group reception, unit TTPVHCC
# name, path, what the page must show (a marker counted in the HTML: rows of the table)
UI_PAGES = (
    ("group", "/ui/?tab=group", "data-task-id="),
    ("group_late", "/ui/?tab=group&due=late", "data-task-id="),
    ("group_procedure", "/ui/?tab=group&source=procedure:AG-LLTP-01", "data-task-id="),
    ("group_process", "/ui/?tab=group&source=process:simple_approval", "data-task-id="),
    ("mine", "/ui/?tab=mine", "data-task-id="),
    ("dossiers", "/ui/dossiers", "data-dossier="),
)
UI_ROWS = 20  # a page of the worklist and of the dossier list


class WebSite:
    """A fresh database filled by bench/ui_setup.py; then `motcua serve --no-runner` on it and a
    logged-in clerk (serve())."""

    def __init__(self, database_url: str, workdir: Path, size: dict):
        self.database_url, self.workdir, self.size = database_url, workdir, size
        workdir.mkdir()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "CELERY_"))},
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "MOTCUA_INSTANCE_DIR": str(workdir),
            "MOTCUA_SECURE_COOKIES": "false",  # plain HTTP on 127.0.0.1: the cookie must come back
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def fill(self) -> None:
        began, size = time.perf_counter(), self.size
        self.motcua("db", "upgrade")
        self.motcua("deploy", DOSSIER_BPMN, ROOT / "bpmn" / "simple_approval.bpmn")
        self.motcua("procedures", "load", ROOT / "data" / "procedures.json")
        self.motcua("demo", "--password", UI_PASSWORD)
        setup = [sys.executable, UI_SETUP, "--dossiers", size["dossiers"], "--approvals", size["approvals"]]
        setup += ["--assign", size["assign"], "--user", UI_USER]
        done = subprocess.run(list(map(str, setup)), cwd=ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"bench/ui_setup.py failed: {done.stderr.strip()[-2000:]}")
        self.setup = json.loads(done.stdout.strip().splitlines()[-1])
        self.setup_s = round(time.perf_counter() - began, 1)

    def serve(self, stack: contextlib.ExitStack) -> None:
        port = free_port()
        self.root = f"http://127.0.0.1:{port}"
        serve = [MOTCUA, "serve", "--no-runner", "--host", "127.0.0.1", "--port", port]
        self.proc = Proc(serve, self.env, self.workdir / "server.log", stack)
        self.http = stack.enter_context(requests.Session())
        self.http.trust_env = False
        deadline = time.monotonic() + 60
        while True:
            self.proc.check()
            with contextlib.suppress(requests.ConnectionError):
                if self.http.get(self.root + "/ui/login", timeout=2).ok:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("motcua serve did not answer within 60 s")
            time.sleep(0.1)
        self.log_in()

    def motcua(self, *args) -> str:
        done = subprocess.run(
            [str(MOTCUA), *map(str, args)], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"motcua {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def log_in(self) -> None:
        """POST /ui/login with the CSRF token of the login form; the session cookie stays in self.http."""
        form = self.http.get(self.root + "/ui/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', form
        )
        if token is None:
            raise RuntimeError("no csrf_token in the login form")
        response = self.http.post(
            self.root + "/ui/login",
            data={"csrf_token": token.group(1), "username": UI_USER, "password": UI_PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise RuntimeError(f"logging in as {UI_USER}: {response.status_code} {response.text[:300]}")

    def get(self, path: str, marker: str) -> int:
        """GET a page; the number of rows it shows (fails on anything but a 200 with a full page)."""
        response = self.http.get(self.root + path, allow_redirects=False, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        rows = response.text.count(marker)
        if rows != UI_ROWS:
            raise RuntimeError(f"GET {path} shows {rows} rows, not a full page of {UI_ROWS}")
        return rows

    def time_page(
        self, path: str, marker: str, requests_: int, warmup: int
    ) -> tuple[float, list[float], int]:
        """Median ms per request after a warm-up, every time, and the rows shown."""
        times, rows = [], 0
        for i in range(warmup + requests_):
            t0 = time.perf_counter()
            rows = self.get(path, marker)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return ms(statistics.median(times)), [ms(t) for t in times], rows

    def count(self, path: str, testid: str) -> int:
        html = self.http.get(self.root + path, timeout=120).text
        found = re.search(rf'data-testid="{testid}">(\d+)<', html)
        return int(found.group(1)) if found else -1


def bench_ui(sites: dict[str, WebSite], size: dict, result: dict, log) -> None:
    """(f): the web pages of the worklist and the dossiers at scale; adds figures to result.

    The databases are filled at the same time (one setup process per backend: the wall time of
    the slower one); the pages are measured one backend at a time, with nothing else running."""
    with ThreadPoolExecutor(len(sites)) as pool:
        list(pool.map(lambda backend: sites[backend].fill(), sites))
    for backend, site in sites.items():
        result[f"ui_{backend}_setup_s"] = site.setup_s
        result[f"ui_{backend}_setup"] = site.setup
        log(f"(f) {backend}: {site.setup['open_tasks']} open tasks, {site.setup['dossiers']} dossiers made")
    for backend in sorted(sites, key=lambda b: b != "pg"):  # PostgreSQL first: its fresh statistics
        site = sites[backend]
        log(f"(f) {backend}: measuring the pages")
        with contextlib.ExitStack() as stack:
            site.serve(stack)
            measure_pages(site, size, result, backend)


def measure_pages(site: WebSite, size: dict, result: dict, backend: str) -> None:
    if backend == "pg":  # right after the bulk load: the planner's statistics may be stale
        for name, path, marker in UI_PAGES:
            result[f"ui_pg_{name}_fresh_stats_ms"] = site.time_page(path, marker, 3, 1)[0]
        with psycopg.connect(site.database_url, autocommit=True) as conn:
            conn.execute("ANALYZE")
    for name, path, marker in UI_PAGES:
        median, times, rows = site.time_page(path, marker, size["requests"], size["warmup"])
        result[f"ui_{backend}_{name}_ms"] = median
        result[f"ui_{backend}_{name}_ms_all"] = times
        result[f"ui_{backend}_{name}_rows"] = rows
    result[f"ui_{backend}_group_count"] = site.count("/ui/?tab=group", "count-group")
    result[f"ui_{backend}_mine_count"] = site.count("/ui/?tab=group", "count-mine")
    result[f"ui_{backend}_loadavg_1m"] = round(os.getloadavg()[0], 2)
    site.proc.check()


# ---------------------------------------------------------------- PostgreSQL databases


def pg_conninfo(database: str | None = None) -> str:
    parts = urlsplit(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit(parts._replace(path=f"/{database}") if database else parts)


def pg_admin(sql: str) -> None:
    with psycopg.connect(pg_conninfo(), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql)


def create_pg_database(stack: contextlib.ExitStack) -> str:
    name = f"motcua_bench_{os.getpid()}_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    stack.callback(pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return pg_conninfo(name)


# ---------------------------------------------------------------- (e) asynchronous work on workers

QR = "089190000123|352123456|Nguyễn Thị Ánh|15071990|Nữ|Số 12 Trần Hưng Đạo, An Giang|01052021"
DOSSIER = {
    "procedure_code": "AG-LLTP-01",
    "channel": "counter",
    "applicant": {"cccd_qr": QR, "phone": "0912345678"},
    "components": [{"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "form": "Bản chính", "quantity": 1}],
}
# The happy path: who completes each step, with what (the forms' required fields).
DOSSIER_STEPS = {
    "receive": ("clerk", {"reception_decision": "accept"}),
    "digitise": ("clerk", {"all_components_digitised": True}),
    "assign": ("head", {"specialist": "specialist"}),
    "appraise": (
        "specialist",
        {"appraisal_decision": "propose_approve", "appraisal_opinion": "Hồ sơ đã được thẩm định."},
    ),
    "approve": ("leader", {"approval_decision": "approve"}),
    "issue_result": (
        "records",
        {"result_number": "123/PLLTP", "issued_on": "2026-11-26"},
    ),
    "return_result": ("clerk", {"method": "counter"}),
}
DOSSIER_TRANSACTIONS = 1 + len(DOSSIER_STEPS)  # reception + one completion per step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """A process of the deployment, in a session of its own, logging to a file; stopped on exit."""

    def __init__(self, argv: list, env: dict, log: Path, stack: contextlib.ExitStack, stop=signal.SIGTERM):
        self.argv, self.env, self.log, self.stop_signal = [str(a) for a in argv], env, log, stop
        self.start()
        stack.callback(self.stop)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # what is left of its group (prefork children)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def check(self) -> None:
        if self.popen.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"{self.log.stem} exited ({self.popen.returncode}):\n{tail}")


def start_simulator(workdir: Path, stack: contextlib.ExitStack) -> str:
    """The remote-system simulator (python -m integrations.simulator) on a free port; its URL."""
    for _ in range(3):  # another process may take the port first
        port = free_port()
        argv = [sys.executable, "-m", "integrations.simulator", "--port", port]
        proc = Proc(argv, {**os.environ}, workdir / "simulator.log", stack)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.popen.poll() is None:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/_control/health", timeout=1).ok:
                    return url
            time.sleep(0.05)
        proc.stop()
    raise RuntimeError("the simulator did not start")


def redis_prefix(stack: contextlib.ExitStack) -> str:
    """A Redis key prefix of this run's own; its keys are deleted on exit."""
    import redis

    prefix = f"motcua-bench:{os.getpid()}:{secrets.token_hex(4)}:"

    def clean() -> None:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=500))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    stack.callback(clean)
    return prefix


class Deployment:
    """API, workers and beat on a fresh PostgreSQL database, with the demo users and catalogue."""

    def __init__(self, workers: int, workdir: Path, simulator: str, stack: contextlib.ExitStack):
        workdir.mkdir()
        self.database = create_pg_database(stack)
        options = {"global_keyprefix": redis_prefix(stack)}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "CELERY_"))},
            "DATABASE_URL": self.database,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(options),
            "MOTCUA_CONNECTORS": f"dvc={simulator},post={simulator}",
            "MOTCUA_TICK_SECONDS": "0.5",
            "MOTCUA_INSTANCE_DIR": str(workdir),
            "MOTCUA_FORMS_DIR": FORMS_DIR,
            "SECRET_KEY": secrets.token_hex(32),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        self.motcua("db", "upgrade")
        self.motcua("deploy", SERVICE_BPMN, DOSSIER_BPMN)
        self.motcua("procedures", "load", ROOT / "data" / "procedures.json")
        self.motcua("demo")  # units, users in every role, their tokens in workdir/demo-tokens.txt
        lines = (workdir / "demo-tokens.txt").read_text().split("\n")
        self.tokens = dict(line.split("\t") for line in lines if line)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}/api/v1"
        serve = [MOTCUA, "serve", "--no-runner", "--host", "127.0.0.1", "--port", port]
        self.procs = [Proc(serve, self.env, workdir / "api.log", stack)]
        for n in range(1, workers + 1):
            argv = [
                CELERY,
                "-A",
                CELERY_APP,
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={WORKER_CONCURRENCY}",
                f"--hostname=bench{n}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            self.procs.append(Proc(argv, self.env, workdir / f"worker{n}.log", stack, signal.SIGQUIT))
        schedule = workdir / "celerybeat-schedule"
        beat = [CELERY, "-A", CELERY_APP, "beat", "--loglevel=WARNING", f"--schedule={schedule}"]
        self.procs.append(Proc(beat, self.env, workdir / "beat.log", stack))
        self.async_procs = self.procs[1:]  # the workers and beat: stopped and started together
        self.db = stack.enter_context(psycopg.connect(self.database, autocommit=True))
        self.local = threading.local()
        deadline = time.monotonic() + 60
        while True:
            self.check()
            with contextlib.suppress(requests.ConnectionError):
                if self.session("admin").get(self.base.removesuffix("/api/v1") + "/", timeout=2).ok:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("motcua serve did not answer within 60 s")
            time.sleep(0.1)

    def motcua(self, *args) -> str:
        done = subprocess.run(
            [str(MOTCUA), *map(str, args)], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"motcua {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def check(self) -> None:
        for proc in self.procs:
            proc.check()

    def session(self, user: str) -> requests.Session:
        """This thread's keep-alive session acting as `user`."""
        sessions = self.local.__dict__.setdefault("sessions", {})
        if user not in sessions:
            http = sessions[user] = requests.Session()
            http.trust_env = False
            http.headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return sessions[user]

    def post(self, user: str, path: str, body: dict) -> dict:
        response = self.session(user).post(self.base + path, json=body, timeout=60)
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path} as {user}: {response.status_code} {response.text[:500]}")
        return response.json()

    def completed(self, key: str) -> int:
        query = (
            "SELECT count(*) FROM process_instances i JOIN process_definitions d ON d.id = i.definition_id"
            " WHERE d.key = %s AND i.state = 'completed'"
        )
        return self.db.execute(query, (key,)).fetchone()[0]

    def wait_completed(self, key: str, count: int, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while self.completed(key) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{key}: {self.completed(key)} of {count} instances completed in {seconds} s"
                )
            self.check()
            time.sleep(0.05)

    def start_service(self, i: int) -> None:
        self.post(
            "admin",
            "/process-instances",
            {"definition_key": "bench_service", "variables": {"ref": f"HS-{i}"}},
        )

    def dossier(self, _i: int = 0) -> None:
        """One dossier from reception to return, each step by its role, as fast as the API answers."""
        dossier = self.post("clerk", "/dossiers", DOSSIER)
        tasks = [(t["element_id"], t["task_id"]) for t in dossier["current_steps"]]
        state = "running"
        while tasks:
            element, task_id = tasks[0]
            user, variables = DOSSIER_STEPS[element]
            instance = self.post(user, f"/tasks/{task_id}/complete", {"variables": variables})
            tasks, state = [(t["element_id"], t["id"]) for t in instance["tasks"]], instance["state"]
        if state != "completed":
            raise RuntimeError(f"a dossier ended its steps with its instance {state}")

    def rate(self, work, key: str, n: int, clients: int) -> float:
        """Instances per second: n instances by `clients` threads, from the first start to the last end."""
        done_before = self.completed(key)
        began = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(work, range(n)))
        self.wait_completed(key, done_before + n)
        return n / (time.perf_counter() - began)

    def drain(self, n: int, clients: int) -> float:
        """Instances per second the workers alone complete: n instances started while the workers
        are stopped, then the workers started; from the first instance completed to the last.

        Beat is stopped with them: ticks queued while no worker runs would each re-send every
        pending call when the workers come back (duplicates the workers skip, at a cost)."""
        for proc in self.async_procs:
            proc.stop()
        done_before = self.completed("bench_service")
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(self.start_service, range(n)))
        for proc in self.async_procs:
            proc.start()
        self.wait_completed("bench_service", done_before + n)
        first, last = self.db.execute(
            "SELECT min(ended_at), max(ended_at) FROM (SELECT i.ended_at FROM process_instances i"
            " JOIN process_definitions d ON d.id = i.definition_id WHERE d.key = 'bench_service'"
            " ORDER BY i.created_at DESC LIMIT %s) AS latest",
            (n,),
        ).fetchone()
        return (n - 1) / max((last - first).total_seconds(), 1e-6)


def bench_async(size: dict, workdir: Path, result: dict, stack: contextlib.ExitStack, log) -> None:
    """(e): instances per second with 1 and with 2 workers; adds the figures to result."""
    simulator = start_simulator(workdir, stack)
    for workers in WORKER_COUNTS:
        suffix = "1_worker" if workers == 1 else f"{workers}_workers"
        with contextlib.ExitStack() as deployment_stack:
            log(f"(e) {workers} worker(s): starting the API, the workers and beat")
            deployment = Deployment(workers, workdir / f"async-{workers}", simulator, deployment_stack)
            # warm-up: every process compiles the definitions and opens its connections
            deployment.rate(deployment.start_service, "bench_service", size["warmup"], size["clients"])
            deployment.rate(deployment.dossier, "dossier", size["clients"], size["clients"])
            service, dossier, drain = [], [], []
            for _ in range(size["reps"]):
                log(f"(e) {workers} worker(s): {size['service_instances']} service instances")
                service.append(
                    deployment.rate(
                        deployment.start_service, "bench_service", size["service_instances"], size["clients"]
                    )
                )
                log(f"(e) {workers} worker(s): {size['dossiers']} dossiers")
                dossier.append(
                    deployment.rate(deployment.dossier, "dossier", size["dossiers"], size["clients"])
                )
                log(f"(e) {workers} worker(s): {size['service_instances']} queued service instances")
                drain.append(deployment.drain(size["service_instances"], size["clients"]))
            deployment.check()
        for name, reps in (("async_service", service), ("dossier", dossier), ("async_service_drain", drain)):
            result[f"{name}_instances_per_s_{suffix}_reps"] = [round(r, 2) for r in reps]
            result[f"{name}_instances_per_s_{suffix}"] = round(statistics.median(reps), 2)
    naive = result.get("naive_pg_ms_per_step")
    if naive:
        result["naive_pg_service_instances_per_s"] = round(1000 / (2 * naive), 2)
        result["naive_pg_dossier_instances_per_s"] = round(1000 / (DOSSIER_TRANSACTIONS * naive), 2)
        for workers in WORKER_COUNTS:
            suffix = "1_worker" if workers == 1 else f"{workers}_workers"
            for name, floor in (("async_service", "service"), ("dossier", "dossier")):
                result[f"ratio_{name}_vs_naive_pg_{suffix}"] = round(
                    result[f"{name}_instances_per_s_{suffix}"] / result[f"naive_pg_{floor}_instances_per_s"],
                    2,
                )


ASYNC_KEYS = [
    f"{name}_{suffix}"
    for suffix in ("1_worker", "2_workers")
    for name in (
        "async_service_instances_per_s",
        "async_service_drain_instances_per_s",
        "dossier_instances_per_s",
        "ratio_async_service_vs_naive_pg",
        "ratio_dossier_vs_naive_pg",
    )
] + ["naive_pg_service_instances_per_s", "naive_pg_dossier_instances_per_s"]


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer steps, under a minute")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only (and no asynchronous work)")
    parser.add_argument(
        "--skip-async", action="store_true", help="leave out (e), the asynchronous work on Celery workers"
    )
    parser.add_argument(
        "--only",
        choices=["ui", "ratios", "scale"],
        help="ui: only (f), the web worklist at 20,000 open tasks (about 3 minutes); ratios: only the"
        " interleaved (b), (c) and dossier repetitions on PostgreSQL (about a minute); scale: only (g),"
        " the reports over a generated history",
    )
    parser.add_argument("--skip-scale", action="store_true", help="leave out (g), the reports at scale")
    parser.add_argument(
        "--scale-dossiers",
        type=int,
        help="dossiers generated for (g) (default 1,000,000; 20,000 with --quick)",
    )
    parser.add_argument("--skip-ui", action="store_true", help="leave out (f), the web worklist at scale")
    opts = parser.parse_args()
    size = QUICK if opts.quick else FULL
    async_size = ASYNC_QUICK if opts.quick else ASYNC_FULL
    run_async = not (opts.skip_pg or opts.skip_async or opts.only)
    run_ui = not opts.skip_ui and opts.only in (None, "ui")
    ui_size = UI_QUICK if opts.quick else UI_FULL
    run_scale = not (opts.skip_pg or opts.skip_scale) and opts.only in (None, "scale")
    scale_size = dict(scale.QUICK if opts.quick else scale.FULL)
    if opts.scale_dossiers:
        scale_size["dossiers"] = opts.scale_dossiers
    if opts.only == "scale" and opts.skip_pg:
        parser.error("--only scale measures PostgreSQL")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill` runs the clean-up too
    backends = ["sqlite"] if opts.skip_pg else ["sqlite", "pg"]
    if opts.only == "ratios":
        if opts.skip_pg:
            parser.error("--only ratios measures PostgreSQL")
        backends = ["pg"]
        size = {**size, "open": 0, "growth_steps": 0}
    if not opts.skip_pg:
        try:
            pg_admin("SELECT 1")
        except psycopg.Error as exc:
            print(f"PostgreSQL is not reachable at {pg_conninfo()}: {str(exc).strip()}", file=sys.stderr)
            print("Start it, set MOTCUA_BENCH_POSTGRES_URL, or pass --skip-pg.", file=sys.stderr)
            return 2
    if run_async:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            print(f"Redis is not reachable at {REDIS_URL}: {exc}", file=sys.stderr)
            print("Start it, set MOTCUA_BENCH_REDIS_URL, or pass --skip-async.", file=sys.stderr)
            return 2

    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", file=sys.stderr, flush=True)

    result: dict = {
        "mode": "quick" if opts.quick else "full",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "steps_per_instance": STEPS_PER_INSTANCE,
        "steps_per_rep": size["steps"],
        "reps": size["reps"],
        "dossiers_per_rep": size["dossiers"],
        "dossier_transactions": DOSSIER_TRANSACTIONS,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "worklist_open_tasks": size["open"],
        "growth_steps": size["growth_steps"],
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    if run_ui:
        result.update(ui_open_tasks=ui_size["dossiers"] + ui_size["approvals"], ui_size=ui_size)
    if run_async:
        result.update(
            async_service_instances=async_size["service_instances"],
            dossier_instances=async_size["dossiers"],
            async_clients=async_size["clients"],
            async_reps=async_size["reps"],
            async_worker_concurrency=WORKER_CONCURRENCY,
            dossier_transactions_per_instance=DOSSIER_TRANSACTIONS,
        )

    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        specs = parse_spec()
        if not opts.only:
            log("(a) raw SpiffWorkflow in memory")
            raw = measure(complete_ready, lambda: new_workflow(specs), size, size["raw_steps"])
            record(result, "raw", raw)
            result["raw_stock_growth_400_vs_10"] = round(raw_stock_growth(specs), 2)
        for backend in backends if opts.only in (None, "ratios") else ():
            log(f"(b) naive persisted loop and (c) service over HTTP on {backend}, interleaved")
            if backend == "sqlite":
                naive_where, service_url = (
                    workdir / "naive.sqlite3",
                    f"sqlite:///{workdir / 'service.sqlite3'}",
                )
            else:
                naive_where = service_url = create_pg_database(stack)  # the naive table beside the service's
            bench_steps(
                backend, naive_where, service_url, workdir / f"service-{backend}", specs, size, result, log
            )
            if "raw_ms_per_step" in result:
                result[f"ratio_service_vs_raw_{backend}"] = round(
                    result[f"service_{backend}_ms_per_step"] / result["raw_ms_per_step"], 1
                )
        if run_ui:
            log(f"(f) web worklist: bulk setup through the service's operations on {', '.join(backends)}")
            sites = {
                b: WebSite(
                    f"sqlite:///{workdir / 'ui.sqlite3'}" if b == "sqlite" else create_pg_database(stack),
                    workdir / f"ui-{b}",
                    ui_size,
                )
                for b in backends
            }
            bench_ui(sites, ui_size, result, log)
        if run_async:
            bench_async(async_size, workdir, result, stack, log)
        if run_scale:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "CELERY_"))}
            env.update(
                DATABASE_URL=create_pg_database(stack),
                SECRET_KEY=secrets.token_hex(32),
                MOTCUA_INSTANCE_DIR=str(workdir / "scale"),
                NO_PROXY="127.0.0.1,localhost",
                no_proxy="127.0.0.1,localhost",
            )
            site = scale.ScaleSite(env["DATABASE_URL"], workdir / "scale", scale_size, env)
            scale.bench_scale(site, stack, result, log, Proc, free_port)
        result["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
        if opts.skip_pg:  # the same keys in every run; null when not measured
            for key in (
                "naive_pg_ms_per_step",
                "service_pg_ms_per_step",
                "ratio_service_vs_naive_pg",
                "dossier_pg_ms_per_transaction",
                "ratio_dossier_step_vs_naive_pg",
            ):
                result[key] = None
        for key in ASYNC_KEYS:
            result.setdefault(key, None)
        log("cleaning up")
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    if opts.only == "ui":
        print_ui(result, backends)
        print(f"\ntotal {result['elapsed_s']} s\n")
    elif opts.only == "ratios":
        print_ratios(result, backends)
        print(f"\ntotal {result['elapsed_s']} s\n")
    elif opts.only == "scale":
        scale.print_scale(result)
        print(f"\ntotal {result['elapsed_s']} s\n")
    else:
        print_table(result, backends)
        if run_scale:
            scale.print_scale(result)
    print(json.dumps(result))
    return 0


def print_table(r: dict, backends: list[str]) -> None:
    names = {"sqlite": "SQLite (file, WAL)", "pg": "PostgreSQL"}

    def row(label: str, key: str, ratios: str = "") -> None:
        spread = "{:.2f}-{:.2f}".format(min(r[f"{key}_reps"]), max(r[f"{key}_reps"]))
        print(f"{label:<42}{r[key]:>8.3f}  {spread:<12}{ratios}")

    print(f"\nMotcua bench ({r['mode']}): Python {r['python']}, {r['cpu_count']} CPUs, {r['platform']}")
    load = f"load average {r['loadavg_1m_at_start']} -> {r['loadavg_1m_at_end']}"
    print(f"{load}; a fresh instance every {r['steps_per_instance']} steps; ", end="")
    print(f"median of {r['reps']} x {r['steps_per_rep']} steps after warm-up\n")
    print(f"{'measurement':<42}{'ms/step':>8}  {'reps range':<12}{'c/b':>6}{'c/a':>7}")
    row("(a) raw SpiffWorkflow, in memory", "raw_ms_per_step")
    for b in backends:
        row(f"(b) naive loop, {names[b]}", f"naive_{b}_ms_per_step")
    for b in backends:
        ratios = f"{r[f'ratio_service_vs_naive_{b}']:>6.2f}{r[f'ratio_service_vs_raw_{b}']:>7.1f}"
        row(f"(c) service over HTTP, {names[b]}", f"service_{b}_ms_per_step", ratios)
    print_ratios(r, backends)
    open_tasks = r["worklist_open_tasks"]
    print(f"\nworklist GET /api/v1/tasks?candidate_group=bench with {open_tasks} open tasks, ms per request:")
    for b in backends:
        fresh = r.get(f"worklist_{b}_fresh_stats_ms")
        print(f"  {names[b]:<22}{r[f'worklist_{b}_ms']:>8.3f}", end="")
        print(f" (before ANALYZE: {fresh:.1f})" if fresh is not None else "", end="")
        print(f"; an instance start takes {r[f'service_{b}_start_ms']:.3f}")
    n, early, late = r["growth_steps"], r["service_sqlite_step_ms_at_10"], r["service_sqlite_step_ms_at_1000"]
    print(f"\n(d) service, one instance looping on SQLite: steps 1-20 {early:.3f} ms/step, ", end="")
    print(f"steps {n - 19}-{n} {late:.3f} ms/step -> x{r['step_cost_growth_1000_vs_10']}")
    stock = r["raw_stock_growth_400_vs_10"]
    print(f"    stock SpiffWorkflow in memory, nothing pruned: step ~400 vs ~10 x{stock}")
    print("    (and near step 500 it no longer finds its own ready task)")
    if r.get("ui_open_tasks"):
        print_ui(r, backends)
    if r.get("async_service_instances_per_s_1_worker") is not None:
        print_async(r)
    print(f"\ntotal {r['elapsed_s']} s\n")


def print_ratios(r: dict, backends: list[str]) -> None:
    names = {"sqlite": "SQLite", "pg": "PostgreSQL"}
    print(
        f"\n{r['reps']} interleaved repetitions of {r['steps_per_rep']} naive steps, {r['steps_per_rep']}"
        f" service completions and (PostgreSQL) {r['dossiers_per_rep']} dossiers of"
        f" {r['dossier_transactions']} transactions; median of the per-repetition ratios:"
    )
    rows = [
        (f"service / naive, {names[b]}", f"ratio_service_vs_naive_{b}", f"service_{b}_ms_per_step")
        for b in backends
    ]
    if r.get("dossier_pg_ms_per_transaction") is not None:
        rows.append(
            (
                "dossier transaction / naive, PostgreSQL",
                "ratio_dossier_step_vs_naive_pg",
                "dossier_pg_ms_per_transaction",
            )
        )
    for label, key, ms_key in rows:
        q1, q3 = r[f"{key}_iqr"]
        print(
            f"  {label:<40}{r[key]:>6.2f}  range {r[f'{key}_min']:.2f}-{r[f'{key}_max']:.2f},"
            f" IQR {q1:.2f}-{q3:.2f};"
            f" target {r[f'{key}_target']}: {r[f'{key}_verdict']}"
            f"{' (IQR wide)' if r[f'{key}_wide'] else ''} ({r[ms_key]:.2f} ms)"
        )
    for b in backends:
        if r.get(f"service_{b}_requests_ms_per_step") is not None:
            print(
                f"  the same completions through requests.Session, {names[b]}:"
                f" {r[f'service_{b}_requests_ms_per_step']:.2f} ms"
                " (the client before 2026-12-05; not in the ratios)"
            )
    for b in backends:
        load = r.get(f"loadavg_{b}_steps")
        if load:
            print(f"  load average during the {names[b]} repetitions: {load['before']} -> {load['after']}")


def print_ui(r: dict, backends: list[str]) -> None:
    size = r["ui_size"]
    print(
        f"\n(f) web pages as the clerk (session cookie), {r['ui_open_tasks']} open tasks of group reception"
        f" ({size['dossiers']} dossiers over 5 procedures + {size['approvals']} simple_approval),"
        f" {size['assign']} of them claimed; median ms of {size['requests']} requests after {size['warmup']}:"
    )
    print(f"{'':<52}" + "".join(f"{b:>10}" for b in backends) + f"{'rows':>6}")
    for name, path, _marker in UI_PAGES:
        cells = "".join(f"{r[f'ui_{b}_{name}_ms']:>10.1f}" for b in backends)
        print(f"  GET {path:<48}{cells}{r[f'ui_{backends[0]}_{name}_rows']:>6}")
        if "pg" in backends:
            print(f"  {'  PostgreSQL before ANALYZE':<50}{'':>10}{r[f'ui_pg_{name}_fresh_stats_ms']:>10.1f}")
    for b in backends:
        print(
            f"  {b}: tab counts group {r[f'ui_{b}_group_count']}, mine {r[f'ui_{b}_mine_count']};"
            f" setup {r[f'ui_{b}_setup_s']} s ({r[f'ui_{b}_setup']}); load average {r[f'ui_{b}_loadavg_1m']}"
        )


def print_async(r: dict) -> None:
    print(
        f"\n(e) asynchronous work, PostgreSQL + Redis, 1 API process, workers of concurrency"
        f" {r['async_worker_concurrency']}, {r['async_clients']} client threads; instances/s from the"
        f" first start to the last end (median of {r['async_reps']}):"
    )
    print(f"{'':<44}{'1 worker':>10}{'2 workers':>11}{'naive loop':>12}")
    rows = (
        ("service.bpmn (start, service task, end)", "async_service", "service", r["async_service_instances"]),
        ("dossier.bpmn (reception + 7 human steps)", "dossier", "dossier", r["dossier_instances"]),
    )
    for label, name, floor, n in rows:
        one, two = r[f"{name}_instances_per_s_1_worker"], r[f"{name}_instances_per_s_2_workers"]
        naive = r.get(f"naive_pg_{floor}_instances_per_s")
        naive_text = f"{naive:>12.1f}" if naive else f"{'-':>12}"
        print(f"  {label + f' x{n}':<42}{one:>10.1f}{two:>11.1f}{naive_text}")
    one = r["async_service_drain_instances_per_s_1_worker"]
    two = r["async_service_drain_instances_per_s_2_workers"]
    label = f"service.bpmn queued first, workers alone x{r['async_service_instances']}"
    print(f"  {label:<42}{one:>10.1f}{two:>11.1f}")


if __name__ == "__main__":
    sys.exit(main())
