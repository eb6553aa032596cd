"""A real Motcua deployment for the worker tests: separate OS processes, PostgreSQL and a broker.

`Stack` owns everything one test starts and removes it at the end, also when the test fails:

- a PostgreSQL database of its own on MOTCUA_TEST_POSTGRES_URL's server, migrated with
  `motcua db upgrade` (DATABASE_URL in the environment), dropped at the end;
- a broker namespace of its own: a Redis key prefix (CELERY_BROKER_TRANSPORT_OPTIONS
  global_keyprefix; its keys are deleted at the end) or a RabbitMQ virtual host (created and
  deleted with rabbitmqctl when it is available; otherwise the URL's own vhost);
- the remote-system simulator (tests.integrations.simulation.SimulatorProcess) on a free port;
- `motcua serve --no-runner` API processes, `motcua worker` and `motcua beat` processes (or, with
  via="celery", the celery command they stand for), each with its log file under the test's
  tmp_path (`tail()` gives the end of every log, for failure reports).

Nothing here creates a Flask app or runs work in the test process: the test talks HTTP to the
API processes and reads the database with plain SQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import sqlalchemy as sa

from tests.integrations.simulation import POST_TOKEN, SimulatorProcess, free_port
from tests.support import FORMS_DIR

ROOT = Path(__file__).resolve().parents[2]
MOTCUA = Path(sys.executable).parent / "motcua"
CELERY = Path(sys.executable).parent / "celery"
CELERY_APP = "service.jobs.celery_main:celery"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("MOTCUA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
SERVICE_CHAIN = ROOT / "tests" / "data" / "svc_service_chain.bpmn"
POLL = 0.2  # seconds between two looks at the database or the API


def connectors(url: str) -> str:
    """MOTCUA_CONNECTORS: every system of the simulator at `url`."""
    systems = ("dvc", "post", "payment", "edms", "csdl_tthc", "portal_sync")
    return ",".join(f"{name}={url}" for name in systems)


def unavailable(message: str) -> None:
    """A service the test needs is missing: fail when CI=true, skip (with the reason) otherwise."""
    if IN_CI:
        pytest.fail(message + " (CI=true: the worker tests must run)", pytrace=False)
    pytest.skip(message)


def check_postgres() -> None:
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}")
    finally:
        engine.dispose()


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except Exception as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc.__class__.__name__}: {exc}")
    finally:
        client.close()


def check_amqp() -> None:
    from kombu import Connection

    try:
        with Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        unavailable(f"RabbitMQ is not reachable at {AMQP_URL}: {exc.__class__.__name__}: {exc}")


def run_id() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


class Process:
    """One OS process with its log file; started in a session of its own (its own process group)."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path, stop_signal=signal.SIGTERM):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.stop_signal = stop_signal
        self.popen: subprocess.Popen | None = None
        self.starts = 0
        self.started_at = 0.0  # time.monotonic() of the last start
        self.network: SlowNetwork | None = None  # a worker's own link to the remote systems, if slow

    def start(self) -> Process:
        with self.log.open("ab") as log:
            if self.starts:
                log.write(f"\n===== restart {self.starts} =====\n".encode())
                log.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL the process (and, being a group leader, its children: prefork pools)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, grace: float = 10.0) -> None:
        if self.popen is None:
            return
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        # whatever is left of its group (prefork children, a hung process)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class SlowNetwork:
    """A proxy in front of the simulator that answers `delay` seconds after the remote did the work.

    Runs in a thread of the test process (it is the network, not Motcua). A worker killed while it
    waits for the answer has had its side effect applied remotely and not yet recorded: the case
    idempotency keys are for. Each worker of a stack gets a link of its own (Process.network), so
    the test knows which worker waits for which answer; `hold()` keeps the answers back (after the
    remote applied the call) until `release()`, and `held` counts the answers kept back.
    """

    def __init__(self, target: str, delay: float):
        from werkzeug.serving import WSGIRequestHandler, make_server
        from werkzeug.wrappers import Request, Response

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args, **kwargs) -> None:  # no line per request on stderr
                pass

        self.target, self.delay = target, delay
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.held = 0
        forwarded = ("Authorization", "Idempotency-Key", "Content-Type", "Accept")

        @Request.application
        def app(request: Request) -> Response:
            with requests.Session() as http:
                http.trust_env = False
                answer = http.request(
                    request.method,
                    self.target + request.full_path.rstrip("?"),
                    data=request.get_data(),
                    headers={h: request.headers[h] for h in forwarded if h in request.headers},
                    timeout=30,
                )
            time.sleep(self.delay)
            if not self._open.is_set():
                with self._lock:
                    self.held += 1
                self._open.wait(60)
                with self._lock:
                    self.held -= 1
            return Response(
                answer.content, answer.status_code, content_type=answer.headers.get("Content-Type")
            )

        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="slow-network", daemon=True)
        self.thread.start()

    def hold(self) -> None:
        """Keep the answers back (the remote still applies the calls) until release()."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.thread.join(10)


class Api:
    """An HTTP client of one `motcua serve` process (one requests.Session per thread)."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self._local = threading.local()
        self.process: Process | None = None  # the `motcua serve` process answering

    @property
    def http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # no proxy between us and 127.0.0.1
            session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def request(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kw) -> dict:
        response = self.http.request(method, self.base + path, timeout=30, **kw)
        if response.status_code not in expect:
            raise AssertionError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response.json()

    def start(self, key: str, variables: dict) -> dict:
        return self.request(
            "POST", "/api/v1/process-instances", json={"definition_key": key, "variables": variables}
        )

    def deploy(self, path: Path) -> dict:
        with path.open("rb") as fh:
            return self.request("POST", "/api/v1/process-definitions", files={"file": (path.name, fh)})

    def health(self) -> tuple[int, dict]:
        response = self.http.get(self.base + "/api/v1/health", timeout=30)
        return response.status_code, response.json()


