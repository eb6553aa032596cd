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
             on a freshly migrated database; per step POST /api/v1/tasks/{id}/complete
             over a keep-alive requests.Session (the next task's id comes back in the
             response's `tasks`). Client-side time: HTTP and JSON are included.
worklist     GET /api/v1/tasks?candidate_group=bench (first page of 50 and the total) with
             `worklist_open` open tasks (one per running instance), ms per request; its
             own figure, not part of the ratios. On PostgreSQL it is measured right after
             the instances were started (`worklist_pg_fresh_stats_ms`: planner statistics
             not refreshed yet) and after ANALYZE (`worklist_pg_ms`: the steady state
             autovacuum keeps). SQLite never analyzes by itself: one figure.
(d) growth   The service on SQLite, one instance looping `growth_steps` completions:
             median step time of steps 991..1010 over that of steps 1..20.

Figures are the median over `reps` repetitions of the mean ms per step, after a warm-up
(`*_reps` in the JSON hold every repetition, to show the noise). The table is for
people; the last line of output is one JSON object with every figure.

    .venv/bin/python bench/bench.py [--quick] [--skip-pg]

PostgreSQL: MOTCUA_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names a server and a database to connect to; the bench creates a database of its own
there. Everything it creates (temp dir, databases, the server) is removed on exit, also
on errors, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
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
FULL = dict(warmup=50, steps=200, reps=5, raw_steps=1000, open=2000, requests=40, growth_steps=1010)
QUICK = dict(warmup=20, steps=50, reps=3, raw_steps=200, open=200, requests=10, growth_steps=120)
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
STEP_DATA = {"done": False}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def measure(step, new_instance, size: dict, steps: int | None = None) -> list[float]:
    """Mean seconds per step of each repetition, after a warm-up.

    new_instance() -> handle; step(handle) -> the handle for the next step. Only step()
    is timed; a fresh instance replaces the current one every STEPS_PER_INSTANCE steps.
    """
    state = {"handle": None, "left": 0}

    def run(n: int) -> float:
        total = 0.0
        for _ in range(n):
            if state["left"] == 0:
                state["handle"], state["left"] = new_instance(), STEPS_PER_INSTANCE
            t0 = time.perf_counter()
            state["handle"] = step(state["handle"])
            total += time.perf_counter() - t0
            state["left"] -= 1
        return total / n

    run(size["warmup"])
    return [run(steps or size["steps"]) for _ in range(size["reps"])]


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


def bench_naive(conn, ph: str, specs, size: dict) -> list[float]:
    """conn: an open sqlite3 or psycopg connection; ph: its parameter placeholder."""
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

    return measure(step, new_instance, size)


def naive_sqlite(path: Path, specs, size: dict) -> list[float]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return bench_naive(conn, "?", specs, size)


def naive_pg(url: str, specs, size: dict) -> list[float]:
    with psycopg.connect(url) as conn:
        return bench_naive(conn, "%s", specs, size)


# ---------------------------------------------------------------- (c) the service over HTTP


class Service:
    """`motcua serve` in a subprocess on a freshly migrated database, with a user "bench"."""

    def __init__(self, database_url: str, workdir: Path, stack: contextlib.ExitStack):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "MOTCUA_INSTANCE_DIR": str(workdir),
        }
        self.motcua("db", "upgrade")
        groups = ("--group", "bench", "--group", "designers")  # designers may deploy
        self.motcua("users", "create", "bench", "--password", secrets.token_hex(8), *groups)
        token = self.motcua("tokens", "create", "--user", "bench").strip()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}/api/v1"
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
        response = self.http.request(method, self.base + path, **kw)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def start(self) -> str:
        body = {"definition_key": PROCESS, "variables": STEP_DATA}
        return self.call("POST", "/process-instances", json=body)["tasks"][0]["id"]

    def complete(self, task_id: str) -> str:
        return self.call("POST", f"/tasks/{task_id}/complete", json={"variables": STEP_DATA})["tasks"][0][
            "id"
        ]

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


def bench_service(database_url: str, workdir: Path, size: dict, result: dict, backend: str) -> list[float]:
    """Steps, growth (SQLite only) and the worklist; adds figures to result, returns the reps."""
    workdir.mkdir()
    with contextlib.ExitStack() as stack:
        service = Service(database_url, workdir, stack)
        reps = measure(service.complete, service.start, size)
        if backend == "sqlite":
            early, late = service.growth(size["growth_steps"])
            result["service_sqlite_step_ms_at_10"], result["service_sqlite_step_ms_at_1000"] = early, late
            result["step_cost_growth_1000_vs_10"] = round(late / early, 2)
        result[f"service_{backend}_start_ms"] = service.fill(size["open"])
        if backend == "pg":
            result["worklist_pg_fresh_stats_ms"] = service.time_worklist(3, warmup=1)
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("ANALYZE")
        result[f"worklist_{backend}_ms"] = service.time_worklist(size["requests"])
        return reps


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


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer steps, under a minute")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    opts = parser.parse_args()
    size = QUICK if opts.quick else FULL
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill` runs the clean-up too
    backends = ["sqlite"] if opts.skip_pg else ["sqlite", "pg"]
    if not opts.skip_pg:
        try:
            pg_admin("SELECT 1")
        except psycopg.Error as exc:
            print(f"PostgreSQL is not reachable at {pg_conninfo()}: {str(exc).strip()}", file=sys.stderr)
            print("Start it, set MOTCUA_BENCH_POSTGRES_URL, or pass --skip-pg.", file=sys.stderr)
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
        "worklist_open_tasks": size["open"],
        "growth_steps": size["growth_steps"],
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }

    def record(name: str, reps: list[float]) -> float:
        result[f"{name}_ms_per_step_reps"] = [ms(r) for r in reps]
        result[f"{name}_ms_per_step"] = ms(statistics.median(reps))
        return result[f"{name}_ms_per_step"]

    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        specs = parse_spec()
        log("(a) raw SpiffWorkflow in memory")
        raw = record("raw", measure(complete_ready, lambda: new_workflow(specs), size, size["raw_steps"]))
        result["raw_stock_growth_400_vs_10"] = round(raw_stock_growth(specs), 2)
        for backend in backends:
            log(f"(b) naive persisted loop on {backend}")
            if backend == "sqlite":
                naive = record("naive_sqlite", naive_sqlite(workdir / "naive.sqlite3", specs, size))
                service_url = f"sqlite:///{workdir / 'service.sqlite3'}"
            else:
                service_url = create_pg_database(stack)  # the naive table lives beside the service's
                naive = record("naive_pg", naive_pg(service_url, specs, size))
            log(f"(c) service over HTTP on {backend}")
            reps = bench_service(service_url, workdir / f"service-{backend}", size, result, backend)
            served = record(f"service_{backend}", reps)
            result[f"ratio_service_vs_naive_{backend}"] = round(served / naive, 2)
            result[f"ratio_service_vs_raw_{backend}"] = round(served / raw, 1)
        result["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
        if opts.skip_pg:  # the same keys in every run; null when not measured
            for key in ("naive_pg_ms_per_step", "service_pg_ms_per_step", "ratio_service_vs_naive_pg"):
                result[key] = None
        log("cleaning up")
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    print_table(result, backends)
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
    print(f"\ntotal {r['elapsed_s']} s\n")


if __name__ == "__main__":
    sys.exit(main())
