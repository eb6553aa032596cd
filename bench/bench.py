"""Motcua benchmark: what one human task completion costs, against its floor.

One run, one process, one workload: bench/steps.bpmn, a user task "work" (lane "bench")
that loops through an exclusive gateway until a completion sends done == True. Every
step completes one ready user task and runs the engine to the next one. Instances are
replaced by fresh ones every STEPS_PER_INSTANCE steps in (a), (b) and (c), so all three
measure the same short-instance step (the stock engine's step cost grows with instance
length, see (d) and `raw_stock_growth_400_vs_10`).

(a) raw      SpiffWorkflow in memory: parse once; per step find the ready user task,
             set_data, run, do_engine_steps. The engine's own cost, no I/O.
(b) naive    The naive persisted loop (ENGINE_NOTES.md): one table (id, json text); per
             step SELECT the row, deserialize_json with the stock BpmnWorkflowSerializer
             (SPIFF_CONFIG, spec embedded), complete the task, do_engine_steps,
             serialize_json, UPDATE, COMMIT. Raw drivers: sqlite3 (file, WAL,
             synchronous=NORMAL like the service) and psycopg (a database of its own).
(c) service  Motcua end to end over real HTTP: `motcua serve` (waitress) in a subprocess
             on a migrated database of its own; per step POST /api/v1/tasks/{id}/complete
             over a keep-alive requests.Session (the next task id comes back in the
             response's `tasks`). Client time, so HTTP and JSON are included.
worklist     GET /api/v1/tasks?candidate_group=bench with WORKLIST_OPEN open tasks (one per
             running instance), ms per request; its own figure, not part of the ratios.
(d) growth   The service on SQLite, one instance looping GROWTH_STEPS completions: median
             step time of steps 995..1005 over that of steps 5..15.

Figures are the median over REPS repetitions of the mean ms per step, after a warm-up.
The table is for people; the last line of output is one JSON object with every figure.

    .venv/bin/python bench/bench.py [--quick] [--skip-pg]

PostgreSQL: MOTCUA_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names a server and a database to connect to; the bench creates its own database there
and drops it at the end. Everything created (temp dir, databases, server) is removed on
exit, also on errors and Ctrl-C.
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

HERE = Path(__file__).resolve().parent
STEPS_BPMN = HERE / "steps.bpmn"
PROCESS = "bench_steps"
MOTCUA = Path(sys.executable).parent / "motcua"
PG_URL = os.environ.get("MOTCUA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STEPS_PER_INSTANCE = 50
SIZES = {  # per mode: warm-up steps, steps per repetition, repetitions, ...
    "full": dict(warmup=50, steps=200, reps=5, raw_steps=1000, worklist_open=2000, worklist_requests=40,
                 growth_steps=1010),
    "quick": dict(warmup=20, steps=50, reps=3, raw_steps=200, worklist_open=200, worklist_requests=10,
                  growth_steps=120),
}
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
STEP_DATA = {"done": False}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def measure(step, new_instance, size: dict) -> float:
    """Median over repetitions of the mean seconds per step.

    new_instance() -> handle; step(handle) -> handle of the next step. Only step() is
    timed; a fresh instance replaces the current one every STEPS_PER_INSTANCE steps.
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
    return statistics.median(run(size["steps"]) for _ in range(size["reps"]))


# ---------------------------------------------------------------- (a) raw SpiffWorkflow


def parse_spec():
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(etree.parse(str(STEPS_BPMN)), filename=STEPS_BPMN.name)
    return parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)


def new_workflow(spec, subprocess_specs) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.task_tree.data.update(STEP_DATA)
    workflow.do_engine_steps()
    return workflow


def complete_ready(workflow: BpmnWorkflow) -> None:
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.set_data(**STEP_DATA)
    task.run()
    workflow.do_engine_steps()


def bench_raw(specs, size: dict) -> float:
    def step(workflow):
        complete_ready(workflow)
        return workflow

    return measure(step, lambda: new_workflow(*specs), {**size, "steps": size["raw_steps"]})


def raw_stock_growth(specs) -> float:
    """One stock workflow (no pruning) for 410 steps: median of steps 395..405 over 5..15."""
    workflow, times = new_workflow(*specs), []
    for _ in range(410):
        t0 = time.perf_counter()
        complete_ready(workflow)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[394:405]) / statistics.median(times[4:15])


# ---------------------------------------------------------------- (b) the naive persisted loop


