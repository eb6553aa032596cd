"""The processes that run Motcua: `motcua serve` (waitress) with its runner beside it,
`motcua run-jobs` (the asynchronous work without a broker), `motcua worker` and `motcua beat`
(Celery)."""

from __future__ import annotations

import contextlib
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import heap
from .group import main


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-runner", is_flag=True, help="Do not start a runner process for the asynchronous work.")
def serve(host, port, threads, no_runner):
    """Serve the API with waitress (a production WSGI server).

    Without CELERY_BROKER_URL, it starts `motcua run-jobs` beside itself, a process of its own
    that does the asynchronous work (service tasks, timers, deliveries, the SLA watch, the monthly
    late list, the report bundles, the housekeeping), is started again if it ends on its own, and
    ends with serve; with a broker, run `motcua worker` and one `motcua beat`.
    """
    import signal

    from waitress import serve as waitress_serve

    from .. import create_app

    app = create_app()
    heap.settle()
    runner = None
    if not app.config["CELERY_BROKER_URL"] and not no_runner:
        runner = RunnerProcess()
        runner.start()
    # SIGTERM ends the server as Ctrl-C does, through the finally below (the runner ends with it;
    # killed outright, the runner sees its parent gone within a tick and ends by itself)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Motcua on http://{host}:{port}/  (API /api/v1, docs /api/v1/docs)", err=True)
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="motcua")
    finally:
        if runner is not None:
            runner.stop()


class RunnerProcess:
    """`motcua run-jobs` beside `motcua serve`: started with it, started again when it ended on its
    own (looked at every RESTART_AFTER seconds), stopped with it. A runner that keeps ending soon
    after its start (a database it cannot reach, a broken configuration) is started again after
    a growing delay, up to MAX_DELAY; one that ran STABLE_AFTER seconds starts the count again."""

    RESTART_AFTER = 5.0
    STABLE_AFTER = 60.0
    MAX_DELAY = 300.0

    def __init__(self) -> None:
        import threading

        self.process = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started_at = 0.0
        self.ended_at: float | None = None
        self.failures = 0  # ends in a row, each soon after its start

    def start(self) -> None:
        import threading
        import time

        self.process = self._spawn()
        self.started_at = time.monotonic()
        threading.Thread(target=self._watch, name="motcua-runner-watch", daemon=True).start()

    @staticmethod
    def _spawn():
        import os
        import subprocess

        command = [sys.executable, "-m", "service.cli", "run-jobs", "--parent", str(os.getpid())]
        process = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module, no input
        click.echo(f"no broker configured: asynchronous work runs in process {process.pid}", err=True)
        return process

    @classmethod
    def delay(cls, failures: int) -> float:
        """Seconds to wait before starting a runner that ended `failures` times in a row soon
        after its start: none for the first, then 10, 20, 40... up to MAX_DELAY."""
        return 0.0 if failures <= 1 else min(cls.RESTART_AFTER * 2 ** (failures - 1), cls.MAX_DELAY)

    def _watch(self) -> None:
        import time

        while not self.stopping.wait(self.RESTART_AFTER):
            self.check(time.monotonic())

    def check(self, now: float) -> None:
        """Start another runner if this one ended and its delay has passed."""
        with self.lock:
            code = self.process.poll()
            if code is None or self.stopping.is_set():
                return
            if self.ended_at is None:
                self.ended_at = now
                soon = now - self.started_at < self.STABLE_AFTER
                self.failures = self.failures + 1 if soon else 1
                wait = self.delay(self.failures)
                click.echo(f"the runner process ended ({code}): starting another in {wait:.0f} s", err=True)
            if now - self.ended_at >= self.delay(self.failures):
                self.process = self._spawn()
                self.started_at, self.ended_at = now, None

    def stop(self) -> None:
        with self.lock:
            self.stopping.set()
            _stop(self.process)


def _stop(process) -> None:
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _celery(*args: str) -> None:
    import os
    import shutil

    celery = shutil.which("celery", path=os.path.dirname(sys.executable)) or "celery"
    os.execv(celery, [celery, "-A", "service.jobs.celery_main:celery", *args])  # noqa: S606 - our own venv's celery


@main.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(concurrency, celery_args):
    """Run a Celery worker (needs CELERY_BROKER_URL); extra arguments go to celery."""
    _celery("worker", "--loglevel=INFO", f"--concurrency={concurrency}", *celery_args)


@main.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args):
    """Run the one scheduler: the tick (due calls and timers), the SLA watch, the monthly late list."""
    from ..config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    _celery("beat", "--loglevel=INFO", f"--schedule={INSTANCE_DIR / 'celerybeat-schedule'}", *celery_args)


@main.command("run-jobs")
@click.option("--once", is_flag=True, help="One pass of the due work, then exit (for cron).")
@click.option("--parent", type=int, hidden=True, help="End when the process of this id is gone.")
@with_appcontext
def run_jobs(once, parent):
    """Do the asynchronous work here, without a broker: every MOTCUA_TICK_SECONDS the due service
    calls, timers, deliveries and portal pushes, and the periodic chores (the SLA watch, the late
    list, the report bundles, the housekeeping). `motcua serve` starts one beside itself."""
    import os

    from ..jobs import dispatch

    app = current_app._get_current_object()
    if once:
        calls, timers = dispatch.tick(app)
        click.echo(f"{calls} call(s), {timers} timer instance(s)", err=True)
        return
    heap.settle()
    alive = (lambda: os.getppid() == parent) if parent else (lambda: True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the server and its runner alike
        dispatch.Runner(app, interval=app.config["MOTCUA_TICK_SECONDS"], alive=alive).loop()