class Stack:
    """See the module docstring. Use as a context manager, or call open() and close()."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        broker: str = "redis",
        lease_seconds: int = 60,
        tick_seconds: float = 0.5,
        connector_delay: float = 0.0,
        extra_env: dict | None = None,
    ):
        self.tmp_path, self.broker = tmp_path, broker
        self.id = run_id()
        self.processes: list[Process] = []
        self.simulator: SimulatorProcess | None = None
        self.engine: sa.Engine | None = None
        self._cleanups: list = []
        self._lease, self._tick, self._extra_env = lease_seconds, tick_seconds, extra_env or {}
        self._delay, self.network = connector_delay, None
        self.networks: list[SlowNetwork] = []  # the workers' own links (with connector_delay)
        self.token = ""

    def __enter__(self) -> Stack:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ setting up

    def open(self) -> None:
        check_postgres()
        if self.broker == "redis":
            check_redis()
        else:
            check_amqp()
        broker_url, options = self._broker_namespace()
        database_url = self._database()
        self.simulator = SimulatorProcess(self.tmp_path / "simulator.log", "--token", f"post={POST_TOKEN}")
        remote = self.simulator.url
        if self._delay:
            self.network = SlowNetwork(remote, self._delay)
            remote = self.network.url
        (self.tmp_path / "instance").mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "CELERY_"))}
        env.pop("DATABASE_URL", None)
        env.update(
            {
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker_url,
                "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(options),
                "MOTCUA_CONNECTORS": connectors(remote),
                "MOTCUA_CONNECTOR_POST_TOKEN": POST_TOKEN,
                "MOTCUA_CONNECTOR_DVC_TIMEOUT": "10",
                "MOTCUA_CONNECTOR_POST_TIMEOUT": "10",
                "MOTCUA_TICK_SECONDS": str(self._tick),
                "MOTCUA_LEASE_SECONDS": str(self._lease),
                "MOTCUA_INSTANCE_DIR": str(self.tmp_path / "instance"),
                "MOTCUA_FORMS_DIR": FORMS_DIR,
                "SECRET_KEY": secrets.token_hex(32),
                "PYTHONUNBUFFERED": "1",
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
                **self._extra_env,
            }
        )
        self.env = env
        self.motcua("db", "upgrade")
        self.motcua("users", "create", "admin", "--password", secrets.token_hex(8), "--admin")
        self.token = self.motcua("tokens", "create", "--user", "admin").strip()
        self.engine = sa.create_engine(database_url, pool_size=2)

    def _database(self) -> str:
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"motcua_workers_{self.id}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        self._cleanups.append(drop)
        return sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def _broker_namespace(self) -> tuple[str, dict]:
        if self.broker == "redis":
            prefix = f"motcua-test:{self.id}:"

            def clean() -> None:
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                try:
                    keys = list(client.scan_iter(match=prefix + "*", count=500))
                    if keys:
                        client.delete(*keys)
                finally:
                    client.close()

            self._cleanups.append(clean)
            self.redis_prefix = prefix
            return REDIS_URL, {"global_keyprefix": prefix}
        # RabbitMQ: a virtual host of this run's own, if rabbitmqctl lets us make one.
        ctl = shutil.which("rabbitmqctl")
        vhost = f"motcua_test_{self.id}"
        parts = urlsplit(AMQP_URL)
        if ctl and self._rabbitmqctl(ctl, "add_vhost", vhost):
            self._cleanups.append(lambda: self._rabbitmqctl(ctl, "delete_vhost", vhost))
            user = parts.username or "guest"
            if self._rabbitmqctl(ctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
                return urlunsplit(parts._replace(path=f"/{vhost}")), {}
        return AMQP_URL, {}  # the shared vhost: a stray message costs a tick, never correctness

    @staticmethod
    def _rabbitmqctl(ctl: str, *args: str) -> bool:
        try:
            return subprocess.run([ctl, "-q", *args], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def motcua(self, *args: str) -> str:
        done = subprocess.run(
            [str(MOTCUA), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            raise RuntimeError(
                f"motcua {' '.join(args[:2])} failed ({done.returncode}): {done.stderr[-2000:]}"
            )
        return done.stdout

    def _process(self, name: str, argv: list[str], stop_signal=signal.SIGTERM, env=None) -> Process:
        process = Process(name, argv, env or self.env, self.tmp_path / f"{name}.log", stop_signal)
        self.processes.append(process)
        return process.start()

    def serve(self, name: str = "api", threads: int = 8, *, runner: bool = False) -> Api:
        """`motcua serve --no-runner` on a free port; returns its client once it answers. With
        runner=True: `motcua serve` without a broker, which starts its own runner process."""
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            argv = [str(MOTCUA), "serve", "--host", "127.0.0.1", "--port", str(port)]
            if not runner:
                argv.insert(2, "--no-runner")
            env = {**self.env, "CELERY_BROKER_URL": ""} if runner else None
            process = self._process(name, [*argv, "--threads", str(threads)], env=env)
            api = Api(f"http://127.0.0.1:{port}", self.token)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.alive():
                with contextlib.suppress(requests.ConnectionError):
                    if api.http.get(api.base + "/", timeout=2).status_code == 200:
                        api.process = process
                        return api
                time.sleep(POLL)
            process.stop()
        raise RuntimeError(f"motcua serve did not start:\n{process.tail()}")

    def _celery(self, via: str, command: str, *args: str) -> list[str]:
        """argv of `motcua worker|beat ...` (via="motcua") or of the celery command it stands for."""
        if via == "motcua":
            return [str(MOTCUA), command, *args]
        fixed = ["--loglevel=INFO"]
        if command == "beat":
            fixed.append(f"--schedule={self.tmp_path / 'instance' / 'celerybeat-schedule'}")
        return [str(CELERY), "-A", CELERY_APP, command, *fixed, *args]

    def worker(self, name: str, *args: str, concurrency: int = 2, via: str = "motcua") -> Process:
        """A Celery worker (the prefork pool unless args say otherwise) with a node name of its own."""
        options = [
            f"--concurrency={concurrency}",
            f"--hostname={name}-{self.id}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *args,
        ]
        env, network = None, None
        if self._delay:  # a slow link of its own: the test sees which worker waits for an answer
            network = SlowNetwork(self.simulator.url, self._delay)
            self.networks.append(network)
            env = {**self.env, "MOTCUA_CONNECTORS": connectors(network.url)}
        # SIGQUIT: Celery's cold shutdown (a warm one waits seconds for the broker; nothing is lost)
        process = self._process(name, self._celery(via, "worker", *options), signal.SIGQUIT, env)
        process.network = network
        return process

    def beat(self, via: str = "motcua") -> Process:
        return self._process("beat", self._celery(via, "beat"))

    @staticmethod
    def is_ready(worker: Process) -> bool:
        """Whether the worker has logged that it is ready since its last start."""
        text = worker.log.read_text(errors="replace")
        return worker.alive() and " ready." in text.rsplit("===== restart", 1)[-1]

    def wait_ready(self, *workers: Process, seconds: float = 60) -> None:
        """Wait until each worker is ready."""
        for worker in workers:
            self.wait_until(
                lambda w=worker: self.is_ready(w), seconds, f"{worker.name} ready", watch=(worker,)
            )

    @staticmethod
    def tasks_succeeded(worker: Process, task: str) -> int:
        """How many times the worker logged that it ran `task` (e.g. motcua.run_call) successfully."""
        text = worker.log.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if f"Task {task}[" in line and "succeeded" in line)

    # ------------------------------------------------------------------ looking at it

    def check_alive(self, *processes: Process) -> None:
        for process in processes or self.processes:
            if not process.alive():
                raise AssertionError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}")

    def wait_until(self, predicate, seconds: float, what: str, *, watch: tuple[Process, ...] = ()):
        """Poll predicate() every POLL seconds until it returns a truthy value (bounded)."""
        deadline = time.monotonic() + seconds
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {seconds:g} s: {what}; {self.summary()}")
            if watch:
                self.check_alive(*watch)
            time.sleep(POLL)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def instance_states(self) -> Counter:
        return Counter(dict(self.rows("select state, count(*) from process_instances group by state")))

    def call_states(self) -> Counter:
        return Counter(dict(self.rows("select state, count(*) from service_calls group by state")))

    def completed(self) -> int:
        return self.instance_states().get("completed", 0)

    def summary(self) -> str:
        try:
            return f"instances {dict(self.instance_states())}, service calls {dict(self.call_states())}"
        except Exception as exc:  # the database itself may be the problem
            return f"(no summary: {exc})"

    def audit_counts(self, types: tuple[str, ...]) -> dict[tuple, int]:
        """{(instance_id, element_id, type): count} for the audit events of these types."""
        rows = self.rows(
            "select instance_id, coalesce(element_id, ''), type, count(*) from audit_events"
            " where type = any(:types) group by instance_id, element_id, type",
            types=list(types),
        )
        return {(str(r[0]), r[1], r[2]): r[3] for r in rows}

    def tail(self, lines: int = 40) -> str:
        parts = [f"===== stack {self.id}: {self.summary() if self.engine else 'not opened'}"]
        logs = [(p.name, p.tail(lines)) for p in self.processes]
        if self.simulator is not None:
            logs.append(("simulator", Process("simulator", [], {}, self.simulator.log_path).tail(lines)))
        for name, text in logs:
            parts.append(f"----- {name} (last {lines} lines)\n{text}")
        return "\n".join(parts)

    # ------------------------------------------------------------------ tearing down

    def close(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                process.stop()
        for network in [self.network, *self.networks]:
            if network is not None:
                with contextlib.suppress(Exception):
                    network.stop()
        if self.simulator is not None:
            with contextlib.suppress(Exception):
                self.simulator.stop()
        if self.engine is not None:
            self.engine.dispose()
        errors = []
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as exc:  # keep cleaning; report at the end
                errors.append(f"{exc.__class__.__name__}: {exc}")
        self._cleanups.clear()
        if errors:
            raise RuntimeError("clean-up failed: " + "; ".join(errors))


def check_service_chain_outcome(stack: Stack, instance_ids: list[str]) -> dict:
    """What every service_chain run must show once all its instances completed.

    Each instance: completed; instance_started and instance_completed once; service_task_completed
    exactly once for each of its two service tasks (sync, deliver). Each service call: done, and its
    idempotency key has exactly one side effect at the simulator. Returns the simulator's stats.
    """
    n = len(instance_ids)
    states = dict(stack.rows("select id, state from process_instances"))
    assert {str(k) for k in states} == set(instance_ids)
    not_completed = {str(k): v for k, v in states.items() if v != "completed"}
    assert not not_completed, f"instances not completed: {not_completed}"

    counts = stack.audit_counts(
        ("instance_started", "instance_completed", "service_task_completed", "element_completed")
    )
    expected = {}
    for instance in instance_ids:
        expected[(instance, "", "instance_started")] = 1
        expected[(instance, "", "instance_completed")] = 1
        for element in ("sync", "deliver"):
            expected[(instance, element, "service_task_completed")] = 1
        for element in ("start", "sync", "wait", "deliver", "end"):  # a straight line: each once
            expected[(instance, element, "element_completed")] = 1
    wrong = {
        key: counts.get(key, 0)
        for key in expected.keys() | counts.keys()
        if counts.get(key) != expected.get(key)
    }
    assert not wrong, f"audit events not as the rule says ((instance, element, type): count): {wrong}"
    per_instance = Counter(key[0] for key in counts if key[2] == "service_task_completed")
    assert set(per_instance.values()) == {2}
    fired = stack.audit_counts(("timers_fired",))
    assert {key[0] for key in fired} == set(instance_ids), "an instance whose timer never fired"

    calls = stack.rows("select idempotency_key, state, element_id, attempts from service_calls")
    assert len(calls) == 2 * n, f"{len(calls)} service calls for {n} instances"
    assert Counter(c.state for c in calls) == {"done": 2 * n}, Counter(c.state for c in calls)

    stats = stack.simulator.stats()
    per_key = stats["effects_per_key"]
    assert set(per_key) == {c.idempotency_key for c in calls}, "effects for keys Motcua never called"
    twice = {key: count for key, count in per_key.items() if count != 1}
    assert not twice, f"side effects applied more than once: {twice}"
    assert stats["effects"] == 2 * n
    journal = stack.simulator.journal()
    assert Counter((j["connector"], j["operation"]) for j in journal) == {
        ("dvc", "sync_dossier"): n,
        ("post", "deliver"): n,
    }
    return stats