def bench_naive(conn, placeholder: str, specs, size: dict) -> float:
    conn.execute("CREATE TABLE naive_workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    conn.commit()
    select = f"SELECT state FROM naive_workflows WHERE id = {placeholder}"
    update = f"UPDATE naive_workflows SET state = {placeholder} WHERE id = {placeholder}"
    ids = iter(range(1, 10**9))

    def new_instance() -> int:
        row_id = next(ids)
        state = SERIALIZER.serialize_json(new_workflow(*specs))
        conn.execute(f"INSERT INTO naive_workflows (id, state) VALUES ({placeholder}, {placeholder})", (row_id, state))
        conn.commit()
        return row_id

    def step(row_id: int) -> int:
        (state,) = conn.execute(select, (row_id,)).fetchone()
        workflow = SERIALIZER.deserialize_json(state)
        complete_ready(workflow)
        conn.execute(update, (SERIALIZER.serialize_json(workflow), row_id))
        conn.commit()
        return row_id

    return measure(step, new_instance, size)


def naive_sqlite(path: Path, specs, size: dict) -> float:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return bench_naive(conn, "?", specs, size)
    finally:
        conn.close()


def naive_pg(url: str, specs, size: dict) -> float:
    with psycopg.connect(url) as conn:
        return bench_naive(conn, "%s", specs, size)


# ---------------------------------------------------------------- (c) the service over HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """`motcua serve` in a subprocess on a freshly migrated database, with a bench user."""

    def __init__(self, database_url: str, workdir: Path, stack: contextlib.ExitStack):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "MOTCUA_INSTANCE_DIR": str(workdir),
        }
        self.motcua("db", "upgrade")
        self.motcua("users", "create", "bench", "--password", secrets.token_hex(8), "--group", "bench",
                    "--group", "designers")
        token = self.motcua("tokens", "create", "--user", "bench").strip()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}/api/v1"
        log = stack.enter_context(open(workdir / "server.log", "wb"))
        # A session of its own, so a terminal's Ctrl-C reaches only us; we stop it ourselves.
        self.proc = subprocess.Popen([str(MOTCUA), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(self.stop)
        self.http = stack.enter_context(requests.Session())
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.wait_ready(workdir / "server.log")
        with STEPS_BPMN.open("rb") as fh:
            self.check(self.http.post(f"{self.base}/process-definitions", files={"file": (STEPS_BPMN.name, fh)}))

    def motcua(self, *args: str) -> str:
        done = subprocess.run([str(MOTCUA), *args], env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"motcua {' '.join(args[:2])} failed: {done.stderr.strip()}")
        return done.stdout

    def wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"motcua serve exited: {log.read_text()[-2000:]}")
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

    @staticmethod
    def check(response: requests.Response) -> dict:
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response.json()

    def start(self) -> str:
        body = {"definition_key": PROCESS, "variables": STEP_DATA}
        return self.check(self.http.post(f"{self.base}/process-instances", json=body))["tasks"][0]["id"]

    def complete(self, task_id: str) -> str:
        body = {"variables": STEP_DATA}
        return self.check(self.http.post(f"{self.base}/tasks/{task_id}/complete", json=body))["tasks"][0]["id"]

    def open_tasks(self) -> int:
        return self.check(self.http.get(f"{self.base}/tasks", params={"candidate_group": "bench", "per_page": 1}))[
            "total"
        ]

    def worklist(self, size: dict) -> tuple[float, float]:
        """(ms per worklist request with worklist_open open tasks, ms per instance start)."""
        starts = []
        for _ in range(size["worklist_open"] - self.open_tasks()):
            t0 = time.perf_counter()
            self.start()
            starts.append(time.perf_counter() - t0)
        assert self.open_tasks() >= size["worklist_open"]
        url, params = f"{self.base}/tasks", {"candidate_group": "bench"}
        times = []
        for i in range(5 + size["worklist_requests"]):
            t0 = time.perf_counter()
            page = self.check(self.http.get(url, params=params))
            if i >= 5:  # the first few are warm-up
                times.append(time.perf_counter() - t0)
        assert len(page["items"]) == 50
        return ms(statistics.median(times)), ms(statistics.median(starts) if starts else float("nan"))

    def growth(self, n: int) -> tuple[float, list[float]]:
        """One instance, n completions: median of the last window (n-15..n-5) over steps 5..15."""
        task_id, times = self.start(), []
        for _ in range(n):
            t0 = time.perf_counter()
            task_id = self.complete(task_id)
            times.append(time.perf_counter() - t0)
        early, late = statistics.median(times[4:15]), statistics.median(times[n - 16 : n - 5])
        return late / early, [ms(early), ms(late)]


def bench_service(database_url: str, workdir: Path, size: dict, growth: bool) -> dict:
    workdir.mkdir()
    with contextlib.ExitStack() as stack:
        service = Service(database_url, workdir, stack)
        out = {"ms_per_step": ms(measure(service.complete, service.start, size))}
        if growth:
            out["growth"] = service.growth(size["growth_steps"])
        out["worklist_ms"], out["start_ms"] = service.worklist(size)
        return out


# ---------------------------------------------------------------- PostgreSQL databases


def pg_conninfo(database: str | None = None) -> str:
    parts = urlsplit(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit(parts._replace(path=f"/{database}") if database else parts)


def create_pg_database(stack: contextlib.ExitStack) -> str:
    name = f"motcua_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(pg_conninfo(), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(pg_conninfo(), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return pg_conninfo(name)


def pg_reachable() -> str | None:
    try:
        with psycopg.connect(pg_conninfo(), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return f"{exc.__class__.__name__}: {str(exc).strip()}"


# ---------------------------------------------------------------- main


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--quick", action="store_true", help="a smoke run: fewer steps, under a minute")
    args.add_argument("--skip-pg", action="store_true", help="SQLite only")
    opts = args.parse_args()
    size = SIZES["quick" if opts.quick else "full"]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up on `kill` too
    backends = ["sqlite"] + ([] if opts.skip_pg else ["pg"])
    if not opts.skip_pg and (problem := pg_reachable()):
        print(f"PostgreSQL is not reachable at {pg_conninfo()}: {problem}\n"
              "Start it, set MOTCUA_BENCH_POSTGRES_URL, or pass --skip-pg.", file=sys.stderr)
        return 2

    began = time.perf_counter()
    result: dict = {
        "mode": "quick" if opts.quick else "full",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "steps_per_instance": STEPS_PER_INSTANCE,
        "steps_per_rep": size["steps"],
        "reps": size["reps"],
        "worklist_open_tasks": size["worklist_open"],
        "growth_steps": size["growth_steps"],
    }
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        specs = parse_spec()
        log = lambda msg: print(f"[{time.perf_counter() - began:6.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731

        log("(a) raw SpiffWorkflow in memory")
        result["raw_ms_per_step"] = ms(bench_raw(specs, size))
        result["raw_stock_growth_400_vs_10"] = round(raw_stock_growth(specs), 2)
        for backend in backends:
            if backend == "sqlite":
                naive_db, service_url = workdir / "naive.sqlite3", f"sqlite:///{workdir / 'service.sqlite3'}"
            else:
                naive_db = service_url = create_pg_database(stack)
            log(f"(b) naive persisted loop on {backend}")
            if backend == "sqlite":
                naive = naive_sqlite(naive_db, specs, size)
            else:
                naive = naive_pg(naive_db, specs, size)
            result[f"naive_{backend}_ms_per_step"] = ms(naive)
            log(f"(c) service over HTTP on {backend}")
            service = bench_service(service_url, workdir / f"service-{backend}", size, growth=backend == "sqlite")
            result[f"service_{backend}_ms_per_step"] = service["ms_per_step"]
            result[f"worklist_{backend}_ms"] = service["worklist_ms"]
            result[f"service_{backend}_start_ms"] = service["start_ms"]
            if "growth" in service:
                ratio, (early, late) = service["growth"]
                result["step_cost_growth_1000_vs_10"] = round(ratio, 2)
                result["service_sqlite_step_ms_at_10"], result["service_sqlite_step_ms_at_1000"] = early, late
            result[f"ratio_service_vs_naive_{backend}"] = round(service["ms_per_step"] / result[f"naive_{backend}_ms_per_step"], 2)
            result[f"ratio_service_vs_raw_{backend}"] = round(service["ms_per_step"] / result["raw_ms_per_step"], 1)
        log("cleaning up")
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    print_table(result, backends)
    print(json.dumps(result))
    return 0


def print_table(r: dict, backends: list[str]) -> None:
    names = {"sqlite": "SQLite (file, WAL)", "pg": "PostgreSQL 15"}
    print(f"\nMotcua bench ({r['mode']}): Python {r['python']}, {r['cpu_count']} CPUs, {r['platform']}")
    print(f"workload: bench/steps.bpmn, {r['steps_per_instance']} steps per instance, "
          f"median of {r['reps']} x {r['steps_per_rep']} steps after warm-up\n")
    print(f"{'measurement':<44}{'ms/step':>9}{'c/b':>8}{'c/a':>8}")
    print(f"{'(a) raw SpiffWorkflow, in memory':<44}{r['raw_ms_per_step']:>9.3f}")
    for b in backends:
        print(f"{'(b) naive loop, ' + names[b]:<44}{r[f'naive_{b}_ms_per_step']:>9.3f}")
    for b in backends:
        print(f"{'(c) service over HTTP, ' + names[b]:<44}{r[f'service_{b}_ms_per_step']:>9.3f}"
              f"{r[f'ratio_service_vs_naive_{b}']:>8.2f}{r[f'ratio_service_vs_raw_{b}']:>8.1f}")
    print(f"\nworklist GET /api/v1/tasks?candidate_group=bench, {r['worklist_open_tasks']} open tasks (ms/request):")
    for b in backends:
        print(f"  {names[b]:<24}{r[f'worklist_{b}_ms']:>9.3f}   (instance start: {r[f'service_{b}_start_ms']:.3f} ms)")
    n = r["growth_steps"]
    print(f"\n(d) service step cost growth, one instance, SQLite: steps 5-15 "
          f"{r['service_sqlite_step_ms_at_10']:.3f} ms, steps {n - 15}-{n - 5} {r['service_sqlite_step_ms_at_1000']:.3f} ms"
          f" -> x{r['step_cost_growth_1000_vs_10']}")
    print(f"    stock SpiffWorkflow (no pruning) in memory, step ~400 vs ~10: x{r['raw_stock_growth_400_vs_10']}"
          " (and it stops finding its ready task near step 500)")
    print(f"\ntotal {r['elapsed_s']} s\n")


if __name__ == "__main__":
    sys.exit(main())
